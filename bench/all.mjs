// `npm run bench`: every benchmark, side by side where it compares. Node 20 runs the matrix with this process's
// Node; Node 22 (compat/ts6, installed by npm test) and Node 24 (bench/node24, installed here on demand) run it again.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (args, options = {}) => execFileSync(process.execPath, args, { cwd: repo, stdio: 'inherit', ...options });

step([join(repo, 'bench', 'build.mjs')]);
step([join(repo, 'bench', 'build-large.mjs')]);
step([join(repo, 'bench', 'startup.mjs')]);
step([join(repo, 'bench', 'matrix', 'run.mjs')]);
const node22 = join(repo, 'compat', 'ts6', 'node_modules', 'node', 'bin', 'node');
if (existsSync(node22)) step([join(repo, 'bench', 'matrix', 'run.mjs'), '--node', node22]);
const node24 = join(repo, 'bench', 'node24', 'node_modules', 'node', 'bin', 'node');
if (!existsSync(node24)) execFileSync('npm', ['ci', '--prefix', join(repo, 'bench', 'node24'), '--no-audit', '--no-fund'], { stdio: 'inherit' });
step([join(repo, 'bench', 'matrix', 'run.mjs'), '--node', node24]);
step([join(repo, 'bench', 'net.mjs')]);
step([join(repo, 'bench', 'net.mjs'), '--node', node24]);
// Heap after GC under a fault load, traced against untraced (a shorter run than `npm run faults`).
try {
  step([join(repo, 'test', 'scale', 'faults.mjs'), '--requests', '4000']);
} catch {
  console.log('faults: the fault-load run failed (see above)');
}
