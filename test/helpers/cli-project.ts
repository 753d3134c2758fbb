import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './paths';
import { run } from './processes';

// A user's project made from scratch for the CLI tests: files written as a person (or `tsc --init`) writes them,
// `autotrace` linked into its node_modules as after `npm install`, and its built output run with a real SDK.

export const cli = join(repoRoot, 'dist', 'transformer', 'cli', 'main.js');
export const autotrace = (dir: string, ...args: string[]) => run(process.execPath, [cli, ...args], dir);

/** A new, empty project folder under `under` (inside the repository, so that its packages resolve from here). */
export function newProject(name: string, files: Record<string, string>, under = join(repoRoot, '.tmp', 'cli')): string {
  const dir = join(under, name);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  if (!existsSync(join(dir, 'node_modules', 'autotrace'))) symlinkSync(repoRoot, join(dir, 'node_modules', 'autotrace'), 'dir');
  return dir;
}

/**
 * A service that calls itself once and exits: traced, it makes two SERVER and two CLIENT spans in one trace. Its
 * named import of createServer becomes `(0, node_http_1.createServer)(…)` in CommonJS output, which the paths without
 * a type checker (TypeScript 7 + instrument) have to recognise too.
 */
export const SERVICE = `import { createServer } from 'node:http';

const server = createServer(async (req, res) => {
  if (req.url === '/downstream') return void res.end('ok');
  const answer = await fetch(\`http://127.0.0.1:\${port()}/downstream\`);
  res.end(await answer.text());
});
server.listen(0, '127.0.0.1', async () => {
  const body = await (await fetch(\`http://127.0.0.1:\${port()}/\`)).text();
  process.stdout.write(\`\${body}\\n\`);
  setTimeout(() => process.exit(0), 50);
});
function port(): number {
  return (server.address() as { port: number }).port;
}
`;

export interface RunResult {
  readonly status: number | null;
  readonly output: string;
  /** `KIND name` of every span, and how many traces they make. */
  readonly spans: string[];
  readonly traces: number;
}

/** Runs a built entry with a real SDK preloaded, and reads back the spans it ended. */
export function runTraced(dir: string, entry: string): RunResult {
  const spansFile = join(mkdtempSync(join(tmpdir(), 'autotrace-cli-')), 'spans.jsonl');
  const preload = join(repoRoot, 'test', 'helpers', 'spans-to-file.cjs');
  const result = spawnSync(process.execPath, ['-r', preload, entry], { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { ...process.env, SPANS_FILE: spansFile } });
  const lines = existsSync(spansFile) ? readFileSync(spansFile, 'utf8').trim().split('\n') : [];
  const spans = lines.map((line) => JSON.parse(line) as { name: string; kind: number; traceId: string });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    spans: spans.map((span) => `${span.kind === 1 ? 'SERVER' : span.kind === 2 ? 'CLIENT' : span.kind} ${span.name}`).sort(),
    traces: new Set(spans.map((span) => span.traceId)).size,
  };
}

/** What the traced SERVICE ends with, sorted. */
export const SERVICE_SPANS = ['CLIENT GET /', 'CLIENT GET /downstream', 'SERVER GET', 'SERVER GET'];
