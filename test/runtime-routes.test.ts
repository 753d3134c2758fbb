import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { assertSpan, installSdk } from './helpers/otel';
import { fixturesDir, requireFromRepo } from './helpers/paths';

// Routes the build did not see registered: a router made in code the plugin did not compile (this test file), a
// registration by a computed method name, a mount the build did not recognise, a server only the run-time net saw.
// Each span must still be named by the route the framework matched, `{method} {route}`, or `{method}` alone.

const sdk = installSdk();
const runtime = requireFromRepo('./dist/runtime/server.js') as typeof import('../runtime/server');

async function spanOf(base: string, path: string, init?: RequestInit) {
  sdk.reset();
  const response = await fetch(base + path, init);
  const body = await response.text();
  const spans = (await sdk.waitForSpans(1)).filter((s) => s.kind === SpanKind.SERVER);
  expect(spans).toHaveLength(1);
  return { status: response.status, body, span: spans[0]! };
}

type Handler = (req: { params: Record<string, string> }, res: { send: (body: string) => void }, next: (e?: unknown) => void) => void;

describe.each([4, 5] as const)('Express %i', (major) => {
  const express = requireFromRepo(major === 4 ? 'express4' : 'express');

  /** What a package would hand the app: a router with its own routes and a nested router, none of them traced. */
  function packageRouter() {
    const router = express.Router();
    router.get('/things/:id', ((req, res) => res.send(req.params.id!)) as Handler);
    router.get('/things/:id/fail', ((_req, _res, next) => next(new Error('failed'))) as Handler);
    const deep = express.Router();
    deep.get('/:n', ((req, res) => res.send(req.params.n!)) as Handler);
    router.use('/deep', deep);
    return router;
  }

  describe('an app the build wrapped', () => {
    let base = '';
    let close = async () => {};
    beforeAll(async () => {
      const { createApp } = buildFixture<{ createApp: (e: unknown, r: unknown) => Parameters<typeof createServer>[0] }>(
        join(fixturesDir, 'apps', 'late-routes-express.ts'),
        { expressTypes: major, outSuffix: `express${major}` },
      );
      ({ url: base, close } = await listen(createServer(createApp(express, packageRouter()))));
    });
    afterAll(() => close());
    beforeEach(() => sdk.reset());

    it.each([
      ['/pkg/things/5', 'GET /pkg/things/:id', '5'],
      ['/pkg/deep/3', 'GET /pkg/deep/:n', '3'],
      ['/orgs/acme/things/6', 'GET /orgs/:org/things/:id', '6'],
      ['/dynamic/9', 'GET /dynamic/:id', '9'],
    ])('%s, routed where the build did not look, is named %s', async (path, name, body) => {
      const seen = await spanOf(base, path);
      expect(seen.body).toBe(body);
      assertSpan(seen.span, { name, kind: SpanKind.SERVER, attributes: { 'http.route': name.slice(4) } });
    });

    it('joins a traced router to the mount the build did not recognise: /v1/items/:id, not /items/:id', async () => {
      const seen = await spanOf(base, '/v1/items/4');
      expect(seen.body).toBe('4');
      assertSpan(seen.span, { name: 'GET /v1/items/:id', kind: SpanKind.SERVER, attributes: { 'http.route': '/v1/items/:id' } });
    });

    it('names a route that passed its error out of its router to the app error handler by its full template', async () => {
      const seen = await spanOf(base, '/pkg/things/2/fail');
      expect([seen.status, seen.body]).toEqual([500, 'failed']);
      assertSpan(seen.span, { name: 'GET /pkg/things/:id/fail', kind: SpanKind.SERVER, status: SpanStatusCode.ERROR });
    });

    it('leaves a 404 named by the method', async () => {
      const seen = await spanOf(base, '/pkg/nowhere');
      expect(seen.status).toBe(404);
      assertSpan(seen.span, { name: 'GET', kind: SpanKind.SERVER });
      expect(seen.span.attributes['http.route']).toBeUndefined();
    });
  });

  describe('an app the build never saw, served by http.createServer(app), its span started by the run-time net', () => {
    // What runtime/net does for a server no wrapper owns: start the request's span as Node announces the request.
    const startSpan = (message: unknown) => {
      const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
      runtime.beginServerRequest(request, response);
    };
    let base = '';
    let close = async () => {};
    beforeAll(async () => {
      subscribe('http.server.request.start', startSpan);
      // The shape a Nest app has underneath: a controller's router mounted under its path.
      const app = express();
      const cats = express.Router();
      cats.get('/:id', ((req, res) => res.send(req.params.id!)) as Handler);
      cats.get('/:id/fail', ((_req, _res, next) => next(new Error('failed'))) as Handler);
      app.use('/cats', cats);
      app.get('/health', ((_req, res) => res.send('ok')) as Handler);
      app.use(((err: Error, _req: unknown, res: { status: (n: number) => { send: (b: string) => void } }, _next: unknown) =>
        res.status(500).send(err.message)) as never);
      ({ url: base, close } = await listen(createServer(app)));
    });
    afterAll(async () => {
      unsubscribe('http.server.request.start', startSpan);
      await close();
    });

    it.each([
      ['/cats/7', 'GET /cats/:id'],
      ['/health', 'GET /health'],
    ])('%s is named %s', async (path, name) => {
      const seen = await spanOf(base, path);
      expect(seen.status).toBe(200);
      assertSpan(seen.span, { name, kind: SpanKind.SERVER, attributes: { 'http.route': name.slice(4) } });
    });

    it('never names a span by a route the request already left: GET, not GET /:id/fail', async () => {
      const seen = await spanOf(base, '/cats/7/fail');
      expect(seen.status).toBe(500);
      assertSpan(seen.span, { name: 'GET', kind: SpanKind.SERVER, status: SpanStatusCode.ERROR });
    });

    it('names a 404 by the method', async () => {
      const seen = await spanOf(base, '/dogs/1');
      expect(seen.status).toBe(404);
      assertSpan(seen.span, { name: 'GET', kind: SpanKind.SERVER });
    });
  });
});

