import { createRequire } from 'node:module';
import { facadesPerSite } from '../facades';
import { join } from 'node:path';
import { SpanKind, type Attributes, type TextMapGetter } from '@opentelemetry/api';
import { addMissing } from '../client';
import { keepShape, safely } from '../safe';
import type { Site } from '../site';
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_TEMPLATE,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_NATS,
} from './semconv';
import { endHopWithError, extractFrom, injectInto, runInHop, startReceivingHop, startSendingHop, type Hop } from './span';
import { semconv } from '../semconv';

// NATS through the `nats` v2 client. Emitted code calls `__autotrace.natsConnection(site, nc).publish(…)`: the facade
// makes a PRODUCER span for `publish`, a CLIENT span for `request` (ended by the reply), and for `subscribe` one
// CONSUMER span per message, whether the subscription hands messages to a `callback` or is iterated with
// `for await`. Trace context rides in NATS headers: a copy of the caller's (never changed) or new ones.
//
// Async iteration: the span of a message starts when the subscription yields it and ends when the loop asks for the
// next one, leaves (break, return, a throw: the iterator's `return`), or the subscription closes. The loop body runs
// in the async context of the function holding the loop, which an iterator cannot enter, so work in the body is not
// parented to the message's span: a `callback` subscription gets that (its handler runs inside the span).

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
interface MsgHdrsLike extends Iterable<[string, string[]]> {
  get(name: string, match?: number): string;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  has(name: string, match?: number): boolean;
  keys(): string[];
  code?: number;
  description?: string;
}
type HeadersClass = new (code?: number, description?: string) => MsgHdrsLike;
interface NatsMsg {
  subject?: unknown;
  data?: { length?: unknown };
  headers?: MsgHdrsLike;
}
type ConnectionLike = Record<string, unknown> & { info?: { headers?: unknown }; getServer?: () => unknown };
interface SubscriptionLike {
  getSubject?: () => unknown;
  [Symbol.asyncIterator]?: () => AsyncIterator<unknown>;
}

// nats' Match.IgnoreCase: header names are matched as HTTP's are.
const IGNORE_CASE = 2;

/** The facade emitted code calls `publish`, `request` and `subscribe` on; anything but a connection is handed back. */
export function natsConnection<C>(site: Site | undefined, connection: C): C {
  return (safely(() => facadeFor(connection as unknown as ConnectionLike, site), undefined) ?? connection) as C;
}

function facadeFor(connection: ConnectionLike, site: Site | undefined): object | undefined {
  return connection !== null && typeof connection === 'object' ? facadeOf(connection, site) : undefined;
}

const facadeOf = facadesPerSite((connection: ConnectionLike, site: Site | undefined) => ({
  publish: (...args: unknown[]) => publish(connection, args, site),
  request: (...args: unknown[]) => request(connection, args, site),
  subscribe: (...args: unknown[]) => subscribe(connection, args, site),
}));

/** `publish(subject, payload?, options?)`. */
function publish(connection: ConnectionLike, args: unknown[], site: Site | undefined): unknown {
  const real = connection.publish as AnyFunction;
  const prepared = safely(() => prepareSend(connection, 'publish', args, site), undefined);
  if (!prepared) return real.apply(connection, args);
  const { hop, callArgs } = prepared;
  return runInHop(hop, () => real.apply(connection, callArgs));
}

/** `request(subject, payload?, options?)`: a CLIENT span that ends with the reply (or the timeout). */
function request(connection: ConnectionLike, args: unknown[], site: Site | undefined): unknown {
  const real = connection.request as AnyFunction;
  const prepared = safely(() => prepareSend(connection, 'request', args, site), undefined);
  if (!prepared) return real.apply(connection, args);
  const { hop, callArgs } = prepared;
  // The reply (or the timeout) settles the promise request returns: the span ends then.
  return runInHop(hop, () => real.apply(connection, callArgs));
}

