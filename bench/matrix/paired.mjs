// `npm run bench:paired`: the comparisons the targets make (harness.mjs PAIRS), measured where this shared machine
// disturbs them least. Each variant's server process sends itself its load (server.mjs selfLoad: eight keep-alive
// connections of raw bytes), so a request's CPU time is spent in that one process, by a client that costs the same in
// every variant; the variants take turns in many short rounds after a warm-up, and each pair's ratio is taken within
// each round. Prints median ratios with a 95% interval of the median, and writes bench/results/paired-node<major>.json.
//
//   node bench/matrix/paired.mjs [--node PATH] [--rounds N] [--requests N] [--warm N] [--routes /small,/fetch]
//                                [--profile C,F]   (those servers under --cpu-prof; `node bench/matrix/profile.mjs C F`)
//                                [--variants C,F]  (only those: a quick look at one pair; bench/results is left as it was)
//                                [--processes K]   (the rounds split among K fresh sets of server processes; default 3)
//
// Why several processes: a ratio moves between runs of the same code by more than one run's interval says (Node 24
// /fetch C/G: 0.90 to 1.14 across fourteen runs, each interval 0.05-0.25 wide), so part of the difference between
// two variants belongs to the pair of processes measured (where the JIT and the heap happened to settle), not to
// the code. Rounds from K pairs of processes put that spread inside the interval, and each set's own medians are
// printed beside the pooled ones.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ask, build, median, NAMES, nodeVersion, pairRatios, printPairs, repo, startDownstream, startServer } from './harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const node = option('--node', process.execPath);
const ROUNDS = Number(option('--rounds', 60));
const WARM = Number(option('--warm', 10000));
const ROUTES = option('--routes', '/small,/fetch').split(',');
// /fetch costs about four times /small: fewer requests keep its rounds as short.
const REQUESTS = { '/small': Number(option('--requests', 2000)), '/fetch': Number(option('--requests', 500)) };
const ALL_VARIANTS = ['A', 'H', 'F', 'G', 'C', 'D', 'X'];
const VARIANTS = option('--variants', ALL_VARIANTS.join(',')).split(',');
if (!VARIANTS.every((variant) => ALL_VARIANTS.includes(variant))) throw new Error(`--variants: each of ${ALL_VARIANTS.join(', ')}`);
const PROCESSES = Number(option('--processes', 3));
if (!(PROCESSES >= 1 && PROCESSES <= ROUNDS)) throw new Error('--processes: from 1 to the number of rounds');
const PROFILE = option('--profile', '').split(',');
const profiled = (variant) => ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', join(repo, 'bench', 'out', 'profiles', variant)];

build();
const downstream = await startDownstream();
const newSamples = () => Object.fromEntries(VARIANTS.flatMap((v) => ROUTES.map((r) => [`${v} ${r}`, { cpu: [], rps: [], gc: [], spans: 0, requests: 0 }])));
const samples = newSamples();
const perProcessSet = [];
for (let set = 0; set < PROCESSES; set++) {
  // This set's share of the rounds; the first sets take one more when they do not divide evenly.
  const rounds = Math.floor(ROUNDS / PROCESSES) + (set < ROUNDS % PROCESSES ? 1 : 0);
  const servers = {};
  for (const variant of VARIANTS) servers[variant] = await startServer(node, variant, downstream.url, ['--expose-gc', ...(PROFILE.includes(variant) ? profiled(variant) : [])]);
  const own = newSamples();
  for (const route of ROUTES) {
    for (const variant of VARIANTS) await ask(servers[variant].child, { selfLoad: { route, requests: WARM } });
    for (let round = 0; round < rounds; round++) {
      // Each round starts with another variant, so none always follows the same one.
      for (const variant of VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length])) {
        const stats = await ask(servers[variant].child, { selfLoad: { route, requests: REQUESTS[route] ?? 1000 } });
        for (const sample of [samples[`${variant} ${route}`], own[`${variant} ${route}`]]) {
          sample.cpu.push(stats.cpuMicros / stats.requests);
          sample.rps.push(stats.requests / stats.seconds);
          sample.gc.push((stats.gcMicros.minor + stats.gcMicros.major) / stats.requests);
          sample.spans += stats.spans;
          sample.requests += stats.requests;
        }
      }
    }
  }
  await Promise.all(Object.values(servers).map(({ child }) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGINT')))));
  perProcessSet.push(pairRatios(own, VARIANTS, ROUTES));
}
downstream.server.close();

const version = nodeVersion(node);
const results = { node: version, rounds: ROUNDS, processes: PROCESSES, warm: WARM, requests: REQUESTS, variants: {}, pairs: pairRatios(samples, VARIANTS, ROUTES), perProcessSet };
console.log(
  `Node ${version}: each server loads itself; ${PROCESSES} set(s) of server processes, each warmed up with ${WARM} requests, then ${ROUNDS} interleaved rounds per route in all (${ROUTES.map((r) => `${r} ${REQUESTS[r]}`).join(', ')} requests)`,
);
console.log('variant                                                 route    CPU µs/req [min-max]  req/s   GC µs  spans/req');
for (const variant of VARIANTS) {
  results.variants[variant] = { name: NAMES[variant] };
  for (const route of ROUTES) {
    const s = samples[`${variant} ${route}`];
    const r = (results.variants[variant][route] = {
      cpuMicrosPerRequest: median(s.cpu),
      cpuMicrosRange: [Math.min(...s.cpu), Math.max(...s.cpu)],
      requestsPerSecond: median(s.rps),
      gcPauseMicrosPerRequest: median(s.gc),
      spansPerRequest: s.spans / s.requests,
    });
    console.log(
      `${`${variant} ${NAMES[variant]}`.padEnd(55)} ${route.padEnd(8)} ${r.cpuMicrosPerRequest.toFixed(1).padStart(6)} [${r.cpuMicrosRange.map((x) => x.toFixed(0)).join('-')}]`.padEnd(88) +
        ` ${r.requestsPerSecond.toFixed(0).padStart(6)}  ${r.gcPauseMicrosPerRequest.toFixed(2).padStart(5)}  ${r.spansPerRequest.toFixed(2)}`,
    );
  }
}
printPairs(results.pairs, ROUNDS);
if (PROCESSES > 1) {
  console.log(`each set of processes alone (median of its rounds' ratios):`);
  for (const key of Object.keys(results.pairs)) console.log(`  ${key.padEnd(16)} ${perProcessSet.map((pairs) => pairs[key].median.toFixed(3)).join('  ')}`);
}
// A run of some variants only prints, as run.mjs's does: bench/results keeps the last full run.
if (!args.includes('--variants')) {
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'results', `paired-node${version.split('.')[0]}.json`), `${JSON.stringify(results, null, 2)}\n`);
}
