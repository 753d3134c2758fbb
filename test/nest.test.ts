import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { echoServer } from './helpers/http';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// A NestJS service (fixtures/nest: a controller with a global prefix, a parameterised route, a POST behind a
// validation pipe, a route that throws HttpException(418), one behind a guard, a fetch and an HttpService call), on
// Express (src/main.ts) and on Fastify (src/main-fastify.ts), and its own e2e test (@nestjs/testing + supertest).
// Built with the plugin, its routes are sites read from the decorators, and each request gets one SERVER span named
// by the full template Nest matched; built with plain tsc, the same e2e test passes, untraced.

interface ExportedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode };
  events: { name: string; attributes: Record<string, unknown> }[];
}

const project = join(fixturesDir, 'nest');
const temp = mkdtempSync(join(tmpdir(), 'autotrace-nest-'));
const cli = join(repoRoot, 'dist/transformer/cli/main.js');
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
const spansPreload = join(repoRoot, 'test/helpers/spans-to-file.cjs');
type Ran = Awaited<ReturnType<typeof run>>;
let plain: { build: Ran; check: Ran; e2e: Ran; introspect: Ran };
let build: Awaited<ReturnType<typeof tspcBuild>>;
let downstream: Awaited<ReturnType<typeof echoServer>>;
const services: ChildProcess[] = [];

beforeAll(async () => {
  downstream = await echoServer();
  // First the build a team without the plugin makes (plain tsc ignores it): its e2e test and `check` on its output.
  rmSync(join(project, 'dist'), { recursive: true, force: true });
  const plainBuild = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
  plain = {
    build: plainBuild,
    check: await run(process.execPath, [cli, 'check'], project),
    e2e: await e2e([]),
    introspect: await run(process.execPath, ['dist/introspect.js'], project),
  };
  rmSync(join(project, 'dist'), { recursive: true, force: true });
  build = await tspcBuild(project);
}, 300_000);

afterAll(async () => {
  for (const service of services) service.kill();
  await downstream?.close();
});