function prepareSend(connection: ConnectionLike, operation: 'publish' | 'request', args: unknown[], site: Site | undefined) {
  const [subject, payload, options] = args as [unknown, { length?: unknown } | string | undefined, { headers?: MsgHdrsLike } | undefined];
  const destination = String(subject);
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_NATS,
    [ATTR_MESSAGING_DESTINATION_NAME]: destination,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
  };
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload?.length;
  if (typeof size === 'number') attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size;
  serverAttributes(connection, attributes);
  const kind = operation === 'publish' ? SpanKind.PRODUCER : SpanKind.CLIENT;
  const hop = startSendingHop(kind, `${operation} ${destination}`, attributes, site);
  const callArgs = [...args];
  const traced = withTraceHeaders(connection, hop, options);
  if (traced) {
    while (callArgs.length < 2) callArgs.push(undefined);
    callArgs[2] = traced;
  }
  return { hop, callArgs };
}

/**
 * A copy of the caller's options (nats writes into the object it is given) with a copy of their headers carrying the
 * trace context the caller did not set; undefined when there is nothing to add or the server takes no headers (nats
 * would throw on them), so the options go as given.
 */
function withTraceHeaders(connection: ConnectionLike, hop: Hop, options: { headers?: MsgHdrsLike } | undefined): object | undefined {
  const info = connection.info;
  if (info && typeof info === 'object' && info.headers === false) return undefined;
  const carrier: Record<string, string> = {};
  injectInto(hop, carrier);
  if (Object.keys(carrier).length === 0) return undefined;
  const given = options !== null && typeof options === 'object' ? options : {};
  const headers = copyOf(given.headers);
  if (!headers) return undefined;
  let added = false;
  addMissing(carrier, (name) => headers.has(name, IGNORE_CASE), (name, value) => {
    headers.set(name, value);
    added = true;
  });
  return added ? { ...given, headers } : undefined;
}

/** New headers with every value of the caller's, made by nats' own class (the one the caller's came from). */
function copyOf(given: MsgHdrsLike | undefined): MsgHdrsLike | undefined {
  if (given !== null && typeof given === 'object' && typeof given.append === 'function') {
    const Class = given.constructor as HeadersClass;
    learnHeadersClass(Class);
    const copy = new Class(given.code, given.description);
    for (const [name, values] of given) for (const value of values) copy.append(name, value);
    return copy;
  }
  const Class = headersClass();
  return Class ? new Class() : undefined;
}

let knownHeadersClass: HeadersClass | null | undefined;

function learnHeadersClass(Class: unknown): void {
  if (!knownHeadersClass && typeof Class === 'function') knownHeadersClass = Class as HeadersClass;
}

/**
 * nats' headers class, for a message the caller gave no headers: the one seen on headers already met, else the one
 * of the `nats` package the app resolves (from the working directory, then from the main module). null when there is
 * none (a bundle that inlined nats and has met no headers yet): the message then goes without trace context.
 */
function headersClass(): HeadersClass | undefined {
  if (knownHeadersClass === undefined) {
    knownHeadersClass = null;
    const main = typeof require === 'undefined' ? undefined : require.main?.filename;
    const from = [join(process.cwd(), 'package.json'), main].filter((path): path is string => typeof path === 'string');
    for (const path of from) {
      const Class = safely(() => (createRequire(path)('nats') as { MsgHdrsImpl?: unknown }).MsgHdrsImpl, undefined);
      if (typeof Class === 'function') {
        knownHeadersClass = Class as HeadersClass;
        break;
      }
    }
  }
  return knownHeadersClass ?? undefined;
}

/** `subscribe(subject, options?)`: a `callback` handler wrapped, and the subscription's iteration traced. */
function subscribe(connection: ConnectionLike, args: unknown[], site: Site | undefined): unknown {
  const real = connection.subscribe as AnyFunction;
  const [subject, options] = args as [unknown, { callback?: unknown; queue?: unknown } | undefined];
  const pattern = String(subject);
  const callArgs = [...args];
  if (options !== null && typeof options === 'object' && typeof options.callback === 'function') {
    const handler = options.callback as AnyFunction;
    callArgs[1] = { ...options, callback: callbackHandler(connection, pattern, options.queue, handler, site) };
  }
  const subscription = real.apply(connection, callArgs) as SubscriptionLike;
  safely(() => traceIteration(connection, subscription, pattern, options?.queue, site), undefined);
  return subscription;
}

