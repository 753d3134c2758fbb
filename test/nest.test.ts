import { SpanKind } from '@opentelemetry/api';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { echoServer } from './helpers/http';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// A NestJS starter (Nest creates its Express app inside node_modules, routes are decorators) built with the plugin:
// the build cannot see its routes, so its requests get SERVER spans from the run-time net, named by the route Express
// matched, and the report shows Nest as a black box instead of claiming 100%.

interface ExportedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

const project = join(fixturesDir, 'nest');
const spansFile = join(mkdtempSync(join(tmpdir(), 'autotrace-nest-')), 'spans.jsonl');
let build: Awaited<ReturnType<typeof tspcBuild>>;
let downstream: Awaited<ReturnType<typeof echoServer>>;
let service: ChildProcess | undefined;
let base = '';

beforeAll(async () => {
  rmSync(join(project, 'dist'), { recursive: true, force: true });
  build = await tspcBuild(project);
  downstream = await echoServer();
  if (build.code !== 0) return;
  const started = await startService(['-r', join(repoRoot, 'test/helpers/spans-to-file.cjs')], { SPANS_FILE: spansFile });
  service = started.child;
  base = started.base;
});

afterAll(async () => {
  service?.kill();
  await downstream?.close();
});

async function spansFor(count: number): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const spans = existsSync(spansFile)
      ? readFileSync(spansFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ExportedSpan)
      : [];
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the built service with these node arguments and environment; resolves with its base URL. */
function startService(nodeArgs: string[], env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    cwd: project,
    env: { ...process.env, PORT: '0', DOWNSTREAM_URL: downstream.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

describe('a NestJS starter built with the plugin', () => {
  it('builds, and its report names Nest as a black box instead of 100%', async () => {
    expect(build.stderr + build.stdout).not.toMatch(/coverage 100%/);
    expect(build.code).toBe(0);
    const report = JSON.parse(readFileSync(join(project, 'autotrace-report.json'), 'utf8')) as {
      summary: { coverage: number };
      sites: { status: string; reason?: string; file: string }[];
    };
    expect(report.summary.coverage).toBeLessThan(100);
    expect(report.sites.some((site) => site.status === 'unsupported' && /@nestjs\/core/.test(site.reason ?? ''))).toBe(true);
    const gate = await run(process.execPath, [join(repoRoot, 'dist/transformer/cli/main.js'), 'report', '--min', '80'], project);
    expect(gate.code).toBe(1);
  });

  it('gets one SERVER span per request from the run-time net, named by method and route', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const one = await fetch(`${base}/api/cats/7`, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
    expect(await one.json()).toEqual({ id: '7', owner: 'ok' });
    const created = await fetch(`${base}/api/cats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Tom"}' });
    expect(created.status).toBe(201);
    expect((await fetch(`${base}/api/cats/teapot/now`)).status).toBe(418);
    expect((await fetch(`${base}/api/nope`)).status).toBe(404);

    const spans = await spansFor(5);
    const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
    expect(servers.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([
      ['GET /api/cats/:id', 200],
      ['POST /api/cats', 201],
      ['GET /api/cats/teapot/now', 418],
      ['GET', 404],
    ]);
    expect(servers[0]!.attributes['http.route']).toBe('/api/cats/:id');
    expect(servers[3]!.attributes['http.route']).toBeUndefined();
    // The incoming traceparent is the parent; the service's fetch is a CLIENT child and the downstream joins the trace.
    expect(servers[0]!.traceId).toBe(traceId);
    expect(servers[0]!.parentSpanId).toBe(callerSpanId);
    const clients = spans.filter((span) => span.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(1);
    expect(clients[0]!.parentSpanId).toBe(servers[0]!.spanId);
    expect(downstream.seen[0]!.traceparent).toBe(`00-${traceId}-${clients[0]!.spanId}-01`);
  });

  it('with --import autotrace/otel, writes the run-time record with each route on SIGTERM, which report --runtime merges', async () => {
    const recordFile = join(dirname(spansFile), 'runtime-record.json');
    const { child, base: url } = await startService(['--import', 'autotrace/otel'], {
      OTEL_TRACES_EXPORTER: 'console',
      AUTOTRACE_RUNTIME_REPORT: recordFile,
    });
    expect((await fetch(`${url}/api/cats/7`)).status).toBe(200);
    expect((await fetch(`${url}/api/cats/8`)).status).toBe(200);
    expect((await fetch(`${url}/api/nope`)).status).toBe(404);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { entries: { kind: string; method: string; route?: string; count: number }[] };
    expect(record.entries.filter((entry) => entry.kind === 'server')).toEqual([
      { kind: 'server', method: 'GET', count: 1 },
      { kind: 'server', method: 'GET', route: '/api/cats/:id', count: 2 },
    ]);
    const merged = await run(process.execPath, [join(repoRoot, 'dist/transformer/cli/main.js'), 'report', '--runtime', recordFile], project);
    expect(merged.stdout).toContain('traced at run time, outside the build');
    expect(merged.stdout).toMatch(/GET \/api\/cats\/:id/);
  }, 60_000);
});
