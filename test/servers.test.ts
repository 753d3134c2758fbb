import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { assertSpan, installSdk } from './helpers/otel';
import { fixturesDir, requireFromRepo } from './helpers/paths';

// One contract for every server framework: each fixture serves /api/users/:id, /api/users/:id/boom and /proxy/:id,
// and every request must get exactly one SERVER span with the skeleton's semantics.

const sdk = installSdk();
// Every warning the process prints while the frameworks serve: reading a deprecated property prints one (Fastify 4's
// FSTDEP017 for request.routerPath), which a service would see in its logs because of us.
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(`${(warning as { code?: string }).code ?? warning.name}: ${warning.message}`));
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;

interface Started {
  url: string;
  close: () => Promise<void>;
}

interface ServerCase {
  name: string;
  start: (downstream: () => string) => Promise<Started>;
  /** Has a router: spans are named by the route template. */
  routes: boolean;
  /** The boom route throws (rather than answering 500 itself): an exception event is expected. */
  throws: boolean;
  /** The fixture the handlers are written in (code.file.path of the SERVER span). */
  source: string;
}

const fixture = <T>(name: string) => buildFixture<T>(join(fixturesDir, 'apps', name));

type FastifyApp = { listen: (o: object) => Promise<string>; close: () => Promise<void> };
function fastifyCase(name: string, module: string): ServerCase {
  return {
    name,
    routes: true,
    throws: true,
    source: 'fastify-app.ts',
    start: async (downstream) => {
      const { createApp } = fixture<{ createApp: (f: unknown, d: () => string) => FastifyApp }>('fastify-app.ts');
      const app = createApp(requireFromRepo(module), downstream);
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url, close: () => app.close() };
    },
  };
}

function koaCase(name: string, module: string): ServerCase {
  return {
    name,
    routes: true,
    throws: true,
    source: 'koa-app.ts',
    start: async (downstream) => {
      const { createApp } = fixture<{ createApp: (k: unknown, d: () => string) => { listen: () => Server } }>('koa-app.ts');
      const server = createApp(requireFromRepo(module), downstream).listen();
      server.close();
      return listen(server);
    },
  };
}

const CASES: ServerCase[] = [
  fastifyCase('Fastify 4', 'fastify4'),
  fastifyCase('Fastify 5', 'fastify'),
  koaCase('Koa 2 + @koa/router', 'koa2'),
  koaCase('Koa 3 + @koa/router', 'koa'),
  {
    name: 'Hono 4 on @hono/node-server',
    routes: true,
    throws: true,
    source: 'hono-app.ts',
    start: async (downstream) => {
      const { createApp, start } = fixture<{ createApp: (d: () => string) => unknown; start: (app: unknown) => Promise<Started> }>('hono-app.ts');
      return start(createApp(downstream));
    },
  },
  {
    name: 'node:http',
    routes: false,
    throws: false,
    source: 'http-app.ts',
    start: async (downstream) => listen(fixture<{ createApp: (d: () => string) => Server }>('http-app.ts').createApp(downstream)),
  },
];

