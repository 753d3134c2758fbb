// `npm run bench`: every benchmark, side by side where it compares. Node 20 runs the matrix with this process's
// Node; Node 22 (compat/ts6, installed by npm test) and Node 24 (bench/node24, installed here on demand) run it again.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
// `npm run bench -- --requests N`: fewer requests per round for the matrix and the net benchmark (a loaded machine).
const cli = process.argv.slice(2);
const load = cli.includes('--requests') ? ['--requests', cli[cli.indexOf('--requests') + 1]] : [];
// Startup differences of a few ms need more tries than the matrix's default five: with 11, the median of D − A moved
// by 20 ms between runs of the same code; X − A (X adds nothing at startup) shows how far that is the machine.
const startups = ['--startups', '21'];
const step = (args, options = {}) => execFileSync(process.execPath, args, { cwd: repo, stdio: 'inherit', ...options });
// Node 24 first: the startup parts and the matrix both run on it.
const node24 = join(repo, 'bench', 'node24', 'node_modules', 'node', 'bin', 'node');
if (!existsSync(node24)) execFileSync('npm', ['ci', '--prefix', join(repo, 'bench', 'node24'), '--no-audit', '--no-fund'], { stdio: 'inherit' });

// `--no-fixture-build`: leaves out the emit benchmark on the fixtures (not among the targets; minutes on a loaded machine).
if (!cli.includes('--no-fixture-build')) step([join(repo, 'bench', 'build.mjs')]);
// Fifteen builds each: with five, the ratio moved between 1.04× and 1.25× from run to run on a shared machine, and
// with nine between 1.005× and 1.080× on the same transformer code (pairs 0.89–1.15 within one run).
step([join(repo, 'bench', 'build-large.mjs')], { env: { ...process.env, ROUNDS: process.env.ROUNDS ?? '15' } });
step([join(repo, 'bench', 'startup.mjs')]);
step([join(repo, 'bench', 'runtime-load.mjs')]);
step([join(repo, 'bench', 'matrix', 'run.mjs'), ...startups, ...load]);
const node22 = join(repo, 'compat', 'ts6', 'node_modules', 'node', 'bin', 'node');
if (existsSync(node22)) step([join(repo, 'bench', 'matrix', 'run.mjs'), '--node', node22, ...startups, ...load]);
step([join(repo, 'bench', 'matrix', 'run.mjs'), '--node', node24, ...startups, ...load]);
// The targets' comparisons where the machine disturbs them least: each server loads itself (bench/matrix/paired.mjs).
step([join(repo, 'bench', 'matrix', 'paired.mjs')]);
if (existsSync(node22)) step([join(repo, 'bench', 'matrix', 'paired.mjs'), '--node', node22]);
step([join(repo, 'bench', 'matrix', 'paired.mjs'), '--node', node24]);
// What the SDK charges for the SERVER span's attributes, autotrace's set against the hand-written one's.
step([join(repo, 'bench', 'span-attributes-micro.cjs')]);
execFileSync(node24, [join(repo, 'bench', 'span-attributes-micro.cjs')], { cwd: repo, stdio: 'inherit' });
// A client call's tracing apart from the network: autotrace's fetch wrapper against the hand-written one.
step([join(repo, 'bench', 'client-micro.cjs')]);
execFileSync(node24, [join(repo, 'bench', 'client-micro.cjs')], { cwd: repo, stdio: 'inherit' });
step([join(repo, 'bench', 'net.mjs'), '--rounds', '5', ...load]);
step([join(repo, 'bench', 'net.mjs'), '--node', node24, '--rounds', '5', ...load]);
// Heap after GC under the fault load (`npm run faults`: 20,000 requests), traced against untraced; 2,000 when
// `--requests` asks for a lighter run.
try {
  step([join(repo, 'test', 'scale', 'faults.mjs'), '--requests', load.length > 0 ? '2000' : '20000']);
} catch {
  console.log('faults: the fault-load run failed (see above)');
}
step([join(repo, 'bench', 'datastores.mjs')]);
