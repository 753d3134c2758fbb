// The messaging attributes of the semantic conventions that are still in development (not among the stable ATTR_*
// exports), with the names and values of @opentelemetry/semantic-conventions/incubating. They are written out here
// rather than imported because that entry point holds every incubating attribute of every domain: loading it adds
// ~40 ms (~110 ms on a busy machine) to the start of every service, brokers or not. The package itself advises
// copying unstable definitions; test/messaging-recognition.test.ts holds each one equal to the package's.

export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name' as const;
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name' as const;
export const ATTR_MESSAGING_DESTINATION_TEMPLATE = 'messaging.destination.template' as const;
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size' as const;
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id' as const;
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name' as const;
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type' as const;
export const ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key' as const;
export const ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG = 'messaging.rabbitmq.message.delivery_tag' as const;
export const ATTR_MESSAGING_SYSTEM = 'messaging.system' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process' as const;
export const MESSAGING_OPERATION_TYPE_VALUE_SEND = 'send' as const;
export const MESSAGING_SYSTEM_VALUE_RABBITMQ = 'rabbitmq' as const;

/** The conventions list no `messaging.system` value for NATS yet; its own name, lower-case, as the others are. */
export const MESSAGING_SYSTEM_VALUE_NATS = 'nats';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count' as const;

// The rpc attributes, likewise still in development (test/messaging-recognition.test.ts holds them equal too).
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code' as const;
export const ATTR_RPC_METHOD = 'rpc.method' as const;
export const ATTR_RPC_SERVICE = 'rpc.service' as const;
export const ATTR_RPC_SYSTEM = 'rpc.system' as const;
export const RPC_SYSTEM_VALUE_GRPC = 'grpc' as const;
