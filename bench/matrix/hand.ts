import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type expressModule from 'express';
import type { NextFunction, Request, Response } from 'express';

// The same service traced by hand with @opentelemetry/api, as a careful engineer would: one SERVER span per request
// (extracted parent, route name, status), one CLIENT span per fetch (injected headers). The bar autotrace is held to.
const tracer = trace.getTracer('hand-written');

function serverSpan(route: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(`GET ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET', 'http.route': route, 'url.path': req.path, 'url.scheme': 'http' },
    }, parent);
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

async function tracedFetch(url: string): Promise<globalThis.Response> {
  const span: Span = tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET', 'url.full': url } });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  try {
    const response = await fetch(url, { headers });
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

export function createApp(express: typeof expressModule, downstream: string) {
  const app = express();
  app.get('/small', serverSpan('/small'), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/fetch', serverSpan('/fetch'), async (_req, res) => {
    const response = await tracedFetch(`${downstream}/data`);
    res.json({ status: response.status, body: await response.text() });
  });
  return app;
}
