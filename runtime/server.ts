import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Span } from '@opentelemetry/api';
import { carriesTraceContext, loadOnce, otelInUse } from './api';
import { semconv } from './semconv';
import type { Method } from './http-semconv';
import { safely } from './safe';
import type { EndpointLocation } from './handler';
import type * as ServerSpanModule from './server-span';

// A request's state and what every wrapper asks of it on every request: found on the request, or begun when
// something can record or the request brings trace context. Starting and ending the span itself (the request's
// attributes, the response's outcome: runtime/server-span.ts and the modules it loads) is required on the first
// request that needs a span, so a service without an SDK never loads it, and one with an SDK loads it on its first
// request rather than at startup, as the run-time net does (runtime/net/index.ts).

/** What autotrace keeps for one incoming request, whichever framework's wrapper saw it first. */
export interface ServerRequestState {
  readonly span: Span;
  /** The context handlers run in: the extracted parent plus the SERVER span. */
  readonly context: Context;
  readonly method: Method;
  /** Route template of the routers/sub-apps entered so far (`/api/users`), without the matched route itself. */
  mountTemplate: string;
  /** The concrete `req.baseUrl` that `mountTemplate` stands for, to learn a mount whose template is not known. */
  mountBase: string;
  /** Who named the span; a handler wrapped at build time wins over the framework's run-time answer. */
  routeFrom: RouteOrigin;
  /** Reads the framework's matched route when the span ends, if nothing named it before (Koa's `ctx`). */
  routeAtEnd: RouteReader | undefined;
  /** What `routeAtEnd` reads: the framework's per-request object. */
  routeHolder: unknown;
  /** Express: the Route a name was learned for as the request left a mount, and that name. */
  expressRoute: unknown;
  expressRouteName: string | undefined;
  /** The route template the span is named by, once known (the run-time record reads it). */
  route: string | undefined;
  /** The endpoint last marked on the span (runtime/handler.ts markEndpoint), so one endpoint sets its code.* once. */
  endpoint: EndpointLocation | undefined;
  lastError: unknown;
  ended: boolean;
  /** A build-time wrapper reached the request after the run-time net began it (the run-time record counts the rest). */
  reachedByBuild: boolean;
}

/** Who named a span: nobody yet (0), the framework at run time (1), a handler wrapped at build time (2). */
export type RouteOrigin = 0 | 1 | 2;
const NOT_NAMED = 0;
const RUN_TIME = 1;
export const BUILD_TIME = 2;

/** Reads a framework's matched route template from its per-request object; undefined when nothing matched. */
export type RouteReader = (holder: unknown) => string | undefined;

// Per request, and shared by every copy of this runtime in the process (a bundle carries one, node_modules another,
// and `--import autotrace/otel` starts the run-time net from the latter): whichever copy begins a request, the others
// find its state, so a request keeps one SERVER span. The state hangs on the request as a private class field: the
// app cannot see it (no key to enumerate, copy, serialise or inspect), the garbage collector treats it as any field
// (a WeakMap entry per request cost it more than the rest of the state together), and adding it is a plain store
// (`Object.defineProperty` with a hidden symbol was a runtime call of 0.3–0.4 µs a request, the largest single line
// of the server path on Node 24). Only the class that declares a private field can read it, so the first copy of
// the runtime publishes its class's two functions under a global symbol and every later copy uses them. The key
// names the state's shape: a runtime whose state differs keeps one of its own.
const STAMP_KEY = Symbol.for('autotrace.server-request-state.v4');

interface RequestStamp {
  stamp(req: object, state: ServerRequestState): void;
  read(req: object): ServerRequestState | undefined;
}

/** A constructor that returns the object it is given: a subclass's fields are then added to that object. */
const ReturnsItsArgument = function (target: object) {
  return target;
} as unknown as new (target: object) => object;

function newRequestStamp(): RequestStamp {
  class Stamped extends ReturnsItsArgument {
    #state: ServerRequestState;
    constructor(req: object, state: ServerRequestState) {
      super(req);
      this.#state = state;
    }
    static read(req: object): ServerRequestState | undefined {
      return #state in req ? (req as Stamped).#state : undefined;
    }
  }
  return { stamp: (req, state) => void new Stamped(req, state), read: Stamped.read };
}

function sharedRequestStamp(): RequestStamp {
  const holder = globalThis as { [STAMP_KEY]?: Partial<RequestStamp> };
  const published = holder[STAMP_KEY];
  if (typeof published?.stamp === 'function' && typeof published.read === 'function') return published as RequestStamp;
  const stamp = newRequestStamp();
  try {
    Object.defineProperty(globalThis, STAMP_KEY, { value: stamp });
  } catch {
    // a global that cannot take it: this copy keeps its own
  }
  return stamp;
}

const requestStamp = sharedRequestStamp();
// Where the field cannot be added (an object the engine will not extend, which Node's requests never are).
const fallbackStates = new WeakMap<object, ServerRequestState>();

/**
 * The state of a request from now on: its span, the context its handlers run in, the route still to learn. Every
 * field is set here, so that every request's state keeps one shape as wrappers fill it in.
 */
