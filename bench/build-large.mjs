// Build cost on a generated project of FILES files (services with routers, handlers, fetch and axios calls at a
// realistic density, and files with no site at all): the same tspc builds it with and without the autotrace plugin,
// interleaved, ROUNDS times each. Prints wall time, CPU time, peak memory (max RSS) and emitted size, as ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const project = join(repo, 'bench', 'out', 'large');
const FILES = Number(process.env.FILES ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const tspc = join(repo, 'node_modules', 'ts-patch', 'bin', 'tspc.js');

function generate() {
  rmSync(project, { recursive: true, force: true });
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(repo, join(project, 'node_modules', 'autotrace'), 'dir');
  const compilerOptions = { target: 'ES2022', module: 'commonjs', esModuleInterop: true, strict: true, skipLibCheck: true, types: ['node'], rootDir: 'src' };
  const tsconfig = (outDir, plugins) => JSON.stringify({ compilerOptions: { ...compilerOptions, outDir, plugins }, include: ['src'] });
  writeFileSync(join(project, 'tsconfig.with.json'), tsconfig('out/with', [{ transform: 'autotrace/transformer', quiet: true, report: false }]));
  writeFileSync(join(project, 'tsconfig.without.json'), tsconfig('out/without', []));
  // Per service of 10 files: a router, a client, an app, and 7 files with no site (models, helpers, validation).
  for (let s = 0; s < FILES / 10; s++) {
    const dir = join(project, 'src', `service${s}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'routes.ts'), `import { Router, type Request, type Response } from 'express';
import { fetchUser, saveOrder } from './client';
import { validate } from './validate';
export const router = Router();
router.get('/users/:id', async (req: Request, res: Response) => res.json(await fetchUser(String(req.params.id))));
router.post('/orders', async (req: Request, res: Response) => res.status(201).json(await saveOrder(validate(req.body))));
router.get('/health', (_req, res) => res.send('ok'));
router.delete('/orders/:id', (req, res) => res.sendStatus(204));
`);
    writeFileSync(join(dir, 'client.ts'), `import axios from 'axios';
import type { Order, User } from './model';
const api = axios.create({ baseURL: 'http://orders${s}.internal' });
export async function fetchUser(id: string): Promise<User> {
  const response = await fetch(\`http://users${s}.internal/users/\${id}\`);
  return (await response.json()) as User;
}
export async function saveOrder(order: Order): Promise<Order> {
  return (await api.post<Order>('/orders', order)).data;
}
`);
    writeFileSync(join(dir, 'app.ts'), `import express from 'express';
import { router } from './routes';
export const app = express();
app.use(express.json());
app.use('/api', router);
`);
    writeFileSync(join(dir, 'model.ts'), `export interface User { id: string; name: string; email: string }\nexport interface Order { id: string; userId: string; items: { sku: string; quantity: number }[] }\n`);
    writeFileSync(join(dir, 'validate.ts'), `import type { Order } from './model';\nexport function validate(body: unknown): Order {\n  const order = body as Order;\n  if (!order || !Array.isArray(order.items)) throw new TypeError('bad order');\n  return order;\n}\n`);
    for (let h = 0; h < 5; h++) {
      writeFileSync(join(dir, `helper${h}.ts`), `export function total${h}(values: readonly number[]): number {\n  return values.reduce((sum, value) => sum + value * ${h + 1}, 0);\n}\nexport const label${h} = (name: string) => \`\${name.trim().toLowerCase()}-${h}\`;\nexport class Cache${h}<T> {\n  private readonly entries = new Map<string, T>();\n  get(key: string) { return this.entries.get(key); }\n  set(key: string, value: T) { this.entries.set(key, value); return this; }\n}\n`);
    }
  }
}

/** One build in a fresh process: wall ms, CPU ms and max RSS (MiB) of that process. */
function build(variant) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', join(repo, 'bench', 'report-usage.cjs'), tspc, '-p', `tsconfig.${variant}.json`], { cwd: project, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${variant} build failed:\n${result.stdout}${result.stderr}`);
  return { wall, ...JSON.parse(result.stderr.trim().split('\n').pop()) };
}

function size(dir) {
  return readdirSync(dir).reduce((sum, name) => {
    const path = join(dir, name);
    return sum + (statSync(path).isDirectory() ? size(path) : name.endsWith('.js') ? statSync(path).size : 0);
  }, 0);
}

generate();
execFileSync(process.execPath, [tspc, '--version'], { cwd: project });
const runs = { with: [], without: [] };
build('without');
build('with'); // warm the file system cache for both
for (let i = 0; i < ROUNDS; i++) {
  for (const variant of i % 2 === 0 ? ['without', 'with'] : ['with', 'without']) runs[variant].push(build(variant));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const figure = (variant, key) => median(runs[variant].map((run) => run[key]));
const spread = (variant, key) => {
  const values = runs[variant].map((run) => run[key]);
  return `[${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}]`;
};
// Each round's with/without ratio (the pair built back to back), so a slow spell of the machine shows as spread.
const pairRatios = (key) => runs.with.map((run, i) => run[key] / runs.without[i][key]);
const sites = Number(execFileSync('grep', ['-rho', '__autotrace\\.[a-zA-Z]*(', join(project, 'out', 'with')], { encoding: 'utf8' }).trim().split('\n').length);
console.log(`tspc on a generated project of ${FILES} files (${sites} sites), median [min-max] of ${ROUNDS} interleaved builds:`);
for (const [key, unit, label] of [['wall', 'ms', 'wall time'], ['cpu', 'ms', 'CPU time'], ['rss', 'MiB', 'peak memory (max RSS)']]) {
  const without = figure('without', key);
  const withPlugin = figure('with', key);
  const ratios = pairRatios(key);
  console.log(
    `  ${label.padEnd(22)} ${without.toFixed(0).padStart(6)} ${spread('without', key)} ${unit} without, ${withPlugin.toFixed(0).padStart(6)} ${spread('with', key)} ${unit} with autotrace: ${(withPlugin / without).toFixed(3)}x` +
      ` (round by round: median ${median(ratios).toFixed(3)}x, ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`,
  );
}
const plainBytes = size(join(project, 'out', 'without'));
const tracedBytes = size(join(project, 'out', 'with'));
console.log(`  emitted JavaScript     ${plainBytes} bytes without, ${tracedBytes} bytes with autotrace: +${(((tracedBytes - plainBytes) / plainBytes) * 100).toFixed(1)}%`);

// The ratio of whole builds moves with the machine's load (1.005x to 1.098x across runs of the same transformer);
// the plugin's share of one build moves less. PROFILED builds with the plugin under --cpu-prof: the time spent in
// autotrace's functions (dist/transformer) and in what they call (the checker's answers, TypeScript's node factory),
// against all the build's busy time, both under the profiler. Not in it: printing the larger output, and the
// garbage collector's work on what the plugin allocated.
const PROFILED = Number(process.env.PROFILED ?? 2);
const shares = [];
for (let i = 0; i < PROFILED; i++) {
  const dir = join(project, 'profiles', String(i));
  rmSync(dir, { recursive: true, force: true });
  const result = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, tspc, '-p', 'tsconfig.with.json'], { cwd: project, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`profiled build failed:\n${result.stdout}${result.stderr}`);
  shares.push(pluginShare(JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'))));
}
if (shares.length > 0) {
  const list = (format) => shares.map(format).join(', ');
  console.log(
    `  the plugin's work under --cpu-prof (its functions and what they call), ${PROFILED} builds: ${list((s) => s.plugin.toFixed(0))} ms of ${list((s) => s.busy.toFixed(0))} ms busy (${list((s) => `${((s.plugin / s.busy) * 100).toFixed(1)}%`)})`,
  );
}

/** Busy ms of a .cpuprofile, and the ms of its samples with a dist/transformer frame on their stack. */
function pluginShare(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const underPlugin = new Map();
  const isUnderPlugin = (id) => {
    if (id === undefined) return false;
    if (!underPlugin.has(id)) {
      const url = byId.get(id).callFrame.url.replace(/\\/g, '/');
      underPlugin.set(id, url.includes('/dist/transformer/') || isUnderPlugin(parentOf.get(id)));
    }
    return underPlugin.get(id);
  };
  let busy = 0;
  let plugin = 0;
  profile.samples.forEach((id, at) => {
    if (byId.get(id).callFrame.functionName === '(idle)') return;
    const micros = profile.timeDeltas[at] ?? 0;
    busy += micros;
    if (isUnderPlugin(id)) plugin += micros;
  });
  return { plugin: plugin / 1000, busy: busy / 1000 };
}
