import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { fixturesDir, repoRoot } from './helpers/paths';
import { otlpReceiver, type Received } from './helpers/otlp-receiver';
import { run } from './helpers/processes';

// Zero-code export: `node --import autotrace/otel` starts an SDK from OTEL_* variables and sends spans over OTLP/HTTP
// to a real receiver (a small server here that decodes what arrives, JSON or protobuf).

const received: Received[] = [];
let receiver: Server;
let endpoint = '';
let work = '';

beforeAll(async () => {
  ({ server: receiver, endpoint } = await otlpReceiver(received));

  work = join(repoRoot, '.tmp', 'otel');
  rmSync(work, { recursive: true, force: true });
  cpSync(join(fixturesDir, 'doors'), work, { recursive: true, filter: (src) => !/node_modules|[\\/]out$/.test(src) });
  mkdirSync(join(work, 'node_modules'), { recursive: true });
  symlinkSync(repoRoot, join(work, 'node_modules', 'autotrace'), 'dir');
  expect((await tspcBuild(work)).code).toBe(0);
}, 120_000);
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
});

/** Runs the service with these arguments and variables, sends one request, then SIGTERM; resolves once it exited. */
async function serveOnce(args: string[], extraEnv: Record<string, string>, cwd = work) {
  const child = spawn(process.execPath, [...args, 'out/tspc/service.js'], { cwd, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (line) => resolve(JSON.parse(String(line).split('\n')[0]!).port));
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  expect((await fetch(`http://127.0.0.1:${port}/hello/ann`)).status).toBe(200);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  return { ...(await exit), stderr };
}

const spansOf = () => received.flatMap((r) => r.spanNames).sort();

describe('node --import autotrace/otel', () => {
  it.each([
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ])('exports over OTLP %s to OTEL_EXPORTER_OTLP_ENDPOINT, flushing on SIGTERM, then exits as Node would', async (protocol, contentType) => {
    const result = await serveOnce(['--import', 'autotrace/otel'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'doors-service',
    });
    expect(result.stderr).toBe('');
    expect(result.signal).toBe('SIGTERM');
    expect(received.every((r) => r.contentType.startsWith(contentType))).toBe(true);
    // Decoded crudely, protobuf also yields attribute values that look like names (the method, 'GET'): compare as a
    // set there, without them.
    const names = protocol === 'http/json' ? spansOf() : [...new Set(spansOf())].filter((name) => name !== 'GET').sort();
    expect(names).toEqual(['GET /downstream/:name', 'GET /downstream/{name}', 'GET /hello/:name']);
    expect(new Set(received.map((r) => r.serviceName))).toEqual(new Set(['doors-service']));
  }, 60_000);

  it('names the service after the nearest package.json without OTEL_SERVICE_NAME, and works with -r too', async () => {
    await serveOnce(['-r', 'autotrace/otel'], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(received[0]?.serviceName).toBe('autotrace-doors-fixture');
    expect(spansOf()).toHaveLength(3);
  }, 60_000);

  it('starts nothing when the app registers its own provider: the app\'s SDK gets the spans', async () => {
    const spansFile = join(mkdtempSync(join(tmpdir(), 'autotrace-otel-')), 'spans.jsonl');
    await serveOnce(['-r', 'autotrace/otel', '-r', join(repoRoot, 'test', 'helpers', 'spans-to-file.cjs')], {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      SPANS_FILE: spansFile,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
    expect(existsSync(spansFile) && readFileSync(spansFile, 'utf8').trim().split('\n')).toHaveLength(3);
  }, 60_000);

  it('says what to install when no SDK is there, and the app runs on', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'autotrace-no-sdk-'));
    const result = await run(process.execPath, ['-r', join(repoRoot, 'dist', 'runtime', 'otel.js'), '-e', 'console.log("app ran")'], empty);
    expect(result.stdout).toBe('app ran\n');
    expect(result.stderr).toContain('autotrace/otel: no spans are exported: install an OpenTelemetry SDK beside autotrace');
    expect(result.code).toBe(0);
  });

  it('with http/json and only the protobuf exporter installed, says in one line which package to install', async () => {
    const app = mkdtempSync(join(tmpdir(), 'autotrace-no-json-exporter-'));
    writeFileSync(join(app, 'package.json'), '{ "name": "no-json-exporter" }\n');
    for (const name of ['sdk-trace-base', 'resources', 'exporter-trace-otlp-proto']) {
      mkdirSync(join(app, 'node_modules', '@opentelemetry'), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules', '@opentelemetry', name), join(app, 'node_modules', '@opentelemetry', name), 'dir');
    }
    const script = ['-r', join(repoRoot, 'dist', 'runtime', 'otel.js'), '-e', 'console.log("app ran")'];
    const child = spawn(process.execPath, script, { cwd: app, env: { ...process.env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    expect(stdout).toBe('app ran\n');
    expect(stderr).toBe(
      'autotrace/otel: no spans are exported: OTLP over http/json needs @opentelemetry/exporter-trace-otlp-http, which is ' +
        'not installed: npm install @opentelemetry/exporter-trace-otlp-http@~0.223. Trace context still passes through.\n',
    );
  });

  it('exports nothing with OTEL_TRACES_EXPORTER=none', async () => {
    await serveOnce(['--import', 'autotrace/otel'], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: 'none' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
  }, 60_000);
});