describe.each(CASES)('$name', (server) => {
  let base = '';
  let close = async () => {};
  const named = (route: string) => (server.routes ? `GET ${route}` : 'GET');

  beforeAll(async () => {
    ({ url: base, close } = await server.start(() => base));
  });
  afterAll(() => close());
  beforeEach(() => sdk.reset());

  async function serverSpans(count = 1) {
    return (await sdk.waitForSpans(count)).filter((s) => s.kind === SpanKind.SERVER);
  }

  it('makes one SERVER span named by the full route template, child of the incoming traceparent', async () => {
    const response = await fetch(`${base}/api/users/42`, { headers: { traceparent } });
    expect(await response.json()).toEqual({ id: '42' });
    const spans = await serverSpans();
    expect(spans).toHaveLength(1);
    assertSpan(spans[0], {
      name: named('/api/users/:id'),
      kind: SpanKind.SERVER,
      parent: PARENT_ID,
      traceId: TRACE_ID,
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/api/users/42',
        'url.scheme': 'http',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'client.address': '127.0.0.1',
        'network.protocol.version': '1.1',
        ...(server.routes ? { 'http.route': '/api/users/:id' } : {}),
        'code.file.path': `fixtures/apps/${server.source}`,
      },
    });
    expect(spans[0]!.attributes['code.line.number']).toBeGreaterThan(1);
    if (!server.routes) expect(spans[0]!.attributes['http.route']).toBeUndefined();
  });

  it('gives a 404 one span named by the method', async () => {
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    const spans = await serverSpans();
    expect(spans).toHaveLength(1);
    assertSpan(spans[0], { name: 'GET', kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 404 } });
  });

  it('marks a 500 as an error, with the exception when the handler threw', async () => {
    expect((await fetch(`${base}/api/users/1/boom`)).status).toBe(500);
    const [span] = await serverSpans();
    assertSpan(span, {
      name: named('/api/users/:id/boom'),
      kind: SpanKind.SERVER,
      status: SpanStatusCode.ERROR,
      attributes: { 'http.response.status_code': 500, 'error.type': '500' },
    });
    const messages = span!.events.map((e) => e.attributes?.['exception.message']);
    expect(messages).toEqual(server.throws ? ['boom'] : []);
  });

  it('links SERVER → CLIENT → downstream SERVER in one trace', async () => {
    const response = await fetch(`${base}/proxy/7`, { headers: { traceparent } });
    expect(await response.json()).toEqual({ id: '7' });
    const spans = await sdk.waitForSpans(3);
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    const proxy = servers.find((s) => s.parentSpanContext?.spanId === PARENT_ID);
    const downstream = servers.find((s) => s !== proxy);
    assertSpan(proxy, { name: named('/proxy/:id'), kind: SpanKind.SERVER, traceId: TRACE_ID });
    // Named by the url.template the build derived from each fixture's `${downstream()}/api/users/${…}`.
    const template = client?.attributes['url.template'];
    expect(template).toMatch(/^\/api\/users\/\{\w+\}$/);
    assertSpan(client, { name: `GET ${template}`, kind: SpanKind.CLIENT, parent: proxy!.spanContext().spanId, traceId: TRACE_ID });
    assertSpan(downstream, { name: named('/api/users/:id'), kind: SpanKind.SERVER, parent: client!.spanContext().spanId });
  });
});

describe('Fastify specifics', () => {
  let base = '';
  let close = async () => {};
  beforeAll(async () => {
    ({ url: base, close } = await CASES[1]!.start(() => base));
  });
  afterAll(() => close());
  beforeEach(() => sdk.reset());

  it('keeps callback-style handlers, reply.send and `this` as they were', async () => {
    expect(await (await fetch(`${base}/api/users/5/send`)).json()).toEqual({ id: '5', bound: true });
    const [span] = await sdk.waitForSpans(1);
    assertSpan(span, { name: 'GET /api/users/:id/send', kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 200 } });
  });

  it('names the span by the route even when a hook answers before the handler', async () => {
    expect((await fetch(`${base}/api/guarded`)).status).toBe(401);
    const [span] = await sdk.waitForSpans(1);
    assertSpan(span, { name: 'GET /api/guarded', kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 401 } });
  });
});

describe('Hono specifics', () => {
  it('covers the instance basePath() returns: its routes and its 404s', async () => {
    const { createBasePathApp, start } = fixture<{ createBasePathApp: () => unknown; start: (app: unknown) => Promise<Started> }>('hono-app.ts');
    const server = await start(createBasePathApp());
    try {
      sdk.reset();
      expect(await (await fetch(`${server.url}/v1/items/3`)).text()).toBe('3');
      expect((await fetch(`${server.url}/v1/nowhere`)).status).toBe(404);
      const spans = (await sdk.waitForSpans(4)).filter((s) => s.kind === SpanKind.SERVER);
      expect(spans.map((s) => [s.name, s.attributes['http.response.status_code']])).toEqual([
        ['GET /v1/items/:id', 200],
        ['GET', 404],
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('every framework, after all of the above', () => {
  it('printed no deprecation warning (Fastify 4 and 5 included, matched and unmatched routes)', () => {
    expect(warnings.filter((w) => /deprecat|FSTDEP/i.test(w))).toEqual([]);
  });
});
