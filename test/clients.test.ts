import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { echoServer } from './helpers/http';
import { assertSpan, installSdk } from './helpers/otel';
import { fixturesDir } from './helpers/paths';

// One contract for every HTTP client: a CLIENT span per call, child of the active span, trace context sent without
// touching the caller's headers, and each outcome (HTTP error, network error, timeout, abort) recorded as the
// conventions say while the caller sees exactly what the client gives it.

const sdk = installSdk();

type CallOptions = { headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number };
type Client = { byId: (base: string, id: string, o?: CallOptions) => Promise<number>; to: (url: string, o: CallOptions) => Promise<number> };

let clients: Record<string, Client>;
let echo: Awaited<ReturnType<typeof echoServer>>;
let closedUrl = '';

beforeAll(async () => {
  ({ clients } = buildFixture<{ clients: Record<string, Client> }>(join(fixturesDir, 'apps', 'clients.ts')));
  echo = await echoServer();
  const closed = await echoServer();
  await closed.close();
  closedUrl = closed.url;
});
afterAll(() => echo.close());
beforeEach(() => {
  sdk.reset();
  echo.seen.length = 0;
});

// The echo server's own SERVER span (the run-time net traces it) may end first: wait for the CLIENT span itself.
async function clientSpan() {
  for (let count = 1; ; count++) {
    const client = (await sdk.waitForSpans(count)).find((s) => s.kind === SpanKind.CLIENT);
    if (client) return client;
  }
}

// axios rejects for 4xx/5xx (validateStatus); the others resolve with the status.
const REJECTS_ON_STATUS = new Set(['axios']);

describe.each(['axios', 'fetch', 'undici.fetch', 'undici.request', 'http.get', 'http.request'])('%s', (name) => {
  const client = () => clients[name]!;

  it('makes a CLIENT span under the active span, named by method and url.template, with code location, and sends its traceparent', async () => {
    const parent = trace.getTracer('test').startSpan('parent');
    const headers = { 'x-caller': 'kept' };
    const status = await context.with(trace.setSpan(context.active(), parent), () => client().byId(echo.url, '42', { headers }));
    parent.end();
    expect(status).toBe(200);
    const span = await clientSpan();
    assertSpan(span, {
      name: 'GET /users/{id}', // `${base}/users/${id}`: the HTTP conventions' {method} {url.template}
      kind: SpanKind.CLIENT,
      parent: parent.spanContext().spanId,
      traceId: parent.spanContext().traceId,
      attributes: {
        'http.request.method': 'GET',
        'url.full': `${echo.url}/users/42`,
        'url.template': '/users/{id}',
        'server.address': '127.0.0.1',
        'server.port': Number(new URL(echo.url).port),
        'http.response.status_code': 200,
        'code.file.path': 'fixtures/apps/clients.ts',
      },
    });
    expect(span.attributes['code.line.number']).toBeGreaterThan(0);
    expect(echo.seen[0]!.traceparent).toBe(`00-${parent.spanContext().traceId}-${span.spanContext().spanId}-01`);
    expect(echo.seen[0]!['x-caller']).toBe('kept');
    expect(headers).toEqual({ 'x-caller': 'kept' });
  });

  it('never overwrites a traceparent the caller set', async () => {
    const own = '00-11111111111111111111111111111111-2222222222222222-01';
    await client().to(`${echo.url}/own`, { headers: { traceparent: own } });
    expect(echo.seen[0]!.traceparent).toBe(own);
  });

  // `to` calls a URL held in a variable: no template, so the span is named by the method alone.
  it('records an HTTP error status as error.type', async () => {
    const outcome = await client().to(`${echo.url}/status/503`, {}).catch((error: { response?: { status: number } }) => error);
    if (REJECTS_ON_STATUS.has(name)) expect((outcome as { response?: { status: number } }).response?.status).toBe(503);
    else expect(outcome).toBe(503);
    assertSpan(await clientSpan(), {
      name: 'GET',
      kind: SpanKind.CLIENT,
      status: SpanStatusCode.ERROR,
      attributes: { 'http.response.status_code': 503, 'error.type': '503' },
    });
  });

  it('records a network error by its code and rethrows it', async () => {
    const error = (await client().to(`${closedUrl}/x`, {}).catch((e: unknown) => e)) as { code?: string; cause?: { code?: string } };
    expect(error.code ?? error.cause?.code).toBe('ECONNREFUSED');
    const span = await clientSpan();
    assertSpan(span, { name: 'GET', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR, attributes: { 'error.type': 'ECONNREFUSED' } });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('records a timeout as an error', async () => {
    const error = await client().to(`${echo.url}/slow`, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const span = await clientSpan();
    assertSpan(span, { name: 'GET', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR });
    expect(span.attributes['error.type']).toBeTruthy();
  });

  it('does not call an abort an error', async () => {
    const controller = new AbortController();
    const pending = client().to(`${echo.url}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    expect(await pending.catch((e: unknown) => e)).toBeInstanceOf(Error);
    const span = await clientSpan();
    assertSpan(span, { name: 'GET', kind: SpanKind.CLIENT, status: SpanStatusCode.UNSET });
    expect(span.attributes['error.type']).toBeUndefined();
  });
});
