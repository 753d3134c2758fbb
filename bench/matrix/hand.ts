import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type expressModule from 'express';
import type { NextFunction, Request, Response } from 'express';

// The same service traced by hand with @opentelemetry/api, as a careful engineer would: one SERVER span per request
// (extracted parent, route name, status), one CLIENT span per fetch (injected headers). The bar autotrace is held to.
// `spans: 'minimal'` (variant H) records the few attributes a person might stop at; `'as-autotrace'` (variant F)
// records every attribute autotrace's spans carry (the HTTP conventions' Required and Recommended ones, code.*,
// url.template), so that C against F compares the machinery and C against H adds what the attributes cost.
const tracer = trace.getTracer('hand-written');

export type SpanAttributes = 'minimal' | 'as-autotrace' | 'at-app-entry';

/** The request's attributes beyond method, path and scheme that autotrace's SERVER spans carry. */
function connectionAttributes(req: Request, attributes: Attributes): void {
  const [host, port] = (req.headers.host ?? '').split(':');
  attributes['server.address'] = host;
  attributes['server.port'] = port ? Number(port) : 80;
  attributes['client.address'] = req.socket.remoteAddress;
  attributes['network.peer.address'] = req.socket.remoteAddress;
  attributes['network.peer.port'] = req.socket.remotePort;
  attributes['user_agent.original'] = req.headers['user-agent'];
  attributes['network.protocol.version'] = req.httpVersion;
}

/** The route handler's code location (code.*), made once per route. */
function codeAttributes(line: number): Attributes {
  return { 'code.file.path': 'bench/matrix/hand.ts', 'code.line.number': line, 'code.column.number': 21 };
}

function serverSpan(route: string, spans: SpanAttributes, line: number) {
  const code = codeAttributes(line);
  return (req: Request, res: Response, next: NextFunction) => {
    const parent = propagation.extract(context.active(), req.headers);
    const attributes: Attributes = { 'http.request.method': 'GET', 'http.route': route, 'url.path': req.path, 'url.scheme': 'http' };
    if (spans === 'as-autotrace') {
      connectionAttributes(req, attributes);
      Object.assign(attributes, code);
    }
    const span = tracer.startSpan(`GET ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

// HAND_FETCH_IN_CONTEXT=1: the service's hand-written fetch also runs in a context of its own, as autotrace's does (its
// span as parent, and the mark autotrace's net reads): to see what that context costs apart from autotrace's code.
const FETCH_IN_OWN_CONTEXT = Boolean(process.env.HAND_FETCH_IN_CONTEXT);
const BUILD_CALL = Symbol.for('autotrace.build-call');

type Transport = (url: string, init: { headers: Record<string, string> }) => Promise<{ status: number }>;

export interface FetchChoices {
  /** What sends the request: the global fetch in the service; a stub in bench/client-micro.cjs. */
  transport?: Transport;
  /** Whether the request is sent in a context of its own (see HAND_FETCH_IN_CONTEXT). */
  ownContext?: boolean;
}

export async function tracedFetch<R extends { status: number } = globalThis.Response>(
  url: string,
  spans: SpanAttributes,
  { transport = fetch as Transport, ownContext = FETCH_IN_OWN_CONTEXT }: FetchChoices = {},
): Promise<R> {
  const attributes: Attributes = { 'http.request.method': 'GET', 'url.full': url };
  let name = 'GET';
  if (spans === 'as-autotrace') {
    const parsed = new URL(url);
    name = 'GET /data';
    attributes['server.address'] = parsed.hostname;
    attributes['server.port'] = Number(parsed.port);
    attributes['code.file.path'] = 'bench/matrix/hand.ts';
    attributes['code.line.number'] = 77;
    attributes['code.column.number'] = 28;
    attributes['code.function.name'] = 'createApp';
    attributes['url.template'] = '/data';
  }
  const span: Span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  try {
    const init = { headers };
    const sent = ownContext
      ? context.with(trace.setSpan(context.active(), span).setValue(BUILD_CALL, true), transport, undefined, url, init)
      : transport(url, init);
    const response = (await sent) as R;
    span.setAttribute('http.response.status_code', response.status);
    return response;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * `'at-app-entry'` (variant G): autotrace's span and attributes, started where autotrace starts it, by hand: when the
 * request enters the app (so a 404 or a middleware's answer has its span too), named by the route's handler, ended on
 * 'close'. C against G is autotrace's machinery alone; G against F what starting at the app's entry costs.
 */
const ENTRY = Symbol('hand-written span');
type EntryRequest = Request & { [ENTRY]?: { span: Span } };

function spanFromAppEntry(app: ReturnType<typeof expressModule>) {
  const handle = (app as unknown as { handle: (req: EntryRequest, res: Response, next?: NextFunction) => void }).handle;
  (app as unknown as { handle: typeof handle }).handle = function (this: unknown, req, res, next) {
    const parent = propagation.extract(context.active(), req.headers);
    const queryAt = req.url.indexOf('?');
    const attributes: Attributes = { 'http.request.method': 'GET', 'url.path': queryAt === -1 ? req.url : req.url.slice(0, queryAt), 'url.scheme': 'http' };
    connectionAttributes(req, attributes);
    const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes }, parent);
    req[ENTRY] = { span };
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    return context.with(trace.setSpan(parent, span), handle, this, req, res, next);
  };
}

function nameAtRoute(route: string, line: number) {
  const code = codeAttributes(line);
  return (req: EntryRequest, _res: Response, next: NextFunction) => {
    const span = req[ENTRY]?.span;
    if (span) {
      span.updateName(`GET ${route}`);
      span.setAttribute('http.route', route);
      span.setAttributes(code);
    }
    next();
  };
}

export function createApp(express: typeof expressModule, downstream: string, spans: SpanAttributes = 'minimal') {
  const app = express();
  const atEntry = spans === 'at-app-entry';
  if (atEntry) spanFromAppEntry(app);
  // The middleware in front of each route: its SERVER span, or (G) the name and code location of the one begun at entry.
  const inFront = (route: string, line: number) => (atEntry ? nameAtRoute(route, line) : serverSpan(route, spans, line));
  app.get('/small', inFront('/small', 73), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/fetch', inFront('/fetch', 76), async (_req, res) => {
    const response = await tracedFetch(`${downstream}/data`, atEntry ? 'as-autotrace' : spans);
    res.json({ status: response.status, body: await response.text() });
  });
  return app;
}
