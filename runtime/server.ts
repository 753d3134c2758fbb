import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Attributes, Context, Span, SpanKind, TextMapGetter } from '@opentelemetry/api';
import { carriesTraceContext, invalidSpan, otelApi, otelInUse } from './api';
import { semconv } from './semconv';
import { ensureBootstrapped, recordingTracer } from './bootstrap';
import { expressRouteAtEnd, type ExpressRequestLike } from './express-route';
import { defaultPort, methodAttributes, normalizeMethod, redactQuery, splitAuthority, type Method } from './http-semconv';
import { safely } from './safe';
import type { EndpointLocation } from './handler';

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

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

/**
 * The state of a request from now on: its span, the context its handlers run in, the route still to learn. Every
 * field is set here, so that every request's state keeps one shape as wrappers fill it in.
 */
function track(req: object, span: Span, runIn: Context, method: Method, ended: boolean): ServerRequestState {
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
    return adoptActiveServerSpan(req) ?? startServerSpan(req, res);
  } catch {
    return undefined;
  }
}

/**
 * One SERVER span per request: when another instrumentation (a user who also runs instrumentation-http) already
 * started one and made it active, autotrace names and enriches that span instead of starting a second. The kind and
 * scope are read from the SDK's span object; the API's Span interface does not expose them.
 */
function adoptActiveServerSpan(req: IncomingMessage): ServerRequestState | undefined {
  const { context, ROOT_CONTEXT, trace, SpanKind } = otelApi();
  const active = context.active();
  if (active === ROOT_CONTEXT) return undefined;
  const span = trace.getSpan(active) as (Span & SdkSpanFields) | undefined;
  if (!span || !span.isRecording() || span.kind !== SpanKind.SERVER) return undefined;
  const scope = span.instrumentationScope ?? span.instrumentationLibrary;
  if (scope?.name === 'autotrace') return undefined;
  // No end listeners: the span is its owner's to end.
  return track(req, span, active, normalizeMethod(req.method), false);
}

/** What SDK 2.x/3.x spans (ReadableSpan) carry beyond the API's Span; 1.x named the scope instrumentationLibrary. */
interface SdkSpanFields {
  kind?: SpanKind;
  instrumentationScope?: { name?: string };
  instrumentationLibrary?: { name?: string };
}

function startServerSpan(req: IncomingMessage, res: ServerResponse): ServerRequestState {
  ensureBootstrapped();
  const { propagation, ROOT_CONTEXT, SpanKind, trace } = otelApi();
  const method = normalizeMethod(req.method);
  const parent = propagation.extract(ROOT_CONTEXT, req.headers, headerGetter);
  const tracer = recordingTracer();
  if (!tracer) return carryOnly(req, parent, method);
  const span = tracer.startSpan(
    method.spanName,
    { kind: SpanKind.SERVER, attributes: requestAttributes(req, method) },
    parent,
  );
  const state = track(req, span, trace.setSpan(parent, span), method, false);
  // 'close' follows 'finish' for every response (and also comes alone when the connection drops): one listener, the
  // same function for every response (it finds the state from the response), so no closure is made per request.
  if ((res as { req?: unknown }).req === req) res.on('close', onResponseClose);
  else res.once('close', () => safely(() => endServerSpan(state, req, res), undefined)); // a response that does not name its request
  return state;
}

/** The one 'close' listener of every response whose span autotrace started. */
function onResponseClose(this: ServerResponse): void {
  try {
    const req = this.req;
    const state = serverStateOf(req);
    if (state) endServerSpan(state, req, this);
  } catch {
    // tracing must never break the response
  }
}

/**
 * No SDK: the request runs in the extracted context, whose remote span is what outbound calls propagate as their
 * parent (as the API's no-op span would), and nothing else is done: no span, no attributes, no listener.
 */
function carryOnly(req: IncomingMessage, parent: Context, method: Method): ServerRequestState {
  return track(req, otelApi().trace.getSpan(parent) ?? invalidSpan(), parent, method, true);
}

function requestAttributes(req: IncomingMessage, method: Method): Attributes {
  const keys = semconv();
  const attributes: Attributes = {};
  methodAttributes(req.method, method, attributes);
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  attributes[keys.ATTR_URL_PATH] = queryAt === -1 ? url : url.slice(0, queryAt);
  if (queryAt !== -1) attributes[keys.ATTR_URL_QUERY] = redactQuery(url.slice(queryAt + 1));
  const scheme = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
  attributes[keys.ATTR_URL_SCHEME] = scheme;
  const host = req.headers.host;
  if (host) {
    const authority = splitAuthority(host);
    attributes[keys.ATTR_SERVER_ADDRESS] = authority.host;
    attributes[keys.ATTR_SERVER_PORT] = authority.port ?? defaultPort(scheme);
  }
  const peer = req.socket?.remoteAddress;
  if (peer) {
    attributes[keys.ATTR_CLIENT_ADDRESS] = peer;
    attributes[keys.ATTR_NETWORK_PEER_ADDRESS] = peer;
    if (req.socket.remotePort) attributes[keys.ATTR_NETWORK_PEER_PORT] = req.socket.remotePort;
  }
  const userAgent = req.headers['user-agent'];
  if (userAgent) attributes[keys.ATTR_USER_AGENT_ORIGINAL] = userAgent;
  if (req.httpVersion) attributes[keys.ATTR_NETWORK_PROTOCOL_VERSION] = req.httpVersion;
  return attributes;
}

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

/**
 * The last chance to name a span no wrapper named: the framework's matched route as the response ends. Express's is
 * on the request (`req.route`, `req.baseUrl`), so a span the run-time net started for an Express app the build never
 * saw (a Nest app) is named too.
 */
function nameAtEnd(state: ServerRequestState, req: IncomingMessage): void {
  if (state.routeFrom === BUILD_TIME) return;
  let route: string | undefined;
  try {
    route = state.routeAtEnd ? state.routeAtEnd(state.routeHolder) : expressRouteAtEnd(state, req as ExpressRequestLike);
  } catch {
    return; // a getter of the framework's that throws: the span keeps the name it has
  }
  if (route) learnServerRoute(state, route);
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

function endServerSpan(state: ServerRequestState, req: IncomingMessage, res: ServerResponse): void {
  if (state.ended) return;
  state.ended = true;
  try {
    nameAtEnd(state, req);
    describeOutcome(state, res);
  } finally {
    state.span.end();
  }
}

function describeOutcome(state: ServerRequestState, res: ServerResponse): void {
  const { span } = state;
  if (res.headersSent) {
    const status = res.statusCode;
    span.setAttribute(semconv().ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    // Server spans: 5xx is an error, 4xx is the client's (HTTP semantic conventions, "Status").
    if (status >= 500) {
      span.setAttribute(semconv().ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: otelApi().SpanStatusCode.ERROR });
    }
  } else if (state.lastError !== undefined) {
    span.setAttribute(semconv().ATTR_ERROR_TYPE, errorTypeOf(state.lastError));
    span.setStatus({ code: otelApi().SpanStatusCode.ERROR });
  }
}

function isIncomingMessage(value: unknown): value is IncomingMessage {
  return typeof value === 'object' && value !== null && typeof (value as IncomingMessage).headers === 'object';
}

function isServerResponse(value: unknown): value is ServerResponse {
  return typeof value === 'object' && value !== null && typeof (value as ServerResponse).once === 'function';
}
