import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { otlpReceiver, type Received, type ReceivedSpan } from './helpers/otlp-receiver';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';
import { run } from './helpers/processes';

// A fully bundled service (its own copies of @opentelemetry/api and autotrace/runtime inside the bundle) run with
// `node --import autotrace/otel`: the spans reach a real OTLP receiver with their parent chain; an app that registers
// its own provider inside the bundle keeps it; where autotrace cannot reach the bundle's API copy, it says so once.

const received: Received[] = [];
let receiver: Server;
let endpoint = '';
let work = '';
const api110 = join(repoRoot, 'compat', 'otel3', 'node_modules', '@opentelemetry', 'api');

// Registers the app's own SDK inside the bundle, then starts the service: each ended span is a JSON line in SPANS_FILE.
const OWN_SDK = `import { appendFileSync } from 'node:fs';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

const exporter = {
  export(spans: ReadableSpan[], done: (result: { code: number }) => void) {
    for (const span of spans) appendFileSync(process.env.SPANS_FILE!, JSON.stringify({ name: span.name }) + '\\n');
    done({ code: 0 });
  },
  shutdown: async () => {},
};
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
`;

// Traces by hand with its own @opentelemetry/api, and is bundled without the autotrace plugin.
const MANUAL = `import { trace } from '@opentelemetry/api';
import { createServer } from 'node:http';

const tracer = trace.getTracer('manual');
const server = createServer((req, res) => tracer.startActiveSpan('handle', (span) => { res.end('{}'); span.end(); }));
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\\n'));
`;

beforeAll(async () => {
  ({ server: receiver, endpoint } = await otlpReceiver(received));
  work = join(repoRoot, '.tmp', 'bundle-export');
  rmSync(work, { recursive: true, force: true });
  cpSync(join(fixturesDir, 'doors'), work, { recursive: true, filter: (src) => !/node_modules|[\\/]out$/.test(src) });
  mkdirSync(join(work, 'node_modules'), { recursive: true });
  symlinkSync(repoRoot, join(work, 'node_modules', 'autotrace'), 'dir');
  writeFileSync(join(work, 'src', 'own-sdk.ts'), OWN_SDK);
  // The service (and with it the runtime) first, the app's SDK after: registered before the first request, it wins.
  writeFileSync(join(work, 'src', 'own-sdk-service.ts'), `import './service';\nimport './own-sdk';\n`);
  writeFileSync(join(work, 'src', 'manual.ts'), MANUAL);
}, 60_000);
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
});

