// Startup cost of each way a service gets traced: time from `node …` to the first 200 response, median of ROUNDS,
// interleaved. The service is fixtures/doors (Express, one fetch), built once untraced (plain tsc) and once with the
// tsconfig plugin (tspc); the load-time hook traces the untraced build as it loads, so it pays for parsing there.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(repo, 'bench', 'out', 'startup');
const rounds = Number(process.env.ROUNDS ?? 9);

rmSync(work, { recursive: true, force: true });
cpSync(join(repo, 'fixtures', 'doors'), work, { recursive: true, filter: (src) => !/node_modules|[\\/]out$/.test(src) });
mkdirSync(join(work, 'node_modules'), { recursive: true });
symlinkSync(repo, join(work, 'node_modules', 'autotrace'), 'dir');
execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', 'out/plain'], { cwd: work });
execFileSync(process.execPath, [join(repo, 'node_modules', 'ts-patch', 'bin', 'tspc.js'), '-p', 'tsconfig.json'], { cwd: work, stdio: 'pipe' });

const variants = {
  'untraced (plain tsc)': ['out/plain/service.js'],
  'traced at build (tspc)': ['out/tspc/service.js'],
  'traced at load (--import autotrace/register)': ['--import', 'autotrace/register', 'out/plain/service.js'],
};

function firstResponse(args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', async (line) => {
      const { port } = JSON.parse(String(line));
      const response = await fetch(`http://127.0.0.1:${port}/downstream/x`);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      child.kill();
      response.status === 200 ? resolve(ms) : reject(new Error(`status ${response.status}`));
    });
    child.once('error', reject);
  });
}

const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, args] of Object.entries(variants)) times[name].push(await firstResponse(args));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(times['untraced (plain tsc)']);
console.log(`startup to first 200, median of ${rounds} (Node ${process.versions.node}):`);
for (const [name, values] of Object.entries(times)) {
  const ms = median(values);
  console.log(`  ${name.padEnd(46)} ${ms.toFixed(0).padStart(5)} ms  (+${(ms - base).toFixed(0)} ms)`);
}
