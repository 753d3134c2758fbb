import { context, SpanKind, type Attributes, type TextMapGetter } from '@opentelemetry/api';
import { facadesPerSite } from '../facades';
import { addMissing } from '../client';
import { keepShape, safely } from '../safe';
import type { Site } from '../site';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
  ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_RABBITMQ,
} from './semconv';
import { endHopWithError, extractFrom, injectInto, runInHop, startReceivingHop, startSendingHop, type Hop } from './span';
import { semconv } from '../semconv';

// RabbitMQ through amqplib (the promise API and `amqplib/callback_api`, plain and confirm channels). Emitted code
// calls `__autotrace.amqpChannel(site, channel).publish(…)`: the facade makes the PRODUCER span, calls the real
// method on the real channel with a copy of the options whose `headers` carry the trace context (never the body),
// and for `consume` hands the channel a handler that makes one CONSUMER span per message delivered, the handler's
// own work running inside it. A message without (or with malformed) trace headers is processed under a new root.

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type ChannelLike = Record<string, unknown> & { connection?: { stream?: { remoteAddress?: unknown; remotePort?: unknown } } };
interface AmqpMessage {
  content?: { length?: unknown };
  fields?: { exchange?: unknown; routingKey?: unknown; deliveryTag?: unknown };
  properties?: { headers?: Record<string, unknown>; messageId?: unknown };
}

/** The facade emitted code calls `publish`, `sendToQueue` and `consume` on; anything but a channel is handed back. */
export function amqpChannel<C>(site: Site | undefined, channel: C): C {
  return (safely(() => facadeFor(channel as unknown as ChannelLike, site), undefined) ?? channel) as C;
}

function facadeFor(channel: ChannelLike, site: Site | undefined): object | undefined {
  return channel !== null && typeof channel === 'object' ? facadeOf(channel, site) : undefined;
}

const facadeOf = facadesPerSite((channel: ChannelLike, site: Site | undefined) => ({
  publish: (...args: unknown[]) => send(channel, 'publish', args, site),
  sendToQueue: (...args: unknown[]) => send(channel, 'sendToQueue', args, site),
  consume: (...args: unknown[]) => consume(channel, args, site),
}));

/** `publish(exchange, routingKey, content, options[, cb])`, `sendToQueue(queue, content, options[, cb])`. */
function send(channel: ChannelLike, method: 'publish' | 'sendToQueue', args: unknown[], site: Site | undefined): unknown {
  const real = channel[method] as AnyFunction;
  const prepared = safely(() => prepareSend(channel, method, args, site), undefined);
  if (!prepared) return real.apply(channel, args);
  const { hop, callArgs, confirmAt } = prepared;
  let result: unknown;
  try {
    result = context.with(hop.context, () => real.apply(channel, callArgs));
  } catch (error) {
    endHopWithError(hop, error);
    throw error;
  }
  // A confirm channel with a callback: the send is done when the broker confirms it (or refuses it).
  if (confirmAt === undefined) safely(() => hop.span.end(), undefined);
  return result;
}

function prepareSend(channel: ChannelLike, method: 'publish' | 'sendToQueue', args: unknown[], site: Site | undefined) {
  const [exchange, routingKey, content, optionsAt] =
    method === 'publish' ? [args[0], args[1], args[2], 3] : ['', args[0], args[1], 2];
  const options = args[optionsAt] as { headers?: unknown; messageId?: unknown } | undefined | null;
  const destination = producerDestination(String(exchange ?? ''), String(routingKey ?? ''));
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_RABBITMQ,
    [ATTR_MESSAGING_DESTINATION_NAME]: destination,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_OPERATION_NAME]: 'publish',
  };
  if (typeof routingKey === 'string' && routingKey !== '') attributes[ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY] = routingKey;
  if (typeof options?.messageId === 'string') attributes[ATTR_MESSAGING_MESSAGE_ID] = options.messageId;
  const size = (content as { length?: unknown } | null | undefined)?.length;
  if (typeof size === 'number') attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size;
  serverAttributes(channel, attributes);
  const hop = startSendingHop(SpanKind.PRODUCER, `publish ${destination}`, attributes, site);
  const callArgs = [...args];
  const traced = withTraceHeaders(hop, options);
  if (traced) {
    while (callArgs.length < optionsAt) callArgs.push(undefined);
    callArgs[optionsAt] = traced;
  }
  const confirmAt = optionsAt + 1;
  const callback = args[confirmAt];
  const isConfirm = typeof channel.waitForConfirms === 'function' && typeof callback === 'function';
  if (isConfirm) callArgs[confirmAt] = confirmed(hop, callback as AnyFunction);
  return { hop, callArgs, confirmAt: isConfirm ? confirmAt : undefined };
}