function e2e(nodeArgs: string[], env: Record<string, string> = {}) {
  return new Promise<Awaited<ReturnType<typeof run>>>((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, '--test', 'dist/app.e2e-spec.js'], { cwd: project, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function readSpans(file: string): ExportedSpan[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ExportedSpan) : [];
}

async function spansFor(file: string, count: number): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const spans = readSpans(file);
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the built service (an entry of dist/) with these node arguments and environment; resolves with its base URL. */
function startService(entry: string, nodeArgs: string[], env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: project,
    env: { ...process.env, PORT: '0', DOWNSTREAM_URL: downstream.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  services.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Nest service did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const port = /listening (\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, base: `http://127.0.0.1:${port}` });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the Nest service exited (${code}):\n${output}`)));
  });
}

/** The routes' SERVER spans as [name, status code], in request order: what the service and its e2e test both send. */
const EXPECTED_SERVER_SPANS = [
  ['GET /api/cats/:id', 200],
  ['GET /api/cats/:id/friend', 200],
  ['POST /api/cats', 201],
  ['POST /api/cats', 400],
  ['GET /api/cats/teapot/now', 418],
  ['GET /api/cats/secret', 403],
  ['GET /api/cats/secret', 200],
  ['GET', 404],
  ['GET /api/v1/dogs/:name', 200],
  ['GET /health', 200],
  ['GET /api/edges/broken', 500],
  ['GET /api/edges/closed', 401],
  ['GET /api/edges/conflict', 409],
];

describe('a NestJS service built with the plugin', () => {
  it('builds, and its report lists the controller routes with their templates, the apps and the client calls', () => {
    expect(build.stderr + build.stdout).toContain('coverage 100%');
    expect(build.code).toBe(0);
    const report = JSON.parse(readFileSync(join(project, 'autotrace-report.json'), 'utf8')) as {
      summary: { coverage: number; unsupported: number };
      sites: { kind: string; framework?: string; client?: string; method?: string; route?: string; urlTemplate?: string; status: string; file: string; line: number }[];
    };
    expect(report.summary).toMatchObject({ coverage: 100, unsupported: 0 });
    const routes = report.sites.filter((site) => site.kind === 'route' && site.framework === 'nest').map((site) => [site.framework, site.method, site.route, `${site.file}:${site.line}`]);
    expect(routes).toEqual([
      ['nest', 'GET', '/cats/secret', 'src/cats.controller.ts:12'],
      ['nest', 'GET', '/cats/:id', 'src/cats.controller.ts:17'],
      ['nest', 'GET', '/cats/:id/friend', 'src/cats.controller.ts:22'],
      ['nest', 'POST', '/cats', 'src/cats.controller.ts:28'],
      ['nest', 'GET', '/cats/teapot/now', 'src/cats.controller.ts:33'],
      ['nest', 'GET', '/dogs/:name', 'src/dogs.controller.ts:7'],
      ['nest', 'GET', '/health', 'src/dogs.controller.ts:16'],
      ['nest', 'GET', '/edges/broken', 'src/edges.controller.ts:38'],
      ['nest', 'GET', '/edges/closed', 'src/edges.controller.ts:44'],
      ['nest', 'GET', '/edges/conflict', 'src/edges.controller.ts:50'],
    ]);
    expect(report.sites.filter((site) => site.kind === 'app').map((site) => `${site.framework} ${site.file}`)).toEqual([
      'nest src/app.e2e-spec.ts',
      'nest src/app.e2e-spec.ts',
      'nest src/introspect.ts',
      'nest src/main-fastify.ts',
      'nest src/main.ts',
    ]);
    expect(report.sites.filter((site) => site.kind === 'client').map((site) => [site.client, site.urlTemplate])).toEqual([
      ['fetch', '/owners/{id}'],
      ['@nestjs/axios', '/friends/{id}'],
    ]);
  });

  it('passes `autotrace check` on the tspc build, and fails it on a plain tsc build', async () => {
    expect(plain.build.code).toBe(0);
    expect(plain.check.code).toBe(1);
    expect(plain.check.stdout + plain.check.stderr).toMatch(/src\/cats\.controller\.ts: 5 traced sites, but .* is untraced/);
    const checked = await run(process.execPath, [cli, 'check'], project);
    expect(checked.stdout + checked.stderr).not.toMatch(/untraced/);
    expect(checked.code).toBe(0);
  }, 120_000);

  for (const [adapter, entry] of [
    ['Express', 'dist/main.js'],
    ['Fastify', 'dist/main-fastify.js'],
  ] as const) {
    it(`on ${adapter}: one SERVER span per request, named by the full route template, statuses as sent`, async () => {
      const spansFile = join(temp, `${adapter}.jsonl`);
      const { base } = await startService(entry, ['-r', spansPreload], { SPANS_FILE: spansFile });
      const seenBefore = downstream.seen.length;
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const callerSpanId = '00f067aa0ba902b7';
      const one = await fetch(`${base}/api/cats/7`, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
      expect(await one.json()).toEqual({ id: '7', owner: 'ok' });
      expect(await (await fetch(`${base}/api/cats/7/friend`)).json()).toEqual({ id: '7', friend: 'ok' });
      const post = (name: string) => fetch(`${base}/api/cats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      expect((await post('Tom')).status).toBe(201);
      expect((await post('')).status).toBe(400);
      expect((await fetch(`${base}/api/cats/teapot/now`)).status).toBe(418);
      expect((await fetch(`${base}/api/cats/secret`)).status).toBe(403);
      expect((await fetch(`${base}/api/cats/secret`, { headers: { 'x-key': 'open' } })).status).toBe(200);
      expect((await fetch(`${base}/api/nope`)).status).toBe(404);
      expect(await (await fetch(`${base}/api/v1/dogs/rex`)).json()).toEqual({ name: 'rex' });
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true });
      expect((await fetch(`${base}/api/edges/broken`)).status).toBe(500);
      expect((await fetch(`${base}/api/edges/closed`)).status).toBe(401);
      const conflict = await fetch(`${base}/api/edges/conflict`);
      expect([conflict.status, await conflict.json()]).toEqual([409, { handled: true }]);

      const spans = await spansFor(spansFile, 15);
      const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
      expect(servers.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual(EXPECTED_SERVER_SPANS);
      expect(servers.map((span) => span.attributes['http.route'])).toEqual(EXPECTED_SERVER_SPANS.map(([name]) => String(name).split(' ')[1]));
      expect(servers.map((span) => span.attributes['code.function.name'])).toEqual([
        'CatsController.findOne',
        'CatsController.friend',
        'CatsController.create',
        'CatsController.create',
        'CatsController.teapot',
        'CatsController.secret',
        'CatsController.secret',
        undefined,
        'DogsController.find',
        'HealthController.check',
        'EdgesController.broken',
        'EdgesController.closed',
        'EdgesController.conflict',
      ]);
      // 4xx leaves a SERVER span's status unset, 5xx sets error; the exceptions Nest answered with (from the handler,
      // a pipe, a guard, an interceptor, its 404, one a filter of the user's answered) are events on their spans.
      expect(servers.map((span) => span.status.code)).toEqual(EXPECTED_SERVER_SPANS.map(([, status]) => (Number(status) >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET)));
      const exceptions = servers.map((span) => span.events.filter((event) => event.name === 'exception').map((event) => event.attributes['exception.type']));
      expect(exceptions).toEqual([
        [], [], [], ['BadRequestException'], ['HttpException'], ['ForbiddenException'], [], ['NotFoundException'], [], [],
        ['Error'], ['UnauthorizedException'], ['ConflictException'],
      ]);
      // The incoming traceparent is the parent; fetch and HttpService calls are CLIENT children; the downstream joins.
      expect(servers[0]!.traceId).toBe(traceId);
      expect(servers[0]!.parentSpanId).toBe(callerSpanId);
      const clients = spans.filter((span) => span.kind === SpanKind.CLIENT);
      expect(clients.map((span) => [span.name, span.attributes['http.response.status_code'], span.attributes['code.function.name']])).toEqual([
        ['GET /owners/{id}', 200, 'CatsService.owner'],
        ['GET /friends/{id}', 200, 'CatsService.friend'],
      ]);
      expect(clients[0]!.parentSpanId).toBe(servers[0]!.spanId);
      expect(clients[1]!.parentSpanId).toBe(servers[1]!.spanId);
      const seen = downstream.seen.slice(seenBefore);
      expect(seen.map((headers) => headers.traceparent)).toEqual([
        `00-${traceId}-${clients[0]!.spanId}-01`,
        `00-${servers[1]!.traceId}-${clients[1]!.spanId}-01`,
      ]);
    }, 120_000);
  }

  it('runs its own e2e test (@nestjs/testing + supertest) the same with and without the plugin; with an SDK, the same spans', async () => {
    expect(plain.e2e.stdout).toMatch(/# pass 12\n# fail 0/);
    const traced = await e2e([]);
    expect(traced.stdout).toMatch(/# pass 12\n# fail 0/);
    const spansFile = join(temp, 'e2e.jsonl');
    const withSdk = await e2e(['-r', spansPreload], { SPANS_FILE: spansFile });
    expect(withSdk.stdout).toMatch(/# pass 12\n# fail 0/);
    // Nest's routes' spans (those with code.*, or the 404): the same as the service's, for Express then Fastify.
    const servers = readSpans(spansFile).filter((span) => span.kind === SpanKind.SERVER && (span.attributes['code.function.name'] || span.attributes['http.response.status_code'] === 404));
    expect(servers.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([...EXPECTED_SERVER_SPANS, ...EXPECTED_SERVER_SPANS]);
  }, 120_000);

  it('changes nothing Nest reflects on: parameter types, handler metadata, the methods themselves, lifecycle hooks', async () => {
    expect(plain.introspect.code).toBe(0);
    const traced = await run(process.execPath, ['dist/introspect.js'], project);
    expect(traced.code).toBe(0);
    expect(traced.stdout).toBe(plain.introspect.stdout);
    expect(JSON.parse(traced.stdout)).toMatchObject({ events: ['init', 'shutdown'] });
    expect(readFileSync(join(project, 'dist/cats.controller.js'), 'utf8')).toContain('__autotrace.nestRoute(CatsController');
  }, 60_000);

  it('with --import autotrace/otel, leaves nothing to the run-time record: every request reached a site of the build', async () => {
    const recordFile = join(dirname(join(temp, 'x')), 'runtime-record.json');
    const { child, base: url } = await startService('dist/main.js', ['--import', 'autotrace/otel'], {
      OTEL_TRACES_EXPORTER: 'console',
      AUTOTRACE_RUNTIME_REPORT: recordFile,
    });
    expect((await fetch(`${url}/api/cats/7`)).status).toBe(200);
    expect((await fetch(`${url}/api/nope`)).status).toBe(404);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { entries: { kind: string; method: string; route?: string; count: number }[] };
    expect(record.entries.filter((entry) => entry.kind === 'server')).toEqual([]);
    const merged = await run(process.execPath, [cli, 'report', '--runtime', recordFile], project);
    expect(merged.stdout).not.toContain('traced at run time, outside the build');
    expect(merged.stdout).toMatch(/\/cats\/:id/);
  }, 120_000);
});