function callbackHandler(connection: ConnectionLike, pattern: string, queue: unknown, handler: AnyFunction, site: Site | undefined): AnyFunction {
  return keepShape(function (this: unknown, ...args: unknown[]) {
    const [error, message] = args as [unknown, NatsMsg | undefined];
    // An error (the subscription failing, a permission refused) comes without a message: no span.
    const hop = error == null && message ? safely(() => startConsumerHop(connection, pattern, queue, message, site), undefined) : undefined;
    if (!hop) return handler.apply(this, args);
    return runInHop(hop, () => handler.apply(this, args));
  }, handler);
}

/**
 * Replaces the subscription's own `Symbol.asyncIterator` (on the instance: the subscription stays the object nats
 * made, with every other method as it was) by one whose iterator makes a span per message yielded.
 */
function traceIteration(connection: ConnectionLike, subscription: SubscriptionLike, pattern: string, queue: unknown, site: Site | undefined): void {
  if (subscription === null || typeof subscription !== 'object') return;
  const original = subscription[Symbol.asyncIterator];
  if (typeof original !== 'function') return;
  Object.defineProperty(subscription, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function (this: unknown) {
      const inner = original.call(this);
      return safely(() => tracedIterator(inner, (message) => startConsumerHop(connection, pattern, queue, message as NatsMsg, site)), inner);
    },
  });
}

function tracedIterator(inner: AsyncIterator<unknown>, start: (message: unknown) => Hop): AsyncIterator<unknown> & AsyncIterable<unknown> {
  let current: Hop | undefined;
  const finish = () => {
    const hop = current;
    current = undefined;
    if (hop) safely(() => hop.span.end(), undefined);
  };
  return {
    next(...args: [] | [unknown]) {
      finish();
      return Promise.resolve(inner.next(...args)).then((result) => {
        if (result && !result.done) current = safely(() => start(result.value), undefined);
        return result;
      });
    },
    return(value?: unknown) {
      finish();
      return inner.return ? inner.return(value) : Promise.resolve({ done: true as const, value });
    },
    throw(error?: unknown) {
      const hop = current;
      current = undefined;
      if (hop) endHopWithError(hop, error);
      return inner.throw ? inner.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const headerGetter: TextMapGetter<MsgHdrsLike> = {
  keys: (carrier) => carrier.keys(),
  // nats answers "" for a header it does not have.
  get: (carrier, key) => carrier.get(key, IGNORE_CASE) || undefined,
};

function startConsumerHop(connection: ConnectionLike, pattern: string, queue: unknown, message: NatsMsg, site: Site | undefined): Hop {
  const headers = message.headers;
  const hasHeaders = headers !== null && typeof headers === 'object' && typeof headers.get === 'function';
  if (hasHeaders) learnHeadersClass(headers.constructor);
  const carried = extractFrom(hasHeaders ? headers : undefined, headerGetter);
  const subject = typeof message.subject === 'string' ? message.subject : pattern;
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_NATS,
    [ATTR_MESSAGING_DESTINATION_NAME]: subject,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
  };
  // A wildcard subscription: the span is named by what was subscribed to, the message's own subject is the destination.
  if (subject !== pattern) attributes[ATTR_MESSAGING_DESTINATION_TEMPLATE] = pattern;
  if (typeof queue === 'string' && queue !== '') attributes[ATTR_MESSAGING_CONSUMER_GROUP_NAME] = queue;
  const size = message.data?.length;
  if (typeof size === 'number') attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = size;
  serverAttributes(connection, attributes);
  return startReceivingHop(SpanKind.CONSUMER, `process ${pattern}`, attributes, carried, site);
}

/** `host:port` of the server the connection is on. */
function serverAttributes(connection: ConnectionLike, attributes: Attributes): void {
  const server = typeof connection.getServer === 'function' ? connection.getServer() : undefined;
  if (typeof server !== 'string') return;
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(server);
  if (!match) return;
  attributes[semconv().ATTR_SERVER_ADDRESS] = match[1]!;
  attributes[semconv().ATTR_SERVER_PORT] = Number(match[2]);
}
