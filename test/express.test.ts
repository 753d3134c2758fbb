import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Express } from 'express';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEsmFixture, buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { assertSpan, findSpan, installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir, requireFromRepo } from './helpers/paths';

const sdk = installSdk();
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;

type AppModule = { createApp: (express: unknown, downstream?: () => string) => Express };

describe.each([4, 5] as const)('Express %i', (major) => {
  const express = requireFromRepo(major === 4 ? 'express4' : 'express');
  let base = '';
  let close = async () => {};

  beforeAll(async () => {
    const { createApp } = buildFixture<AppModule>(join(fixturesDir, 'apps', 'express-app.ts'), { expressTypes: major });
    // The app calls itself as its own downstream; its URL is known once it listens.
    const app = createApp(express, () => base);
    ({ url: base, close } = await listen(createServer(app)));
  });
  afterAll(() => close());
  beforeEach(() => sdk.reset());

  async function get(path: string, init?: RequestInit) {
    const response = await fetch(base + path, init);
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  async function serverSpans(count = 1) {
    return (await sdk.waitForSpans(count)).filter((s) => s.kind === SpanKind.SERVER);
  }

  it('names the span by the full route template, child of the incoming traceparent', async () => {
    const { status, body } = await get('/api/users/42?x=1', { headers: { traceparent, 'user-agent': 'autotrace-test' } });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ id: '42' });
    const spans = await serverSpans();
    expect(spans).toHaveLength(1);
    const port = Number(new URL(base).port);
    assertSpan(spans[0], {
      name: 'GET /api/users/:id',
      kind: SpanKind.SERVER,
      parent: PARENT_ID,
      traceId: TRACE_ID,
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/api/users/42',
        'url.query': 'x=1',
        'url.scheme': 'http',
        'http.route': '/api/users/:id',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'server.port': port,
        'client.address': '127.0.0.1',
        'user_agent.original': 'autotrace-test',
        'network.protocol.version': '1.1',
        // The route handler's location, baked in at build time.
        'code.file.path': 'fixtures/apps/express-app.ts',
        'code.line.number': 21,
        'code.column.number': 21,
      },
    });
    expect(spans[0]!.attributes['error.type']).toBeUndefined();
  });

  it('reads server.address and server.port from each request\'s own Host header', async () => {
    // The runtime keeps the last Host header it split: alternating hosts must each still get their own parts.
    const hosts = ['api.example.test:8443', '[::1]:9000', 'api.example.test:8443', 'plain.example.test'];
    for (const host of hosts) {
      sdk.reset();
      const status = await new Promise<number | undefined>((resolve, reject) => {
        request(`${base}/api/users/7`, { headers: { host } }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode))))
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      const [span] = await serverSpans();
      const expected = { 'api.example.test:8443': ['api.example.test', 8443], '[::1]:9000': ['::1', 9000], 'plain.example.test': ['plain.example.test', 80] }[host]!;
      expect([span!.attributes['server.address'], span!.attributes['server.port']]).toEqual(expected);
    }
  });

  it('gives a 404 its own span named by the method alone', async () => {
    expect((await get('/nowhere')).status).toBe(404);
    const [span, ...rest] = await serverSpans();
    expect(rest).toEqual([]);
    assertSpan(span, { name: 'GET', kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 404 } });
    // Its parent is no other request's span: only the test's own fetch (a CLIENT span from the run-time net), if any.
    const parent = sdk.spans().find((s) => s.spanContext().spanId === parentSpanId(span!));
    expect(parent?.kind ?? SpanKind.CLIENT).toBe(SpanKind.CLIENT);
    expect(span!.attributes['http.route']).toBeUndefined();
  });

  it('covers a request answered by middleware before any route', async () => {
    expect((await get('/guarded/area')).status).toBe(401);
    const spans = await serverSpans();
    expect(spans).toHaveLength(1);
    assertSpan(spans[0], { name: 'GET', kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 401 } });
  });

  it('records a thrown error: 500, status ERROR, error.type, exception event', async () => {
    expect((await get('/api/users/1/boom')).status).toBe(500);
    const [span] = await serverSpans();
    assertSpan(span, {
      name: 'GET /api/users/:id/boom',
      kind: SpanKind.SERVER,
      status: SpanStatusCode.ERROR,
      attributes: { 'http.response.status_code': 500, 'error.type': '500' },
    });
    const exception = span!.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('boom');
  });

  it('records next(err) and keeps error middleware working (arity 4 preserved)', async () => {
    const { status, body } = await get('/api/users/1/next-error');
    expect(status).toBe(400);
    expect(JSON.parse(body)).toEqual({ error: 'bad range' });
    const [span] = await serverSpans();
    // 4xx is the client's fault: not an error on a SERVER span, but the exception is still on record.
    assertSpan(span, { name: 'GET /api/users/:id/next-error', kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 400 } });
    expect(span!.events.map((e) => e.attributes?.['exception.type'])).toEqual(['RangeError']);
  });

  it.runIf(major === 5)('records an async rejection (Express 5 passes it to error middleware)', async () => {
    expect((await get('/api/users/1/async-error')).status).toBe(500);
    const [span] = await serverSpans();
    assertSpan(span, { name: 'GET /api/users/:id/async-error', kind: SpanKind.SERVER, status: SpanStatusCode.ERROR });
    expect(span!.events.map((e) => e.attributes?.['exception.message'])).toEqual(['async boom']);
  });

  it.each([
    ['/orgs/acme/members', 'GET /orgs/:org/members', '{"org":"acme"}'],
    ['/dyn/thing/3', 'GET /dyn/thing/:n', 'thing'],
    ['/admin/stats', 'GET /admin/stats', '{"ok":true}'],
    ['/items', 'GET /items', 'items'],
  ])('%s is named %s', async (path, name, body) => {
    const response = await get(path);
    expect(response.body).toBe(body);
    const spans = await serverSpans();
    expect(spans).toHaveLength(1);
    assertSpan(spans[0], { name, kind: SpanKind.SERVER });
  });

  it('wraps route chains and nested handler arrays without changing what they do', async () => {
    expect((await get('/items', { method: 'POST' })).status).toBe(201);
    assertSpan((await serverSpans())[0], { name: 'POST /items', kind: SpanKind.SERVER });
    sdk.reset();
    const multi = await get('/multi');
    expect([multi.body, multi.headers.get('x-first'), multi.headers.get('x-second')]).toEqual(['multi', '1', '1']);
    assertSpan((await serverSpans())[0], { name: 'GET /multi', kind: SpanKind.SERVER });
  });

  it('links SERVER → CLIENT (fetch) → downstream SERVER in one trace', async () => {
    const response = await get('/proxy/7', { headers: { traceparent } });
    expect(JSON.parse(response.body)).toEqual({ id: '7' });
    const spans = await sdk.waitForSpans(3);
    const proxy = findSpan(spans, SpanKind.SERVER, 'GET /proxy/:id');
    const client = findSpan(spans, SpanKind.CLIENT, 'GET /api/users/{id}');
    const downstream = findSpan(spans, SpanKind.SERVER, 'GET /api/users/:id');
    assertSpan(proxy, { name: 'GET /proxy/:id', kind: SpanKind.SERVER, parent: PARENT_ID, traceId: TRACE_ID });
    assertSpan(client, {
      name: 'GET /api/users/{id}',
      kind: SpanKind.CLIENT,
      parent: proxy!.spanContext().spanId,
      traceId: TRACE_ID,
      attributes: { 'url.full': `${base}/api/users/7`, 'http.response.status_code': 200 },
    });
    assertSpan(downstream, { name: 'GET /api/users/:id', kind: SpanKind.SERVER, parent: client!.spanContext().spanId, traceId: TRACE_ID });
  });

  it('propagates traceparent and baggage to the downstream call, keeping the caller headers', async () => {
    const response = await get('/relay', { headers: { traceparent, baggage: 'tenant=acme,user=al%20ice' } });
    const seen = JSON.parse(response.body) as Record<string, string>;
    const spans = await sdk.waitForSpans(3);
    const client = findSpan(spans, SpanKind.CLIENT, 'GET /headers')!;
    expect(seen.traceparent).toBe(`00-${TRACE_ID}-${client.spanContext().spanId}-01`);
    expect(seen.baggage).toBe('tenant=acme,user=al%20ice');
  });

  it('survives a malformed traceparent: a new root trace, the request unharmed', async () => {
    const { status } = await get('/api/users/9', { headers: { traceparent: '00-zz-not-valid', baggage: '%%%,=' } });
    expect(status).toBe(200);
    const [span] = await serverSpans();
    assertSpan(span, { name: 'GET /api/users/:id', kind: SpanKind.SERVER, parent: null });
  });
});

describe('ESM output', () => {
  it('runs: the runtime arrives through `import * as` and traces the app', async () => {
    const { createApp } = await buildEsmFixture<AppModule>(join(fixturesDir, 'apps', 'express-app.ts'));
    let base = '';
    const server = await listen(createServer(createApp(requireFromRepo('express'), () => base)));
    base = server.url;
    try {
      sdk.reset();
      const response = await fetch(`${base}/proxy/4`, { headers: { traceparent } });
      expect(await response.json()).toEqual({ id: '4' });
      const spans = await sdk.waitForSpans(3);
      const proxy = findSpan(spans, SpanKind.SERVER, 'GET /proxy/:id');
      assertSpan(proxy, { name: 'GET /proxy/:id', kind: SpanKind.SERVER, parent: PARENT_ID, traceId: TRACE_ID });
      assertSpan(findSpan(spans, SpanKind.CLIENT, 'GET /api/users/{id}'), { name: 'GET /api/users/{id}', kind: SpanKind.CLIENT, parent: proxy!.spanContext().spanId });
    } finally {
      await server.close();
    }
  });
});
