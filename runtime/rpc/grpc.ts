import { context, SpanKind, SpanStatusCode, type Attributes, type TextMapGetter } from '@opentelemetry/api';
import { endHopWithError, extractFrom, injectInto, startReceivingHop, startSendingHop, type Hop } from '../messaging/span';
import { keepShape, safely } from '../safe';
import type { Site } from '../site';
import { semconv } from '../semconv';
import { ATTR_RPC_GRPC_STATUS_CODE, ATTR_RPC_METHOD, ATTR_RPC_SERVICE, ATTR_RPC_SYSTEM, RPC_SYSTEM_VALUE_GRPC } from '../messaging/semconv';

// gRPC (@grpc/grpc-js). Clients: emitted code gives a client's constructor its options through
// `__autotrace.grpcClientOptions(options, site)`, which returns a copy with one more interceptor in front of the
// user's: every call the client makes (unary or streaming, through a stub from proto-loader or `makeUnaryRequest`)
// gets a CLIENT span and carries the trace context in a copy of its metadata. Servers: `server.addService(service,
// __autotrace.grpcService(implementation, site))` gives each handler a SERVER span, child of the context the call's
// metadata carried. Nothing here loads @grpc/grpc-js: interceptors and calls are used by their documented shapes.

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

// gRPC status codes (error.type is the code as a string, as the RPC conventions ask).
const OK = 0;
const CANCELLED = 1;
const UNKNOWN = 2;
/** The codes the RPC conventions count as a server's own failure; a client marks every code but OK as an error. */
const SERVER_ERRORS = new Set([UNKNOWN, 4, 12, 13, 14, 15]);

interface MetadataLike {
  get?: (key: string) => unknown[];
  set?: (key: string, value: string) => void;
  getMap?: () => Record<string, unknown>;
  clone?: () => MetadataLike;
}
interface StatusLike {
  code?: unknown;
  details?: unknown;
}
interface ListenerLike {
  onReceiveMetadata?: (metadata: unknown) => void;
  onReceiveMessage?: (message: unknown) => void;
  onReceiveStatus?: (status: StatusLike) => void;
}
interface CallLike {
  start(metadata: MetadataLike, listener?: ListenerLike): void;
  [method: string]: unknown;
}
type NextCall = (options: unknown) => CallLike;

const metadataGetter: TextMapGetter<MetadataLike> = {
  keys: (carrier) => Object.keys(carrier.getMap?.() ?? {}),
  get: (carrier, key) => {
    const value = carrier.get?.(key)?.[0];
    return typeof value === 'string' ? value : undefined;
  },
};

/** `{service}/{method}` and the rpc.* attributes of a method path (`/helloworld.Greeter/SayHello`). */
function rpcOf(path: unknown): { name: string; attributes: Attributes } {
  const attributes: Attributes = { [ATTR_RPC_SYSTEM]: RPC_SYSTEM_VALUE_GRPC };
  const match = typeof path === 'string' ? /^\/?([^/]+)\/([^/]+)$/.exec(path) : null;
  if (!match) return { name: typeof path === 'string' && path ? path : 'grpc', attributes };
  attributes[ATTR_RPC_SERVICE] = match[1]!;
  attributes[ATTR_RPC_METHOD] = match[2]!;
  return { name: `${match[1]}/${match[2]}`, attributes };
}

/** server.address and server.port of a channel target (`dns:///host:port`, `ipv4:1.2.3.4:50051`, `host:port`). */
function targetAttributes(target: unknown, attributes: Attributes): void {
  if (typeof target !== 'string' || target.startsWith('unix:')) return;
  const rest = target.replace(/^[a-z][a-z0-9+.-]*:(?:\/\/[^/]*\/)?/i, '').replace(/^\/+/, '');
  const first = rest.split(',')[0]!;
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(first) ?? /^([^:]+)(?::(\d+))?$/.exec(first);
  if (!match) return;
  attributes[semconv().ATTR_SERVER_ADDRESS] = match[1]!;
  if (match[2] !== undefined) attributes[semconv().ATTR_SERVER_PORT] = Number(match[2]);
}

function statusCodeOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16 ? code : UNKNOWN;
}

/** Ends an rpc span with its status: `rpc.grpc.status_code`, an error where the side's conventions say so. */
function endWithStatus(hop: Hop, code: number, isError: boolean, message: unknown, error?: unknown): void {
  const span = hop.span;
  if (span.isRecording()) {
    span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
    if (isError) {
      if (error !== undefined) span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, ...(typeof message === 'string' && message ? { message } : {}) });
      span.setAttribute(semconv().ATTR_ERROR_TYPE, String(code));
    }
  }
  span.end();
}

/**
 * A client's options with autotrace's interceptor first (so its span covers the user's interceptors), and a call
 * invocation transformer that learns the channel's target for server.address. The caller's object is copied.
 */
export function grpcClientOptions<O>(options: O, site?: Site): O {
  return (safely(() => withInterceptor(options as unknown as Record<string, unknown> | undefined, site), undefined) ?? options) as O;
}

function withInterceptor(options: Record<string, unknown> | undefined, site: Site | undefined): Record<string, unknown> | undefined {
  if (options !== undefined && (options === null || typeof options !== 'object')) return undefined;
  const theirs = options?.interceptors;
  if (theirs !== undefined && !Array.isArray(theirs)) return undefined;
  const target: { value?: unknown } = {};
  const userTransformer = options?.callInvocationTransformer;
  if (userTransformer !== undefined && typeof userTransformer !== 'function') return undefined;
  const callInvocationTransformer = function (this: unknown, properties: { channel?: { getTarget?: () => unknown } }) {
    target.value ??= safely(() => properties?.channel?.getTarget?.(), undefined);
    return userTransformer ? (userTransformer as AnyFunction).call(this, properties) : properties;
  };
  return { ...options, interceptors: [clientInterceptor(target, site), ...(theirs ?? [])], callInvocationTransformer };
}

function clientInterceptor(target: { value?: unknown }, site: Site | undefined) {
  return (options: { method_definition?: { path?: unknown } } | undefined, nextCall: NextCall): CallLike => {
    const next = nextCall(options);
    const call: CallLike = Object.create(next);
    // Every other method (sendMessage, halfClose, cancelWithStatus, getPeer, …) is the next call's own.
    for (const method of ['cancelWithStatus', 'getPeer', 'sendMessageWithContext', 'sendMessage', 'startRead', 'halfClose', 'getAuthContext']) {
      const real = next[method];
      if (typeof real === 'function') call[method] = (...args: unknown[]) => (real as AnyFunction).apply(next, args);
    }
    call.start = (metadata, listener) => {
      const started = safely(() => {
        const { name, attributes } = rpcOf(options?.method_definition?.path);
        targetAttributes(target.value, attributes);
        const hop = startSendingHop(SpanKind.CLIENT, name, attributes, site);
        // A copy: the caller may reuse its Metadata object for other calls.
        const carried = typeof metadata?.clone === 'function' ? metadata.clone() : metadata;
        if (typeof carried?.set === 'function') injectInto(hop, carried, { set: (carrier, key, value) => carrier.set!(key, value) });
        return { hop, carried };
      }, undefined);
      if (!started) return next.start(metadata, listener);
      const { hop, carried } = started;
      let ended = false;
      const traced: ListenerLike = {
        onReceiveMetadata: (m) => listener?.onReceiveMetadata?.(m),
        onReceiveMessage: (m) => listener?.onReceiveMessage?.(m),
        onReceiveStatus: (status) => {
          if (!ended) {
            ended = true;
            safely(() => {
              const code = statusCodeOf(status);
              endWithStatus(hop, code, code !== OK, status?.details);
            }, undefined);
          }
          listener?.onReceiveStatus?.(status);
        },
      };
      try {
        context.with(hop.context, () => next.start(carried, traced));
      } catch (error) {
        if (!ended) safely(() => endHopWithError(hop, error), undefined);
        throw error;
      }
    };
    return call;
  };
}

