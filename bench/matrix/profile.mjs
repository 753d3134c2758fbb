// Summarises the newest .cpuprofile in bench/out/profiles: self time (idle left out) by package, then the functions
// with the most self time. `node bench/matrix/profile.mjs [variant] [top N]` (a run with `--profile C,H` writes one
// folder per variant).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [variant = 'C', top = '20'] = process.argv.slice(2);
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'profiles', variant);
const newest = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
const profile = JSON.parse(readFileSync(newest, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const functions = new Map();
const packages = new Map();
let busy = 0;
profile.samples.forEach((id, i) => {
  const { callFrame } = byId.get(id);
  const micros = profile.timeDeltas[i];
  if (callFrame.functionName === '(idle)') return;
  busy += micros;
  const url = callFrame.url;
  const pkg = /\/dist\/runtime\//.test(url) ? 'autotrace runtime' : /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(url)?.[1] ?? (url.startsWith('node:') ? 'node core' : callFrame.functionName.startsWith('(') ? callFrame.functionName : 'other');
  packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
  const key = `${callFrame.functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${callFrame.lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + micros);
});
const pct = (micros) => `${((micros / busy) * 100).toFixed(1).padStart(5)}%`;
console.log('self time by package (idle left out):');
for (const [pkg, micros] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(micros)}  ${pkg}`);
console.log('top functions:');
for (const [key, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`  ${pct(micros)}  ${key}`);
