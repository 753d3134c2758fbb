import type { Attributes } from '@opentelemetry/api';
import { otelApi } from './api';
import { beginServerRequest, learnServerRoute, recordServerError, setServerRoute, type ServerRequestState } from './server';
import { isThenable, keepShape, safely } from './safe';
import { learnSite, siteAttributes, type Site } from './site';

// What every framework's handler wrapper shares: find Node's req/res among the arguments, make sure the request has
// its SERVER span, name it by the matched route, and run the handler in the span's context, unchanged.

export const WRAPPED = Symbol.for('autotrace.wrapped');

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

export function isWrapped(value: unknown): boolean {
  return typeof value === 'function' && (value as { [WRAPPED]?: true })[WRAPPED] === true;
}

/** Marks a wrapper so that wrapping it again (code transformed twice, a handler registered twice) returns it as is. */
export function mark<F extends AnyFunction>(fn: F): F {
  Object.defineProperty(fn, WRAPPED, { value: true });
  return fn;
}

/**
 * Runs the handler in the request's context. Entering it is skipped when it is already active, as it is for every
 * layer a framework reaches synchronously from its entry: that saves an AsyncLocalStorage run per layer per request.
 * The arguments go through `context.with`, so no closure is made per call.
 */
export function invokeInContext(handler: AnyFunction, thisArg: unknown, args: unknown[], state: ServerRequestState): unknown {
  const { context } = otelApi();
  if (context.active() === state.context) return invoke(handler, thisArg, args, state);
  return context.with(state.context, invoke, undefined, handler, thisArg, args, state);
}

/** `fn.apply(thisArg, args)` in the request's context; entered only when it is not already active. */
export function applyInContext(state: ServerRequestState, fn: AnyFunction, thisArg: unknown, args: unknown[]): unknown {
  const { context } = otelApi();
  if (context.active() === state.context) return fn.apply(thisArg, args);
  return context.with(state.context, Reflect.apply, undefined, fn, thisArg, args);
}

/** Calls the user's handler unchanged, noting a sync throw or async rejection before passing it on as it was. */
export function invoke(handler: AnyFunction, thisArg: unknown, args: unknown[], state: ServerRequestState): unknown {
  let result: unknown;
  try {
    result = handler.apply(thisArg, args);
  } catch (error) {
    recordServerError(state, error);
    throw error;
  }
  if (!isThenable(result)) return result;
  // A derived promise: the caller still sees the same rejection (Express 5 and Koa handle it, Express 4 leaves it
  // unhandled as before), and the error is on the span first.
  return result.then(undefined, (error: unknown) => {
    recordServerError(state, error);
    throw error;
  });
}

/** How a framework hands a request to its handlers. */
export interface HandlerShape {
  /** Node's IncomingMessage and ServerResponse, found among the handler's arguments. */
  exchange(args: unknown[]): { req: unknown; res: unknown } | undefined;
  /** The matched route's full template, when the framework knows it as the handler runs. */
  route?(args: unknown[]): string | undefined;
  /** Functions the framework inspects (a nested router, a sub-app): wrapping them would change what it does. */
  leaveAlone?(fn: AnyFunction): boolean;
  /** The handler answers the request (a route handler, a node:http listener), not middleware on the way. */
  readonly endpoint: boolean;
  /** Wrapped at run time, not at a site the build saw: its route yields to one a build-time wrapper names. */
  readonly learned?: boolean;
}

/**
 * An endpoint's code location (code.*) for its SERVER span. Built when the handler is wrapped, but its attributes
 * are computed on the first span that records: the keys come from the conventions package, which a process without
 * an SDK never needs to load.
 */
export interface EndpointLocation {
  readonly site: Site;
  attributes?: Attributes;
}

export function endpointOf(site: Site | undefined): EndpointLocation | undefined {
  return site ? { site } : undefined;
}

/** The endpoint's code location goes on the SERVER span (code.*), baked in at build time. */
export function markEndpoint(state: ServerRequestState, endpoint: EndpointLocation | undefined): void {
  // Not for a span that records nothing (no SDK), nor twice for the same endpoint (every layer of a route).
  if (!endpoint || state.endpoint === endpoint) return;
  state.endpoint = endpoint;
  try {
    if (!state.span.isRecording()) return;
    if (!endpoint.attributes) {
      const attributes: Attributes = {};
      safely(() => siteAttributes(endpoint.site, attributes), undefined);
      endpoint.attributes = attributes;
    }
    state.span.setAttributes(endpoint.attributes);
  } catch {
    // the span goes without its code location
  }
}

/** Wraps one handler (or each handler of an array) of a framework described by `shape`. */
export function wrapHandlers<H>(value: H, shape: HandlerShape, site: Site | undefined): H {
  safely(() => learnSite(site), undefined);
  if (Array.isArray(value)) return value.map((item) => wrapHandlers(item, shape, site)) as H;
  if (typeof value !== 'function' || isWrapped(value)) return value;
  const handler = value as unknown as AnyFunction;
  if (shape.leaveAlone?.(handler)) return value;
  const endpoint = shape.endpoint ? endpointOf(site) : undefined;
  const wrapper = function (this: unknown, ...args: unknown[]) {
    const exchange = safely(() => shape.exchange(args), undefined);
    const state = exchange && beginServerRequest(exchange.req, exchange.res);
    if (!state) return handler.apply(this, args);
    const route = shape.route && safely(() => shape.route!(args), undefined);
    if (route) (shape.learned ? learnServerRoute : setServerRoute)(state, route);
    markEndpoint(state, endpoint);
    return invokeInContext(handler, this, args, state);
  };
  return mark(keepShape(wrapper, handler)) as unknown as H;
}

/**
 * Wraps a framework's per-request entry (Koa's `handleRequest`, Hono's `fetch`, Fastify's server listener) so that
 * every request reaching it gets its SERVER span and runs in the span's context, 404s included. `entered`, when
 * given, is told of each request's state and the entry's arguments (to read the route there when the span ends); it
 * must not throw.
 */
export function servedInSpan<F extends AnyFunction>(
  entry: F,
  exchange: HandlerShape['exchange'],
  entered?: (state: ServerRequestState, args: unknown[]) => void,
): F {
  const wrapper = function (this: unknown, ...args: unknown[]) {
    const pair = safely(() => exchange(args), undefined);
    const state = pair && beginServerRequest(pair.req, pair.res);
    if (!state) return entry.apply(this, args);
    // Called bare, not through safely(): it only records what it is given, and a closure per request would cost more.
    if (entered) entered(state, args);
    return applyInContext(state, entry, this, args);
  };
  return mark(keepShape(wrapper, entry)) as unknown as F;
}
