import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, repoRoot } from './paths';

// A service project in a temp folder whose traffic happens inside @acme/net-sdk, a package installed from the tarball
// `npm pack` makes of fixtures/net/net-sdk (a real install, not a file in the repo). `autotrace` is linked to this
// package, as after `npm install`.

const net = join(fixturesDir, 'net');
export const NODE22 = join(repoRoot, 'compat', 'ts6', 'node_modules', 'node', 'bin', 'node');

export interface SpanLine {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
}

export function netProject(): string {
  const project = mkdtempSync(join(tmpdir(), 'autotrace-net-'));
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'net-service', private: true }, null, 2)}\n`);
  const packed = spawnSync('npm', ['pack', '--pack-destination', project], { cwd: join(net, 'net-sdk'), encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(packed.stderr);
  const tarball = readdirSync(project).find((file) => file.endsWith('.tgz'))!;
  const installed = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`], {
    cwd: project,
    encoding: 'utf8',
  });
  if (installed.status !== 0) throw new Error(installed.stderr);
  symlinkSync(repoRoot, join(project, 'node_modules', 'autotrace'), 'dir');
  copyFileSync(join(net, 'service.cjs'), join(project, 'service.cjs'));
  return project;
}

export interface RunningService {
  readonly url: string;
  /** Closes stdin so the service exits by itself (exit handlers run), then returns its spans and output. */
  stop(): Promise<{ spans: SpanLine[]; stderr: string; record: unknown }>;
}

export interface ServiceOptions {
  readonly node?: string;
  /** Modules preloaded with -r (absolute paths). */
  readonly preload?: readonly string[];
  readonly env?: Record<string, string>;
  /** Export spans with test/helpers/spans-to-file.cjs (default true). */
  readonly sdk?: boolean;
}

export const SPANS_TO_FILE = join(repoRoot, 'test', 'helpers', 'spans-to-file.cjs');
export const WITH_INSTRUMENTATIONS = join(net, 'with-instrumentations.cjs');
export const THROWING_SDK = join(net, 'throwing-sdk.cjs');

export async function startService(project: string, downstream: string, options: ServiceOptions = {}): Promise<RunningService> {
  const runDir = mkdtempSync(join(project, 'run-'));
  const spansFile = join(runDir, 'spans.jsonl');
  const recordFile = join(runDir, 'record.json');
  const preload = options.preload ?? (options.sdk === false ? [] : [SPANS_TO_FILE]);
  const child = spawn(options.node ?? process.execPath, [...preload.flatMap((p) => ['-r', p]), 'service.cjs'], {
    cwd: project,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DOWNSTREAM: downstream,
      SPANS_FILE: spansFile,
      SPANS_TO_FILE,
      AUTOTRACE_RUNTIME_REPORT: recordFile,
      ...options.env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(stdout.trim());
    });
    child.on('close', (code) => reject(new Error(`service exited (${code}): ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.stdin.end();
      await exited;
      const spans = existsSync(spansFile)
        ? readFileSync(spansFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as SpanLine)
        : [];
      const record = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, 'utf8')) as unknown) : undefined;
      return { spans, stderr, record };
    },
  };
}
