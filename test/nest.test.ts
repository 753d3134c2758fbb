import { SpanKind } from '@opentelemetry/api';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { echoServer } from './helpers/http';
import { EXPECTED_ROUTE_SITES, EXPECTED_SERVER_SPANS, expectNestRequestsTraced, readSpans, startNestService, stopNestServices } from './helpers/nest-service';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// A NestJS service (fixtures/nest: a controller with a global prefix, a parameterised route, a POST behind a
// validation pipe, a route that throws HttpException(418), one behind a guard, a fetch and an HttpService call), on
// Express (src/main.ts) and on Fastify (src/main-fastify.ts), and its own e2e test (@nestjs/testing + supertest).
// Built with the plugin, its routes are sites read from the decorators, and each request gets one SERVER span named
// by the full template Nest matched; built with plain tsc, the same e2e test passes, untraced.

const project = join(fixturesDir, 'nest');
const temp = mkdtempSync(join(tmpdir(), 'autotrace-nest-'));
const cli = join(repoRoot, 'dist/transformer/cli/main.js');
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
const spansPreload = join(repoRoot, 'test/helpers/spans-to-file.cjs');
type Ran = Awaited<ReturnType<typeof run>>;
let plain: { build: Ran; check: Ran; e2e: Ran; introspect: Ran };
let build: Awaited<ReturnType<typeof tspcBuild>>;
let downstream: Awaited<ReturnType<typeof echoServer>>;

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
  stopNestServices();
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

/** Starts the built service (an entry of dist/) with these node arguments and environment; resolves with its base URL. */
function startService(entry: string, nodeArgs: string[], env: Record<string, string>) {
  return startNestService(project, entry, nodeArgs, { DOWNSTREAM_URL: downstream.url, ...env });
}

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
    expect(routes).toEqual(EXPECTED_ROUTE_SITES.map(([method, route, at]) => ['nest', method, route, `src/${at}`]));
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
      await expectNestRequestsTraced(base, spansFile, downstream);
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
