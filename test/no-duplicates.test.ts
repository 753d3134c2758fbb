import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// A user who also runs @opentelemetry/instrumentation-http already gets a SERVER span per request from it: autotrace
// must not add a second one, but name and enrich that span (http.route, `METHOD route`).

describe('with @opentelemetry/instrumentation-http registered', () => {
  it('every framework leaves exactly one SERVER span per request, named by the route', async () => {
    for (const app of ['express-app.ts', 'fastify-app.ts', 'koa-app.ts', 'hono-app.ts', 'http-app.ts']) {
      buildFixture(join(fixturesDir, 'apps', app));
    }
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