describe.each([
  ['Koa 2', 'koa2'],
  ['Koa 3', 'koa'],
])('%s + @koa/router, an app the build wrapped', (_name, module) => {
  const Router = requireFromRepo('@koa/router') as new (options?: object) => KoaRouterLike;
  interface KoaRouterLike {
    get(path: string, ...handlers: unknown[]): unknown;
    use(...args: unknown[]): unknown;
    routes(): unknown;
  }
  type Ctx = { params: Record<string, string>; body: unknown; status: number };
  let base = '';
  let close = async () => {};

  beforeAll(async () => {
    // A package's router: prefixed, with a nested router and a guard of its own.
    const router = new Router({ prefix: '/pkg' });
    router.use('/guarded', (ctx: Ctx) => {
      ctx.status = 401;
    });
    router.get('/guarded/area', (ctx: Ctx) => {
      ctx.body = 'never';
    });
    router.get('/things/:id', (ctx: Ctx) => {
      ctx.body = ctx.params.id;
    });
    const deep = new Router();
    deep.get('/:n', (ctx: Ctx) => {
      ctx.body = ctx.params.n;
    });
    router.use('/deep', deep.routes());
    const { createApp } = buildFixture<{ createApp: (k: unknown, r: unknown) => { callback: () => Parameters<typeof createServer>[0] } }>(
      join(fixturesDir, 'apps', 'late-routes-koa.ts'),
    );
    ({ url: base, close } = await listen(createServer(createApp(requireFromRepo(module), router).callback())));
  });
  afterAll(() => close());

  it.each([
    ['/pkg/things/5', 'GET /pkg/things/:id', '5'],
    ['/pkg/deep/3', 'GET /pkg/deep/:n', '3'],
    ['/dynamic/9', 'GET /dynamic/:id', '9'],
  ])('%s is named %s', async (path, name, body) => {
    const seen = await spanOf(base, path);
    expect(seen.body).toBe(body);
    assertSpan(seen.span, { name, kind: SpanKind.SERVER, attributes: { 'http.route': name.slice(4) } });
  });

  it('is not named by the path of router middleware that answered before the route', async () => {
    const seen = await spanOf(base, '/pkg/guarded/area');
    expect(seen.status).toBe(401);
    assertSpan(seen.span, { name: 'GET', kind: SpanKind.SERVER });
  });

  it('names a 404 by the method', async () => {
    const seen = await spanOf(base, '/pkg/nowhere');
    expect(seen.status).toBe(404);
    assertSpan(seen.span, { name: 'GET', kind: SpanKind.SERVER });
  });
});