async function esbuildBundle(entry: string, outfile: string, options: { plugin?: boolean; alias?: Record<string, string> } = {}) {
  const esbuild = requireFromRepo('esbuild') as typeof import('esbuild');
  const autotrace = requireFromRepo('autotrace/esbuild') as (options: object) => import('esbuild').Plugin;
  await esbuild.build({
    entryPoints: [join(work, 'src', entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: join(work, outfile),
    logLevel: 'silent',
    alias: options.alias,
    plugins: options.plugin === false ? [] : [autotrace({ root: work, quiet: true })],
  });
  const text = readFileSync(join(work, outfile), 'utf8');
  // Fully bundled: the API and the runtime are copies inside the bundle, not requires of node_modules.
  expect(text).toContain('opentelemetry.js.api.');
  expect(text).not.toMatch(/require\("(@opentelemetry\/api|autotrace\/runtime)"\)/);
}

/** Runs the bundle with --import autotrace/otel exporting OTLP/JSON to the receiver, sends requests, then SIGTERM. */
async function serveOnce(bundle: string, extraEnv: Record<string, string> = {}, requests = 1) {
  const child = spawn(process.execPath, ['--import', 'autotrace/otel', bundle], {
    cwd: work,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'bundled', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (line) => resolve(JSON.parse(String(line).split('\n')[0]!).port));
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  for (let i = 0; i < requests; i++) expect((await fetch(`http://127.0.0.1:${port}/hello/ann`)).status).toBe(200);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { stderr };
}

/** Root first, then each span's child: kind and name; every span in one trace. */
function chain(spans: ReceivedSpan[]): string[] {
  expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
  const lines: string[] = [];
  for (let span = spans.find((s) => !s.parentSpanId); span; span = spans.find((s) => s.parentSpanId === span!.spanId)) {
    lines.push(`${span.kind === 2 ? 'SERVER' : span.kind === 3 ? 'CLIENT' : span.kind} ${span.name}`);
  }
  return lines;
}

const CHAIN = ['SERVER GET /hello/:name', 'CLIENT GET /downstream/{name}', 'SERVER GET /downstream/:name'];
const receivedSpans = () => received.flatMap((r) => r.spans ?? []);

describe('a full bundle run with --import autotrace/otel', () => {
  it('esbuild bundle: true with autotrace/esbuild: the spans arrive over OTLP with their parent chain', async () => {
    await esbuildBundle('service.ts', 'out/esbuild/service.js');
    const { stderr } = await serveOnce('out/esbuild/service.js');
    expect(stderr).toBe('');
    expect(receivedSpans()).toHaveLength(3);
    expect(chain(receivedSpans())).toEqual(CHAIN);
    expect(new Set(received.map((r) => r.serviceName))).toEqual(new Set(['bundled']));
  }, 60_000);

  it('webpack, nothing external, with autotrace/webpack: the same trace', async () => {
    const tsc = await run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', 'out/plain'], work);
    expect(tsc.stdout + tsc.stderr).toBe('');
    const webpack = requireFromRepo('webpack') as typeof import('webpack');
    const autotrace = requireFromRepo('autotrace/webpack') as (options: object) => never;
    const stats = await new Promise<import('webpack').Stats>((resolve, reject) =>
      webpack(
        {
          mode: 'development',
          devtool: false,
          target: 'node',
          context: work,
          entry: './out/plain/service.js',
          output: { path: join(work, 'out', 'webpack'), filename: 'service.js', library: { type: 'commonjs2' } },
          plugins: [autotrace({ root: work, quiet: true })],
        },
        (error, result) => (error || !result ? reject(error) : resolve(result)),
      ),
    );
    expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
    expect(readFileSync(join(work, 'out', 'webpack', 'service.js'), 'utf8')).toContain('opentelemetry.js.api.');
    const { stderr } = await serveOnce('out/webpack/service.js');
    expect(stderr).toBe('');
    expect(chain(receivedSpans())).toEqual(CHAIN);
  }, 120_000);

  it('Vite SSR build with ssr.noExternal: true and autotrace/vite (an ES module): the same trace', async () => {
    // vite is vitest's own dependency; declaring it here would pull esbuild to another major for its optional peer.
    const { build } = await import('vite');
    const autotrace = requireFromRepo('autotrace/vite') as (options: object) => import('vite').Plugin;
    await build({
      root: work,
      configFile: false,
      logLevel: 'silent',
      plugins: [autotrace({ root: work, quiet: true })],
      ssr: { noExternal: true, target: 'node' },
      build: { ssr: join(work, 'src', 'service.ts'), outDir: join(work, 'out', 'vite'), emptyOutDir: true, minify: false },
    });
    const text = readFileSync(join(work, 'out', 'vite', 'service.mjs'), 'utf8');
    expect(text).toContain('opentelemetry.js.api.');
    expect(text).not.toMatch(/from "(@opentelemetry\/api|autotrace\/runtime)"/);
    const { stderr } = await serveOnce('out/vite/service.mjs');
    expect(stderr).toBe('');
    expect(chain(receivedSpans())).toEqual(CHAIN);
  }, 120_000);

  it('an app that registers its own provider inside the bundle keeps it: nothing goes to autotrace/otel\'s', async () => {
    await esbuildBundle('own-sdk-service.ts', 'out/own-sdk/service.js');
    const spansFile = join(work, 'out', 'own-sdk', 'spans.jsonl');
    const { stderr } = await serveOnce('out/own-sdk/service.js', { SPANS_FILE: spansFile });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stderr).toBe('');
    expect(received).toEqual([]);
    const names = readFileSync(spansFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line).name).sort();
    expect(names).toEqual(['GET /downstream/:name', 'GET /downstream/{name}', 'GET /hello/:name']);
  }, 60_000);
});

describe('where autotrace cannot reach the bundle\'s copy of the API, it says so once, with the fix', () => {
  it('a bundle built without the plugin that traces with its own @opentelemetry/api: at start', async () => {
    await esbuildBundle('manual.ts', 'out/manual/service.js', { plugin: false });
    const { stderr } = await serveOnce('out/manual/service.js', {}, 2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^autotrace\/otel: .*out\/manual\/service\.js carries its own copy of @opentelemetry\/api, which the SDK started here cannot reach/);
    expect(lines[0]).toContain('Fix: mark @opentelemetry/api external in the bundler, or build with the autotrace plugin');
  }, 60_000);

  it('a bundle whose @opentelemetry/api (1.10) cannot read the registry of the one installed (1.9): at first use', async () => {
    expect(existsSync(api110), 'run: npm ci --prefix compat/otel3').toBe(true);
    await esbuildBundle('service.ts', 'out/api110/service.js', { alias: { '@opentelemetry/api': api110 } });
    const { stderr } = await serveOnce('out/api110/service.js', {}, 2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^autotrace: no spans from this bundle are exported: its copy of @opentelemetry\/api cannot share OpenTelemetry's global registry with the one autotrace\/otel loaded \(1\.9\.\d+\)/);
    expect(lines[0]).toContain('Fix: build the bundle against the @opentelemetry/api version installed beside it, or mark @opentelemetry/api external');
    // The bundle's build-time spans go nowhere (the CLIENT span would be named by its url.template); what may arrive is
    // only what the run-time net, loaded from node_modules by autotrace/otel, made for the same traffic.
    expect(receivedSpans().length).toBeGreaterThan(0);
    expect(receivedSpans().map((span) => span.name)).not.toContain('GET /downstream/{name}');
  }, 60_000);
});
