import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { echoServer } from './helpers/http';
import { assertSpan, installSdk } from './helpers/otel';
import { fixturesDir } from './helpers/paths';

const sdk = installSdk();

type Calls = {
  string: (url: string, init?: RequestInit) => Promise<Response>;
  url: (url: string) => Promise<Response>;
  request: (request: Request, init?: RequestInit) => Promise<Response>;
  viaGlobalThis: (url: string) => Promise<Response>;
};

let calls: Calls;
let echo: Awaited<ReturnType<typeof echoServer>>;

beforeAll(async () => {
  ({ calls } = buildFixture<{ calls: Calls }>(join(fixturesDir, 'apps', 'fetch-client.ts')));
  echo = await echoServer();
});
afterAll(() => echo.close());
beforeEach(() => {
  sdk.reset();
  echo.seen.length = 0;
  echo.setStatus(200);
});

/** Runs `fn` under a parent span, as when a handler makes the call, and returns the parent's ids. */
async function underParent<T>(fn: () => Promise<T>) {
  const parent = trace.getTracer('test').startSpan('parent');
  const result = await context.with(trace.setSpan(context.active(), parent), fn);
  parent.end();
  return { result, parent: parent.spanContext() };
}

async function clientSpan() {
  const spans = await sdk.waitForSpans(1);
  return spans.find((s) => s.kind === SpanKind.CLIENT)!;
}

describe('fetch: spans and propagation', () => {
  it('makes a CLIENT span, child of the active span, and sends its traceparent', async () => {
    const { result, parent } = await underParent(() => calls.string(`${echo.url}/users?id=1`));
    expect(result.status).toBe(200);
    const span = await clientSpan();
    const port = Number(new URL(echo.url).port);
    assertSpan(span, {
      name: 'GET', // fetch(url) with the URL in a variable: no url.template, so the method alone
      kind: SpanKind.CLIENT,
      parent: parent.spanId,
      traceId: parent.traceId,
      attributes: {
        'http.request.method': 'GET',
        'url.full': `${echo.url}/users?id=1`,
        'server.address': '127.0.0.1',
        'server.port': port,
        'http.response.status_code': 200,
      },
    });
    expect(echo.seen[0]!.traceparent).toBe(`00-${parent.traceId}-${span.spanContext().spanId}-01`);
  });

  it.each([
    ['URL', () => calls.url(`${echo.url}/u`)],
    ['Request', () => calls.request(new Request(`${echo.url}/r`, { headers: { 'x-own': 'kept' } }))],
    ['globalThis.fetch with a method', () => calls.viaGlobalThis(`${echo.url}/g`)],
  ])('propagates for a %s input', async (_shape, call) => {
    await call();
    const span = await clientSpan();
    expect(echo.seen[0]!.traceparent).toContain(span.spanContext().spanId);
    if (_shape === 'Request') expect(echo.seen[0]!['x-own']).toBe('kept');
    if (_shape.startsWith('globalThis')) expect(span.name).toBe('POST');
  });

  it('keeps init.headers in every form, never mutating the caller objects', async () => {
    const plain = { 'x-a': '1' };
    const headers = new Headers({ 'x-b': '2' });
    const pairs: [string, string][] = [['x-c', '3']];
    const init = { headers: plain };
    await calls.string(echo.url, init);
    await calls.string(echo.url, { headers });
    await calls.string(echo.url, { headers: pairs });
    expect(echo.seen.map((h) => [h['x-a'] ?? h['x-b'] ?? h['x-c'], typeof h.traceparent])).toEqual([
      ['1', 'string'],
      ['2', 'string'],
      ['3', 'string'],
    ]);
    expect(plain).toEqual({ 'x-a': '1' });
    expect(init).toEqual({ headers: { 'x-a': '1' } });
    expect([...headers.entries()]).toEqual([['x-b', '2']]);
    expect(pairs).toEqual([['x-c', '3']]);
  });

  it('leaves a Request object untouched and lets init.headers replace its headers, as fetch does', async () => {
    const request = new Request(echo.url, { headers: { 'x-req': 'r' } });
    await calls.request(request, { headers: { 'x-init': 'i' } });
    expect(echo.seen[0]!['x-req']).toBeUndefined();
    expect(echo.seen[0]!['x-init']).toBe('i');
    expect(typeof echo.seen[0]!.traceparent).toBe('string');
    expect([...request.headers.keys()]).toEqual(['x-req']);
  });

  it('never overwrites a traceparent the caller set', async () => {
    const own = '00-11111111111111111111111111111111-2222222222222222-01';
    await calls.string(echo.url, { headers: { traceparent: own } });
    expect(echo.seen[0]!.traceparent).toBe(own);
  });
});

describe('fetch: outcomes', () => {
  it.each([404, 503])('marks an HTTP %i as an error with error.type', async (status) => {
    const response = await calls.string(`${echo.url}/status/${status}`);
    expect(response.status).toBe(status);
    assertSpan(await clientSpan(), {
      name: 'GET',
      kind: SpanKind.CLIENT,
      status: SpanStatusCode.ERROR,
      attributes: { 'http.response.status_code': status, 'error.type': String(status) },
    });
  });

  it('records a network failure and rethrows it unchanged', async () => {
    const closed = await echoServer();
    await closed.close();
    const error = await calls.string(closed.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    const span = await clientSpan();
    assertSpan(span, { name: 'GET', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR, attributes: { 'error.type': 'ECONNREFUSED' } });
    expect(span.events[0]?.name).toBe('exception');
  });

  it('does not call an abort an error', async () => {
    const controller = new AbortController();
    const pending = calls.string(`${echo.url}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await pending.catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    const span = await clientSpan();
    assertSpan(span, { name: 'GET', kind: SpanKind.CLIENT, status: SpanStatusCode.UNSET });
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('does call a timeout an error', async () => {
    const error = await calls.string(`${echo.url}/slow`, { signal: AbortSignal.timeout(30) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    assertSpan(await clientSpan(), { name: 'GET', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR, attributes: { 'error.type': 'TimeoutError' } });
  });
});

describe('fetch: whatever fetch is current', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('calls a stub installed after the module loaded, and hands back its result and its error as they are', async () => {
    const seen: unknown[][] = [];
    const answer = new Response('stubbed', { status: 201 });
    const failure = new Error('stub failure');
    globalThis.fetch = (async (...args: unknown[]) => {
      seen.push(args);
      if (String(args[0]).includes('fail')) throw failure;
      return answer;
    }) as typeof fetch;
    expect(await calls.string('http://user:secret@stub.test:8080/ok?sig=abc&page=2')).toBe(answer);
    await expect(calls.string('http://stub.test/fail')).rejects.toBe(failure);
    expect(seen).toHaveLength(2);
    expect(new Headers((seen[0]![1] as RequestInit).headers).has('traceparent')).toBe(true);
    const spans = await sdk.waitForSpans(2);
    expect(spans[0]!.attributes['url.full']).toBe('http://REDACTED:REDACTED@stub.test:8080/ok?sig=REDACTED&page=2');
    expect(spans[0]!.attributes['server.port']).toBe(8080);
    expect(spans[1]!.status.code).toBe(SpanStatusCode.ERROR);
  });
});
