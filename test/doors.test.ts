import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLCHAINS, tspcBuild } from './helpers/fixture-project';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';
import { run } from './helpers/processes';

// One service (fixtures/doors) through every build path autotrace offers, each run as its own process with a real
// SDK: every door must give the same trace, and leave the look-alikes alone.

const fixture = join(fixturesDir, 'doors');
const spansPreload = join(repoRoot, 'test', 'helpers', 'spans-to-file.cjs');
const cli = join(repoRoot, 'dist', 'transformer', 'cli', 'main.js');
const ts7 = join(repoRoot, 'compat', 'ts7');
const children: ChildProcess[] = [];

interface Span {
  name: string;
  kind: number;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

/** Starts a built service, sends GET /hello/ann, and returns the response and the trace as one line per span. */
async function traceOf(command: string, args: string[], cwd: string) {
  const spansFile = join(mkdtempSync(join(tmpdir(), 'autotrace-doors-')), 'spans.jsonl');
  const child = spawn(command, args, { cwd, env: { ...process.env, SPANS_FILE: spansFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (line) => resolve(JSON.parse(String(line).split('\n')[0]!).port));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
  const body = await (await fetch(`http://127.0.0.1:${port}/hello/ann`)).json();
  const deadline = Date.now() + 10_000;
  let spans: Span[] = [];
  while (spans.length < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    spans = existsSync(spansFile) ? readFileSync(spansFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Span) : [];
  }
  child.kill();
  return { body, trace: describeTrace(spans), stderr };
}

/** Root first, each span's child after it: kind, name, route or url.template, and code location. */
function describeTrace(spans: Span[]): string[] {
  const lines: string[] = [];
  const walk = (span: Span | undefined) => {
    if (!span) return;
    const a = span.attributes;
    const what = a['http.route'] ? `route ${a['http.route']}` : a['url.template'] ? `template ${a['url.template']}` : '';
    lines.push(`${span.kind === 1 ? 'SERVER' : 'CLIENT'} ${span.name} ${what} at ${a['code.file.path']}:${a['code.line.number']}`);
    walk(spans.find((s) => s.parentSpanId === span.spanId));
  };
  walk(spans.find((s) => !spans.some((p) => p.spanId === s.parentSpanId)));
  return lines;
}

const EXPECTED = [
  'SERVER GET /hello/:name route /hello/:name at src/service.ts:10',
  'CLIENT GET /downstream/{name} template /downstream/{name} at src/service.ts:11',
  'SERVER GET /downstream/:name route /downstream/:name at src/routes.ts:6',
];
const LOOKALIKES = ['b', 'local:x', 'requested y'];
const ESM_EXPECTED = [
  'SERVER GET /hello/:name route /hello/:name at esm/service.mjs:6',
  'CLIENT GET /downstream/{name} template /downstream/{name} at esm/service.mjs:7',
  'SERVER GET /downstream/:name route /downstream/:name at esm/service.mjs:11',
];

const plainJs = (dir: string) => readFileSync(join(dir, 'out', 'plain', 'lookalikes.js'), 'utf8');

let work = '';
beforeAll(async () => {
  work = join(repoRoot, '.tmp', 'doors');
  rmSync(work, { recursive: true, force: true });
  cpSync(fixture, work, { recursive: true, filter: (src) => !/node_modules|[\\/]out$/.test(src) });
  mkdirSync(join(work, 'node_modules'), { recursive: true });
  symlinkSync(repoRoot, join(work, 'node_modules', 'autotrace'), 'dir');
  // The untraced build every other door starts from or is compared with: plain tsc, no plugin.
  const plain = await run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', 'out/plain'], work);
  expect(plain.stdout + plain.stderr).toBe('');
}, 120_000);
afterAll(() => children.forEach((child) => child.kill()));

describe('the same service through every door gives the same trace', () => {
  it('tspc: the tsconfig plugin over the full program', async () => {
    const build = await tspcBuild(work);
    expect(build.code).toBe(0);
    expect(readFileSync(join(work, 'out', 'tspc', 'lookalikes.js'), 'utf8')).toBe(plainJs(work));
    const { body, trace } = await traceOf(process.execPath, ['-r', spansPreload, 'out/tspc/service.js'], work);
    expect(body.lookalikes).toEqual(LOOKALIKES);
    expect(trace).toEqual(EXPECTED);
  }, 60_000);

  it('transpileModule: each file alone (ts-jest isolatedModules, ts-node --transpile-only), by imports', async () => {
    const script = `
      const ts = require('ts-patch/compiler');
      const fs = require('fs');
      fs.mkdirSync('out/isolated', { recursive: true });
      for (const name of ['service', 'routes', 'lookalikes']) {
        const out = ts.transpileModule(fs.readFileSync('src/' + name + '.ts', 'utf8'), {
          fileName: 'src/' + name + '.ts',
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true,
            plugins: [{ transform: 'autotrace/transformer' }] },
        });
        fs.writeFileSync('out/isolated/' + name + '.js', out.outputText);
      }`;
    const build = await run(process.execPath, ['-e', script], work);
    expect(build.stderr).toBe('');
    const plainIsolated = requireFromRepo('typescript').transpileModule(readFileSync(join(work, 'src', 'lookalikes.ts'), 'utf8'), {
      fileName: 'src/lookalikes.ts',
      compilerOptions: { module: 1, target: 9, esModuleInterop: true },
    }).outputText;
    expect(readFileSync(join(work, 'out', 'isolated', 'lookalikes.js'), 'utf8')).toBe(plainIsolated);
    const { body, trace } = await traceOf(process.execPath, ['-r', spansPreload, 'out/isolated/service.js'], work);
    expect(body.lookalikes).toEqual(LOOKALIKES);
    expect(trace).toEqual(EXPECTED);
  }, 60_000);

  it.each<[string, Partial<import('esbuild').BuildOptions>]>([
    ['full bundling', {}],
    ["packages: 'external'", { packages: 'external' }],
  ])('esbuild with autotrace/esbuild, %s', async (name, extra) => {
    const esbuild = requireFromRepo('esbuild') as typeof import('esbuild');
    const autotrace = requireFromRepo('autotrace/esbuild') as (options: object) => import('esbuild').Plugin;
    const outfile = join(work, 'out', `esbuild-${name.replace(/\W+/g, '-')}`, 'service.js');
    await esbuild.build({
      entryPoints: [join(work, 'src', 'service.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      sourcemap: true,
      logLevel: 'silent',
      plugins: [autotrace({ root: work })],
      ...extra,
    });
    const { body, trace } = await traceOf(process.execPath, ['-r', spansPreload, outfile], work);
    expect(body.lookalikes).toEqual(LOOKALIKES);
    expect(trace).toEqual(EXPECTED);
  }, 60_000);

  it('webpack with autotrace/webpack, over the JavaScript plain tsc emitted', async () => {
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
          externals: [({ request }, callback) => (/^[./]/.test(request ?? '') ? callback() : callback(undefined, `commonjs ${request}`))],
          plugins: [autotrace({ root: work })],
        },
        (error, result) => (error || !result ? reject(error) : resolve(result)),
      ),
    );
    expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
    const { body, trace } = await traceOf(process.execPath, ['-r', spansPreload, 'out/webpack/service.js'], work);
    expect(body.lookalikes).toEqual(LOOKALIKES);
    expect(trace).toEqual(EXPECTED);
  }, 60_000);

  it('rollup with autotrace/rollup, bundling the ES module version of the service', async () => {
    const { rollup } = requireFromRepo('rollup') as typeof import('rollup');
    const autotrace = requireFromRepo('autotrace/rollup') as (options: object) => import('rollup').Plugin;
    const bundle = await rollup({ input: join(work, 'esm', 'service.mjs'), external: (id) => !/^[./]/.test(id) && !id.startsWith(work), plugins: [autotrace({ root: work })] });
    await bundle.write({ file: join(work, 'out', 'rollup', 'service.mjs'), format: 'es', sourcemap: true });
    const { trace } = await traceOf(process.execPath, ['-r', spansPreload, 'out/rollup/service.mjs'], work);
    expect(trace).toEqual(ESM_EXPECTED);
  }, 60_000);

  it('TypeScript 7, then autotrace instrument on its output (idempotent, maps chained to the .ts lines)', async () => {
    expect(existsSync(join(ts7, 'node_modules', 'typescript5')), 'run: npm ci --prefix compat/ts7').toBe(true);
    const dir = join(ts7, 'work', 'doors');
    rmSync(dir, { recursive: true, force: true });
    cpSync(work, dir, { recursive: true, filter: (src) => !/node_modules|[\\/]out$/.test(src) });
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(repoRoot, join(dir, 'node_modules', 'autotrace'), 'dir');
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    tsconfig.compilerOptions.outDir = 'out/ts7';
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const build = await run(join(ts7, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir);
    expect(build.code).toBe(0);
    const untracedLookalikes = readFileSync(join(dir, 'out', 'ts7', 'lookalikes.js'), 'utf8');
    const first = await run(process.execPath, [cli, 'instrument', 'out/ts7', '-p', 'tsconfig.json'], dir);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('autotrace: 4 sites: 4 traced, 0 black boxes, coverage 100% (2 files instrumented in out/ts7)');
    const once = readFileSync(join(dir, 'out', 'ts7', 'service.js'), 'utf8');
    const report = readFileSync(join(dir, 'autotrace-report.json'), 'utf8');
    const sites = (JSON.parse(report) as { sites: { file: string; line: number; recogniser: string }[] }).sites;
    expect(sites.map((site) => `${site.file}:${site.line} ${site.recogniser}`)).toEqual([
      'src/routes.ts:6 imports',
      'src/service.ts:8 imports',
      'src/service.ts:10 imports',
      'src/service.ts:11 imports',
    ]);
    const again = await run(process.execPath, [cli, 'instrument', 'out/ts7', '-p', 'tsconfig.json'], dir);
    expect(again.stderr).toContain('autotrace: 4 sites: 4 traced, 0 black boxes, coverage 100% (0 files instrumented');
    expect(readFileSync(join(dir, 'out', 'ts7', 'service.js'), 'utf8')).toBe(once);
    expect(readFileSync(join(dir, 'autotrace-report.json'), 'utf8')).toBe(report);
    expect((await run(process.execPath, [cli, 'check'], dir)).stdout).toContain('2 files with 4 traced sites, all emitted traced (TypeScript 7.0.2)');
    expect(readFileSync(join(dir, 'out', 'ts7', 'lookalikes.js'), 'utf8')).toBe(untracedLookalikes);
    const { body, trace } = await traceOf(process.execPath, ['-r', spansPreload, 'out/ts7/service.js'], dir);
    expect(body.lookalikes).toEqual(LOOKALIKES);
    expect(trace).toEqual(EXPECTED);
  }, 60_000);
});

describe.each(TOOLCHAINS.map((t) => [t.nodeMajor, t.node] as const))('the load-time hook on Node %i', (_major, node) => {
  it('traces CommonJS as it loads: node --import autotrace/register (the plain tsc output)', async () => {
    const { body, trace, stderr } = await traceOf(node, ['-r', spansPreload, '--import', 'autotrace/register', 'out/plain/service.js'], work);
    expect(stderr).toBe('');
    expect(body.lookalikes).toEqual(LOOKALIKES);
    expect(trace).toEqual(EXPECTED);
  }, 60_000);

  it('traces ES modules as they load', async () => {
    const { trace, stderr } = await traceOf(node, ['-r', spansPreload, '--import', 'autotrace/register', 'esm/service.mjs'], work);
    expect(stderr).toBe('');
    expect(trace).toEqual(ESM_EXPECTED);
  }, 60_000);

  it('composes with tsx: node --import tsx --import autotrace/register src/service.ts', async () => {
    const { body, trace } = await traceOf(node, ['-r', spansPreload, '--import', 'tsx', '--import', 'autotrace/register', 'src/service.ts'], work);
    expect(body.lookalikes).toEqual(LOOKALIKES);
    expect(trace).toEqual(EXPECTED);
  }, 60_000);
});