/**
 * The destination as the RabbitMQ conventions name it: the routing key on the default exchange (a queue's name),
 * the exchange when there is no routing key or it is the same, else `{exchange}:{routing key}`.
 */
function producerDestination(exchange: string, routingKey: string): string {
  if (exchange === '') return routingKey || 'amq.default';
  if (routingKey === '' || routingKey === exchange) return exchange;
  return `${exchange}:${routingKey}`;
}

/**
 * A copy of the caller's options (never changed) whose headers copy carries the trace context the caller did not
 * set; undefined when there is nothing to add (no trace here, or the caller set it all): the options go as given.
 */
function withTraceHeaders(hop: Hop, options: { headers?: unknown } | undefined | null): object | undefined {
  const carrier: Record<string, string> = {};
  injectInto(hop, carrier);
  const given = options !== null && typeof options === 'object' ? options : {};
  const callerHeaders = given.headers !== null && typeof given.headers === 'object' ? (given.headers as Record<string, unknown>) : {};
  const names = new Set(Object.keys(callerHeaders).map((name) => name.toLowerCase()));
  const headers: Record<string, unknown> = { ...callerHeaders };
  let added = false;
  addMissing(carrier, (name) => names.has(name), (name, value) => {
    headers[name] = value;
    added = true;
  });
  return added ? { ...given, headers } : undefined;
}

function confirmed(hop: Hop, callback: AnyFunction): AnyFunction {
  return keepShape(function (this: unknown, ...args: unknown[]) {
    const error = args[0];
    if (error !== null && error !== undefined) endHopWithError(hop, error);
    else safely(() => hop.span.end(), undefined);
    return callback.apply(this, args);
  }, callback);
}

/** `consume(queue, onMessage, options[, cb])`: the handler replaced by one that makes a span per message. */
function consume(channel: ChannelLike, args: unknown[], site: Site | undefined): unknown {
  const real = channel.consume as AnyFunction;
  const [queue, handler] = args;
  if (typeof handler !== 'function') return real.apply(channel, args);
  const callArgs = [...args];
  callArgs[1] = consumerHandler(channel, String(queue), handler as AnyFunction, site);
  return real.apply(channel, callArgs);
}

function consumerHandler(channel: ChannelLike, queue: string, handler: AnyFunction, site: Site | undefined): AnyFunction {
  return keepShape(function (this: unknown, ...args: unknown[]) {
    const message = args[0] as AmqpMessage | null;
    // null: the broker cancelled the consumer; no message, no span.
    const hop = message ? safely(() => startConsumerHop(channel, queue, message, site), undefined) : undefined;
    if (!hop) return handler.apply(this, args);
    return runInHop(hop, () => handler.apply(this, args));
  }, handler);
}

const headerGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key] ?? carrier[Object.keys(carrier).find((name) => name.toLowerCase() === key) ?? ''];
    if (typeof value === 'string') return value;
    // amqplib hands string headers a publisher sent as bytes back as Buffers.
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    return undefined;
  },
};

function startConsumerHop(channel: ChannelLike, queue: string, message: AmqpMessage, site: Site | undefined): Hop {
  const headers = message.properties?.headers;
  const carried = extractFrom(headers !== null && typeof headers === 'object' ? headers : undefined, headerGetter);
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_RABBITMQ,
    [ATTR_MESSAGING_DESTINATION_NAME]: queue,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
  };
  const routingKey = message.fields?.routingKey;
  if (typeof routingKey === 'string' && routingKey !== '') attributes[ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY] = routingKey;
  const tag = message.fields?.deliveryTag;
  if (typeof tag === 'number') attributes[ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG] = tag;
  const id = message.properties?.messageId;
  if (typeof id === 'string') attributes[ATTR_MESSAGING_MESSAGE_ID] = id;
  const size = message.content?.length;
  if (typeof size === 'number') attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size;
  serverAttributes(channel, attributes);
  return startReceivingHop(SpanKind.CONSUMER, `process ${queue}`, attributes, carried, site);
}

/** The broker's address, from the channel's connection socket. */
function serverAttributes(channel: ChannelLike, attributes: Attributes): void {
  const stream = channel.connection?.stream;
  if (typeof stream?.remoteAddress === 'string') attributes[semconv().ATTR_SERVER_ADDRESS] = stream.remoteAddress;
  if (typeof stream?.remotePort === 'number') attributes[semconv().ATTR_SERVER_PORT] = stream.remotePort;
}
