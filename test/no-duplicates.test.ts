import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// A user who also runs @opentelemetry/instrumentation-http already gets a SERVER span per request from it: autotrace
// must not add a second one, but name and enrich that span (http.route, `METHOD route`). On the client side, autotrace
// keeps its own span (it carries url.template and code.*) and the other instrumentations stand down.

describe('with @opentelemetry/instrumentation-http registered', () => {
  // Five type-checked builds: slow on a busy machine, so they are done once, outside any test's timeout.
  beforeAll(() => {
    for (const app of ['express-app.ts', 'fastify-app.ts', 'koa-app.ts', 'hono-app.ts', 'http-app.ts']) {
      buildFixture(join(fixturesDir, 'apps', app));
    }
  }, 300_000);

  it('every framework leaves exactly one SERVER span per request, named by the route', async () => {
    const result = await run(process.execPath, [join(repoRoot, 'test', 'helpers', 'with-instrumentation-http.cjs')], repoRoot);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as Record<string, { status: number; spans: { name: string; scope: string; route?: string }[] }>;
    const http = '@opentelemetry/instrumentation-http';
    expect(report).toEqual({
      express: { status: 200, spans: [{ name: 'GET /api/users/:id', scope: http, route: '/api/users/:id' }] },
      fastify: { status: 200, spans: [{ name: 'GET /api/users/:id', scope: http, route: '/api/users/:id' }] },
      koa: { status: 200, spans: [{ name: 'GET /api/users/:id', scope: http, route: '/api/users/:id' }] },
      hono: { status: 200, spans: [{ name: 'GET /api/users/:id', scope: http, route: '/api/users/:id' }] },
      'node:http': { status: 200, spans: [{ name: 'GET', scope: http }] },
    });
  });
});

describe('with @opentelemetry/instrumentation-http and -undici registered', () => {
  beforeAll(() => {
    buildFixture(join(fixturesDir, 'apps', 'clients.ts'));
  }, 300_000);

  it('every client call leaves exactly one CLIENT span, autotrace\'s, and its traceparent is the one sent', async () => {
    const result = await run(process.execPath, [join(repoRoot, 'test', 'helpers', 'with-client-instrumentations.cjs')], repoRoot);
    expect(result.stderr).toBe('');
    const ours = { clients: ['autotrace'], receivedParentIsOurs: true };
    expect(JSON.parse(result.stdout)).toEqual({
      axios: ours,
      fetch: ours,
      'undici.fetch': ours,
      'undici.request': ours,
      'http.get': ours,
      'http.request': ours,
    });
  });
});
