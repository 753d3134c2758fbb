// Summarises the newest .cpuprofile in bench/out/profiles/<variant> (a run with `--profile C,H` writes one folder per
// variant): self time (idle left out) by package, then the functions with the most self time.
//   node bench/matrix/profile.mjs C [top N]       one variant, as shares of its busy time
//   node bench/matrix/profile.mjs C F [top N]     two variants side by side, µs per request (the servers write how many
//                                                 requests they served), sorted by the difference
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const variants = args.filter((arg) => /^[A-Z]$/.test(arg));
const top = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 20);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'profiles');

/** Self time (µs) by package and by function of a variant's newest profile, and the requests its server served. */
function load(variant) {
  const dir = join(root, variant);
  const newest = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const profile = JSON.parse(readFileSync(newest, 'utf8'));
  const pid = /\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(newest)?.[1];
  const counted = join(dir, `requests-${pid}.json`);
  const requests = existsSync(counted) ? JSON.parse(readFileSync(counted, 'utf8')).requests : undefined;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map();
  const packages = new Map();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const { callFrame } = byId.get(id);
    const micros = profile.timeDeltas[i];
    if (callFrame.functionName === '(idle)' || callFrame.functionName === '(program)') return;
    busy += micros;
    const url = callFrame.url;
    const pkg = /\/dist\/runtime\//.test(url)
      ? 'autotrace runtime'
      : /node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(url)?.[1] ?? (url.startsWith('node:') ? 'node core' : callFrame.functionName.startsWith('(') ? callFrame.functionName : /bench\/out\/matrix/.test(url) ? 'the service (bench/matrix)' : 'native (socket writes, ...)');
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
    const key = `${callFrame.functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|out)\//, '$1/')}:${callFrame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
  });
  return { busy, packages, functions, requests };
}

if (variants.length < 2) {
  const { busy, packages, functions } = load(variants[0] ?? 'C');
  const pct = (micros) => `${((micros / busy) * 100).toFixed(1).padStart(5)}%`;
  console.log('self time by package (idle left out):');
  for (const [pkg, micros] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(micros)}  ${pkg}`);
  console.log('top functions:');
  for (const [key, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(micros)}  ${key}`);
} else {
  const [a, b] = variants.map(load);
  if (!a.requests || !b.requests) throw new Error('a profile without its request count: run bench/matrix/paired.mjs --profile');
  const table = (title, pick, limit) => {
    const keys = new Set([...pick(a).keys(), ...pick(b).keys()]);
    const rows = [...keys].map((key) => [key, (pick(a).get(key) ?? 0) / a.requests, (pick(b).get(key) ?? 0) / b.requests]);
    console.log(`${title}: µs per request, ${variants[0]} | ${variants[1]} | difference`);
    for (const [key, x, y] of rows.sort((r, s) => Math.abs(s[1] - s[2]) - Math.abs(r[1] - r[2])).slice(0, limit)) {
      console.log(`  ${x.toFixed(2).padStart(7)} ${y.toFixed(2).padStart(7)} ${(x - y >= 0 ? '+' : '') + (x - y).toFixed(2).padStart(6)}  ${key}`);
    }
  };
  console.log(`busy µs per request: ${variants[0]} ${(a.busy / a.requests).toFixed(2)}, ${variants[1]} ${(b.busy / b.requests).toFixed(2)} (under the profiler)`);
  table('by package', (p) => p.packages, 14);
  table('by function', (p) => p.functions, top);
}