/**
 * A service implementation whose handlers each get a SERVER span. The caller's object is not changed: the result
 * inherits from it, with a traced wrapper for each method (own or inherited), which runs the original with the
 * original object as `this`.
 */
export function grpcService<I>(implementation: I, site?: Site): I {
  return (safely(() => tracedImplementation(implementation as unknown as object, site), undefined) ?? implementation) as I;
}

function tracedImplementation(implementation: object, site: Site | undefined): object | undefined {
  if (implementation === null || typeof implementation !== 'object') return undefined;
  const traced = Object.create(implementation) as Record<string, unknown>;
  const seen = new Set<string>();
  for (let owner: object | null = implementation; owner && owner !== Object.prototype; owner = Object.getPrototypeOf(owner)) {
    for (const name of Object.getOwnPropertyNames(owner)) {
      if (seen.has(name) || name === 'constructor') continue;
      seen.add(name);
      const descriptor = Object.getOwnPropertyDescriptor(owner, name);
      if (descriptor && typeof descriptor.value === 'function') {
        traced[name] = tracedHandler(descriptor.value as AnyFunction, implementation, traced, site);
      }
    }
  }
  return traced;
}

function tracedHandler(handler: AnyFunction, implementation: object, traced: object, site: Site | undefined): AnyFunction {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const self = this === traced ? implementation : this;
    const call = args[0] as { getPath?: () => unknown; metadata?: MetadataLike; once?: (event: string, listener: (...a: unknown[]) => void) => unknown; on?: unknown };
    const hop = safely(() => {
      const { name, attributes } = rpcOf(call?.getPath?.());
      return startReceivingHop(SpanKind.SERVER, name, attributes, extractFrom(call?.metadata, metadataGetter), site);
    }, undefined);
    if (!hop) return handler.apply(self, args);
    let ended = false;
    const finish = (code: number, message?: unknown, error?: unknown) => {
      if (ended) return;
      ended = true;
      safely(() => endWithStatus(hop, code, SERVER_ERRORS.has(code), message, error), undefined);
    };
    const callback = args[1];
    // A call the client cancels may never reach the callback or the stream's end.
    if (typeof call?.once === 'function') safely(() => call.once!('cancelled', () => finish(CANCELLED)), undefined);
    if (typeof callback === 'function') {
      // Unary and client-streaming: the status is what the handler passes to its callback.
      args[1] = keepShape(function (this: unknown, ...result: unknown[]) {
        const error = result[0];
        if (error) finish(statusCodeOf(error), (error as { details?: unknown; message?: unknown }).details ?? (error as { message?: unknown }).message, error);
        else finish(OK);
        return (callback as AnyFunction).apply(this, result);
      }, callback as AnyFunction);
    } else if (typeof call?.once === 'function') {
      // Server-streaming and bidi: the stream ends (OK, or the status of an error emitted on it) or is cancelled.
      // grpc-js listens for 'error' on these streams itself, so listening adds no behaviour.
      let failed: unknown;
      safely(() => {
        call.once!('error', (error: unknown) => (failed = error));
        call.once!('finish', () => (failed === undefined ? finish(OK) : finish(statusCodeOf(failed), (failed as { message?: unknown })?.message, failed)));
      }, undefined);
    }
    try {
      return context.with(hop.context, () => handler.apply(self, args));
    } catch (error) {
      // grpc-js answers a handler that throws with UNKNOWN; the throw goes on as it was.
      finish(UNKNOWN, error instanceof Error ? error.message : undefined, error);
      throw error;
    }
  };
  return keepShape(wrapper, handler);
}