export function track(req: object, span: Span, runIn: Context, method: Method, ended: boolean): ServerRequestState {
  const state: ServerRequestState = {
    span,
    context: runIn,
    method,
    mountTemplate: '',
    mountBase: '',
    routeFrom: NOT_NAMED,
    routeAtEnd: undefined,
    routeHolder: undefined,
    expressRoute: undefined,
    expressRouteName: undefined,
    route: undefined,
    endpoint: undefined,
    lastError: undefined,
    ended,
    reachedByBuild: false,
  };
  try {
    requestStamp.stamp(req, state);
  } catch {
    fallbackStates.set(req, state);
  }
  return state;
}

export function serverStateOf(req: unknown): ServerRequestState | undefined {
  if (typeof req !== 'object' || req === null) return undefined;
  return requestStamp.read(req) ?? (Object.isExtensible(req) ? undefined : fallbackStates.get(req));
}

/**
 * Starts the one SERVER span of a request, or returns the one already started for it (by the app wrapper, an outer
 * app, or an earlier handler). Returns undefined when `req`/`res` are not Node's HTTP objects or tracing failed.
 */
export function beginServerRequest(req: unknown, res: unknown): ServerRequestState | undefined {
  const existing = serverStateOf(req);
  if (existing) {
    existing.reachedByBuild = true;
    return existing;
  }
  return beginNewServerRequest(req, res);
}

/** `beginServerRequest` for a caller that has just found no state on the request (an app's entry asks first). */
export function beginNewServerRequest(req: unknown, res: unknown): ServerRequestState | undefined {
  if (!isIncomingMessage(req) || !isServerResponse(res)) return undefined;
  // Nothing registered with OpenTelemetry and no trace brought in: no span, no context to carry, nothing to do.
  if (!otelInUse() && !carriesTraceContext(req.headers)) return undefined;
  try {
    return serverSpans().startServerRequest(req, res);
  } catch {
    return undefined;
  }
}

// A literal path, so that bundlers still find and include the module.
const serverSpans = loadOnce(() => require('./server-span') as typeof ServerSpanModule);

/**
 * Names the span after the route template a handler wrapped at build time matched: `GET /api/users/:id`. The last
 * route to match wins.
 */
export function setServerRoute(state: ServerRequestState, route: string): void {
  state.routeFrom = BUILD_TIME;
  nameByRoute(state, route);
}

/**
 * Names the span after a route template the framework matched at run time, where no handler wrapped at build time
 * named it (a router from a package, a dynamic registration, a server only the run-time net saw). A template from
 * the build always wins; among run-time ones, the last wins.
 */
export function learnServerRoute(state: ServerRequestState, route: string): void {
  if (state.routeFrom === BUILD_TIME) return;
  state.routeFrom = RUN_TIME;
  nameByRoute(state, route);
}

/**
 * Asks for the framework's matched route to be read from `holder` when the span ends, if nothing named the span by
 * then: for frameworks that keep it on their own per-request object (Koa's `ctx`), which the end cannot reach from
 * Node's request. Express needs no call: its route is read from the request itself.
 */
export function readRouteAtEnd(state: ServerRequestState, reader: RouteReader, holder: unknown): void {
  state.routeAtEnd = reader;
  state.routeHolder = holder;
}

function nameByRoute(state: ServerRequestState, route: string): void {
  if (state.route === route) return; // named so already (every handler of a route names it again)
  state.route = route;
  try {
    // A span that records nothing (no SDK: the request only carries its context) is not named.
    if (!state.span.isRecording()) return;
    state.span.setAttribute(semconv().ATTR_HTTP_ROUTE, route);
    state.span.updateName(spanNameOf(state.method, route));
  } catch {
    // the span keeps the name it has
  }
}

// `GET /users/:id`, made once per method and route template, not per request. Templates come from the code (the
// build's sites, the framework's route table), so the map stays as small as the code; a bound keeps it so whatever
// a framework reports.
const spanNames = new Map<string, Map<string, string>>();
const MAX_SPAN_NAMES = 10_000;
let spanNameCount = 0;

function spanNameOf(method: Method, route: string): string {
  let names = spanNames.get(method.spanName);
  if (!names) spanNames.set(method.spanName, (names = new Map()));
  let name = names.get(route);
  if (name === undefined) {
    name = `${method.spanName} ${route}`;
    if (spanNameCount < MAX_SPAN_NAMES) {
      spanNameCount++;
      names.set(route, name);
    }
  }
  return name;
}

/** Records an error a handler threw, rejected with, or passed to `next`; each error object once. */
export function recordServerError(state: ServerRequestState, error: unknown): void {
  if (error === undefined || error === null || error === state.lastError) return;
  state.lastError = error;
  safely(() => {
    if (typeof error === 'string' || typeof error === 'object') state.span.recordException(error as Error);
  }, undefined);
}

// Constructor names that say less than the error's own `name` (a DOMException's name is `AbortError`, `TimeoutError`).
const GENERIC_CONSTRUCTORS = new Set(['Object', 'Error', 'DOMException']);

/** error.type for an exception: its class, as the conventions ask ("the exception type"). */
export function errorTypeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const ctorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctorName === 'string' && ctorName && !GENERIC_CONSTRUCTORS.has(ctorName)) return ctorName;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
    if (typeof ctorName === 'string' && ctorName) return ctorName;
  }
  return '_OTHER';
}

function isIncomingMessage(value: unknown): value is IncomingMessage {
  return typeof value === 'object' && value !== null && typeof (value as IncomingMessage).headers === 'object';
}

function isServerResponse(value: unknown): value is ServerResponse {
  return typeof value === 'object' && value !== null && typeof (value as ServerResponse).once === 'function';
}
