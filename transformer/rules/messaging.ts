import type { RuleSet } from './types';

// Message brokers and RPC: producers, consumers, RPC clients and handlers.
//
// RabbitMQ (amqplib: `Channel` and `ConfirmChannel` of the promise API and of `amqplib/callback_api`, as amqplib 2
// declares them and @types/amqplib does for 0.10) and NATS (`nats` v2, its own types: `NatsConnection`) are client
// instances behind a traced facade: `ch.publish(…)` → `__autotrace.amqpChannel(site, ch).publish(…)`, which sends
// with the trace context in the message's headers, and `ch.consume(queue, handler)` / `nc.subscribe(subject, …)`,
// whose handlers (and a subscription's async iteration) get one span per message.

const AMQPLIB = {
  client: 'amqplib',
  declaredIn: ['Channel', 'ConfirmChannel'],
  methods: ['publish', 'sendToQueue', 'consume'],
  callableIn: [],
  wrapWith: 'amqpChannel',
  kind: { publish: 'producer', sendToQueue: 'producer', consume: 'consumer' },
  // publish(exchange, routingKey): the queue on the default exchange, else `exchange[:routingKey]`.
  destination: { publish: [0, 1], sendToQueue: [0], consume: [0] },
} as const;

export const MESSAGING_RULES: RuleSet = {
  clientInstances: [
    // amqplib 2 ships its own declarations; 0.10 is typed by @types/amqplib, with the same interfaces.
    { ...AMQPLIB, typesPackage: 'amqplib' },
    { ...AMQPLIB, typesPackage: '@types/amqplib' },
    {
      client: 'nats',
      typesPackage: 'nats',
      declaredIn: ['NatsConnection'],
      methods: ['publish', 'request', 'subscribe'],
      callableIn: [],
      wrapWith: 'natsConnection',
      kind: { publish: 'producer', request: 'client', subscribe: 'consumer' },
      destination: { publish: [0], request: [0], subscribe: [0] },
    },
  ],
  tracedModules: {
    amqplib: { client: 'amqplib' },
    'amqplib/callback_api': { client: 'amqplib' },
    nats: { client: 'nats' },
  },
  // Without a checker: `await amqp.connect(url)` → `await conn.createChannel()` → the channel; `await connect()` from
  // nats → the connection; and parameters or variables annotated with the packages' types (the callback API hands its
  // channels to callbacks, so annotations are how files compiled alone know them).
  valueKinds: {
    amqplib: { members: { connect: 'amqplib.connect' } },
    'amqplib.connect': { call: 'amqplib.connecting' },
    'amqplib.connecting': { awaited: 'amqplib.model' },
    'amqplib.model': { members: { createChannel: 'amqplib.createChannel', createConfirmChannel: 'amqplib.createConfirmChannel' } },
    'amqplib.createChannel': { call: 'amqplib.creatingChannel' },
    'amqplib.creatingChannel': { awaited: 'amqplib.channel' },
    'amqplib.createConfirmChannel': { call: 'amqplib.creatingConfirmChannel' },
    'amqplib.creatingConfirmChannel': { awaited: 'amqplib.confirmChannel' },
    'amqplib.channel': { is: { typesPackage: 'amqplib', owner: 'Channel' } },
    'amqplib.confirmChannel': { is: { typesPackage: 'amqplib', owner: 'ConfirmChannel' } },
    nats: { members: { connect: 'nats.connect' } },
    'nats.connect': { call: 'nats.connecting' },
    'nats.connecting': { awaited: 'nats.connection' },
    'nats.connection': { is: { typesPackage: 'nats', owner: 'NatsConnection' } },
  },
  moduleKinds: {
    amqplib: {
      values: { '*': 'amqplib', default: 'amqplib', connect: 'amqplib.connect' },
      types: { Channel: 'amqplib.channel', ConfirmChannel: 'amqplib.confirmChannel', ChannelModel: 'amqplib.model' },
    },
    'amqplib/callback_api': { values: {}, types: { Channel: 'amqplib.channel', ConfirmChannel: 'amqplib.confirmChannel' } },
    nats: { values: { '*': 'nats', connect: 'nats.connect' }, types: { NatsConnection: 'nats.connection' } },
  },
};