describe('Hono 4 on @hono/node-server, an app the build wrapped', () => {
  type HonoApp = { get: (path: string, ...h: unknown[]) => HonoApp; use: (path: string, ...h: unknown[]) => HonoApp };
  const { Hono } = requireFromRepo('hono') as { Hono: new () => HonoApp };
  let late: { createApp: (sub: unknown) => unknown; createBasePathApp: () => unknown };
  const { start } = buildFixture<{ start: (app: unknown) => Promise<{ url: string; close: () => Promise<void> }> }>(
    join(fixturesDir, 'apps', 'hono-app.ts'),
  );
  type C = { req: { param: (name: string) => string }; text: (body: string) => unknown };
  let base = '';
  let close = async () => {};

  beforeAll(async () => {
    // A package's sub-app, with middleware of its own.
    const sub = new Hono();
    sub.use('*', async (_c: unknown, next: () => Promise<void>) => {
      await next();
    });
    sub.get('/things/:id', (c: C) => c.text(c.req.param('id')));
    late = buildFixture(join(fixturesDir, 'apps', 'late-routes-hono.ts'));
    ({ url: base, close } = await start(late.createApp(sub)));
  });
  afterAll(() => close());

  it.each([
    ['/pkg/things/5', 'GET /pkg/things/:id', '5'],
    ['/dynamic/9', 'GET /dynamic/:id', '9'],
    ['/seen/4', 'GET /seen/:id', '4'],
  ])('%s is named %s', async (path, name, body) => {
    const seen = await spanOf(base, path);
    expect(seen.body).toBe(body);
    assertSpan(seen.span, { name, kind: SpanKind.SERVER, attributes: { 'http.route': name.slice(4) } });
  });

  it('names a 404 that only passed through middleware by the method', async () => {
    const seen = await spanOf(base, '/pkg/nowhere');
    expect(seen.status).toBe(404);
    assertSpan(seen.span, { name: 'GET', kind: SpanKind.SERVER });
  });

  it('covers routes registered on the instance basePath() returns', async () => {
    const server = await start(late.createBasePathApp());
    try {
      const seen = await spanOf(server.url, '/v1/items/3');
      expect(seen.body).toBe('3');
      assertSpan(seen.span, { name: 'GET /v1/items/:id', kind: SpanKind.SERVER });
    } finally {
      await server.close();
    }
  });
});

describe.each([
  ['Fastify 4', 'fastify4'],
  ['Fastify 5', 'fastify'],
])('%s, an app the build wrapped', (_name, module) => {
  type Instance = { get: (path: string, h: (request: { params: Record<string, string> }) => Promise<string>) => void };
  let app: { listen: (o: object) => Promise<string>; close: () => Promise<void> };
  let base = '';

  beforeAll(async () => {
    // A package's plugin: its routes are registered on an instance the build never sees.
    const fromPackage = async (instance: Instance) => {
      instance.get('/things/:id', async (request) => request.params.id!);
    };
    const { createApp } = buildFixture<{ createApp: (f: unknown, p: unknown) => typeof app }>(
      join(fixturesDir, 'apps', 'late-routes-fastify.ts'),
    );
    app = createApp(requireFromRepo(module), fromPackage);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it.each([
    ['/pkg/things/5', 'GET /pkg/things/:id', '5'],
    ['/dynamic/9', 'GET /dynamic/:id', '9'],
  ])('%s is named %s', async (path, name, body) => {
    const seen = await spanOf(base, path);
    expect(seen.body).toBe(body);
    assertSpan(seen.span, { name, kind: SpanKind.SERVER, attributes: { 'http.route': name.slice(4) } });
  });
});

describe('learnServerRoute, what a wrapper or the net calls with a route matched at run time', () => {
  it.each([
    [['learn /learned'], 'GET /learned'],
    [['set /built/:id', 'learn /learned'], 'GET /built/:id'],
    [['learn /learned', 'set /built/:id', 'learn /later'], 'GET /built/:id'],
    [['learn /first', 'learn /second'], 'GET /second'],
  ])('after %j the span is named %s: a build-time template always wins', async (calls, name) => {
    const server = createServer((req, res) => {
      const state = runtime.beginServerRequest(req, res)!;
      for (const call of calls) {
        const [how, route] = call.split(' ') as [string, string];
        (how === 'set' ? runtime.setServerRoute : runtime.learnServerRoute)(state, route);
      }
      res.end('ok');
    });
    const { url, close } = await listen(server);
    try {
      const seen = await spanOf(url, '/anything');
      assertSpan(seen.span, { name, kind: SpanKind.SERVER, attributes: { 'http.route': name.slice(4) } });
    } finally {
      await close();
    }
  });
});
