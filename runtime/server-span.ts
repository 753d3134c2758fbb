import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Attributes, Context, Span, SpanKind, TextMapGetter } from '@opentelemetry/api';
import { invalidSpan, otelApi } from './api';
import { semconv } from './semconv';
import { ensureBootstrapped, recordingTracer } from './bootstrap';
import { expressRouteAtEnd, type ExpressRequestLike } from './express-route';
import { defaultPort, methodAttributes, normalizeMethod, redactQuery, splitAuthority, type Method } from './http-semconv';
import { safely } from './safe';
import { BUILD_TIME, errorTypeOf, learnServerRoute, serverStateOf, track, type ServerRequestState } from './server';

// A request's SERVER span from start to end: the span started (or another instrumentation's adopted) with the
// request's attributes, and ended with the response's outcome. Required by runtime/server.ts on the first request
// that needs a span; what the wrappers ask of a request's state on every request stays there. The two import each
// other, but server.ts requires this module only from inside a function, once it has loaded, so neither ever meets
// the other half-loaded.

/** Starts the request's SERVER span, or adopts the one another instrumentation made active, and returns its state. */
export function startServerRequest(req: IncomingMessage, res: ServerResponse): ServerRequestState {
  return adoptActiveServerSpan(req) ?? startServerSpan(req, res);
}

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

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
