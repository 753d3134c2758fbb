// `npm run bench:matrix`: the benchmark service in seven variants, side by side in one run (see server.mjs for the
// variants), on a small route and a route that calls a downstream with fetch. Rounds are interleaved across
// variants; each variant's server runs in its own process and measures its own CPU time per request. Prints the
// table, and writes bench/results/matrix-node<major>.json.
//
// Each server is first warmed up (`--warm` requests per route): until then V8 is still optimising and the heap still
// growing, and CPU per request spread 2-5x from round to round (the first ~15,000 requests on Node 24). Then many
// short rounds, so that a slow minute of the shared machine falls on every variant alike; the comparisons the targets
// name are also taken round by round (the two variants' ratio within each round) with a 95% interval of the median.
//
//   node bench/matrix/run.mjs [--node PATH] [--requests N] [--rounds N] [--warm N] [--startups N]
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { ask, build, median, medianWithInterval, NAMES, nodeVersion, pairRatios, printPairs, repo, startDownstream, startServer } from './harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const node = option('--node', process.execPath);
const REQUESTS = Number(option('--requests', 1000));
const ROUNDS = Number(option('--rounds', 30));
const WARM = Number(option('--warm', 10000));
const STARTUPS = Number(option('--startups', 5));
const CONCURRENCY = 8;
// `--profile C`: that variant's server runs under --cpu-prof; bench/matrix/profile.mjs summarises the profile.
const ALLOC = !args.includes('--no-alloc');
const PROFILE = option('--profile', '').split(',');
// `--variants C,H`: only those variants (A, the base of every ratio, is always run).
const VARIANTS = [...new Set(['A', ...option('--variants', 'A,B,H,F,C,D,X').split(',')])];
const ROUTES = option('--routes', '/small,/fetch').split(',');

function get(agent, port, path) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1e3) : reject(new Error(`${path}: ${res.statusCode}`))));
    })
      .on('error', reject)
      .end();
  });
}

/** `count` requests, CONCURRENCY at a time: latencies (µs) and wall time (s). */
async function drive(port, path, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) latencies.push(await get(agent, port, path));
    }),
  );
  agent.destroy();
  return { latencies, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

build();
const downstream = await startDownstream();
const servers = {};
const execArgv = (variant) => ['--expose-gc', ...(PROFILE.includes(variant) ? ['--cpu-prof', '--cpu-prof-dir', join(repo, 'bench', 'out', 'profiles', variant)] : [])];
for (const variant of VARIANTS) servers[variant] = await startServer(node, variant, downstream.url, execArgv(variant));
const samples = Object.fromEntries(VARIANTS.flatMap((v) => ROUTES.map((r) => [`${v} ${r}`, { cpu: [], user: [], gc: [], rps: [], latencies: [], spans: 0, requests: 0 }])));
for (const route of ROUTES) for (const variant of VARIANTS) await drive(servers[variant].port, route, WARM);
for (let round = 0; round < ROUNDS; round++) {
  for (const route of ROUTES) {
    // Each round starts with another variant, so none always follows the same one.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    for (const variant of order) {
      const { child, port } = servers[variant];
      await drive(port, route, 200); // warm
      await ask(child, 'mark');
      const { latencies, seconds } = await drive(port, route, REQUESTS);
      const stats = await ask(child, 'stats');
      const sample = samples[`${variant} ${route}`];
      sample.cpu.push(stats.cpuMicros / stats.requests);
      sample.user.push(stats.userMicros / stats.requests);
      sample.gc.push((stats.gcMicros.minor + stats.gcMicros.major) / stats.requests);
      sample.rps.push(REQUESTS / seconds);
      sample.latencies.push(...latencies);
      sample.spans += stats.spans;
      sample.requests += stats.requests;
    }
  }
}
// Bytes allocated per request (sampled, collected objects included), in a window of its own after the CPU rounds.
const allocations = {};
if (ALLOC) {
  for (const route of ROUTES) {
    for (const variant of VARIANTS) {
      const { child, port } = servers[variant];
      await ask(child, 'alloc-start');
      await drive(port, route, 2000);
      allocations[`${variant} ${route}`] = await ask(child, 'alloc-stop');
    }
  }
}
// Heap per in-flight request: IN_FLIGHT /fetch requests held at the downstream, the server's heap after a full GC
// then and once they are answered, for each variant in turn.
const IN_FLIGHT = 200;
const inFlight = {};
if (ROUTES.includes('/fetch')) {
  for (const variant of VARIANTS) {
    const { child, port } = servers[variant];
    downstream.held = [];
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const pending = Array.from({ length: IN_FLIGHT }, () => get(agent, port, '/fetch'));
    while (downstream.held.length < IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 20));
    const during = await ask(child, 'heap');
    const responses = downstream.held;
    downstream.held = undefined;
    for (const res of responses) res.end('downstream data');
    await Promise.all(pending);
    agent.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await ask(child, 'heap');
    inFlight[variant] = { bytesPerInFlightRequest: Math.round((during.heapUsed - after.heapUsed) / IN_FLIGHT), heapAfterGc: after.heapUsed };
  }
}
// SIGINT lets a profiled server write its profile before it exits.
await Promise.all(Object.values(servers).map(({ child }) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGINT')))));

// Startup to first 200: a fresh process per try, interleaved, each try starting with another variant. Timed twice:
// by this process (fork to the response's arrival) and by the server itself (its start to its first response's end).
// Each variant's tries: { driverMs, ms, cpuMs } (the server's own figures from server.mjs).
const startupTries = Object.fromEntries(VARIANTS.map((v) => [v, []]));
for (let i = 0; i < STARTUPS; i++) {
  for (const variant of VARIANTS.map((_, at) => VARIANTS[(at + i) % VARIANTS.length])) {
    const { child, port, started } = await startServer(node, variant, downstream.url);
    await get(new Agent(), port, '/small');
    const driverMs = Number(process.hrtime.bigint() - started) / 1e6;
    startupTries[variant].push({ driverMs, ...(await ask(child, 'startup')) });
    child.kill();
  }
}
downstream.server.close();
const startupFigure = (variant, key) => startupTries[variant].map((tryFigures) => tryFigures[key]);
/** What a variant's startup adds to another's, try by try (ms, as the servers timed it): median [95% interval]. */
const startupDifference = (variant, base) => {
  const difference = (key) => medianWithInterval(startupTries[variant].map((tryFigures, i) => tryFigures[key] - startupTries[base][i][key]));
  return { wall: difference('ms'), cpu: difference('cpuMs') };
};

const version = nodeVersion(node);
const results = { node: version, requests: REQUESTS, rounds: ROUNDS, warm: WARM, concurrency: CONCURRENCY, variants: {}, pairs: pairRatios(samples, VARIANTS, ROUTES) };
const minMax = (values) => [Math.min(...values), Math.max(...values)];
if (VARIANTS.includes('D')) results.startupDifferences = { 'D-A': startupDifference('D', 'A'), ...(VARIANTS.includes('X') ? { 'X-A': startupDifference('X', 'A') } : {}) };
for (const variant of VARIANTS) {
  results.variants[variant] = {
    name: NAMES[variant],
    startupMs: median(startupFigure(variant, 'driverMs')),
    startupMsRange: minMax(startupFigure(variant, 'driverMs')),
    startupInProcessMs: median(startupFigure(variant, 'ms')),
    startupInProcessMsRange: minMax(startupFigure(variant, 'ms')),
    startupCpuMs: median(startupFigure(variant, 'cpuMs')),
    ...inFlight[variant],
  };
  for (const route of ROUTES) {
    const s = samples[`${variant} ${route}`];
    results.variants[variant][route] = {
      cpuMicrosPerRequest: median(s.cpu),
      cpuMicrosRange: [Math.min(...s.cpu), Math.max(...s.cpu)],
      userMicrosPerRequest: median(s.user),
      gcPauseMicrosPerRequest: median(s.gc),
      requestsPerSecondRange: [Math.min(...s.rps), Math.max(...s.rps)],
      ...(allocations[`${variant} ${route}`] ? { allocatedBytesPerRequest: Math.round(allocations[`${variant} ${route}`].bytesPerRequest), topAllocations: allocations[`${variant} ${route}`].top } : {}),
      requestsPerSecond: median(s.rps),
      p50Micros: percentile(s.latencies, 0.5),
      p99Micros: percentile(s.latencies, 0.99),
      spansPerRequest: s.spans / s.requests,
    };
  }
}
const base = results.variants.A;
console.log(`Node ${version}: ${WARM} requests to warm up, then ${ROUNDS} interleaved rounds of ${REQUESTS} requests per variant and route, ${CONCURRENCY} at a time`);
console.log('variant                                              route    CPU µs/req [min-max] (÷A)   user µs (÷A)   GC µs  req/s [min-max] (÷A)   p50 µs  p99 µs  B alloc/req  spans/req');
for (const variant of VARIANTS) {
  for (const route of ROUTES) {
    const r = results.variants[variant][route];
    const a = base[route];
    const range = ([lo, hi], digits) => `[${lo.toFixed(digits)}-${hi.toFixed(digits)}]`;
    console.log(
      `${`${variant} ${NAMES[variant]}`.padEnd(52)} ${route.padEnd(8)} ${r.cpuMicrosPerRequest.toFixed(1).padStart(6)} ${range(r.cpuMicrosRange, 0).padEnd(10)} (${(r.cpuMicrosPerRequest / a.cpuMicrosPerRequest).toFixed(2)})` +
        `   ${r.userMicrosPerRequest.toFixed(1).padStart(6)} (${(r.userMicrosPerRequest / a.userMicrosPerRequest).toFixed(2)})   ${r.gcPauseMicrosPerRequest.toFixed(2).padStart(5)}` +
        `   ${r.requestsPerSecond.toFixed(0).padStart(6)} ${range(r.requestsPerSecondRange, 0).padEnd(12)} (${(r.requestsPerSecond / a.requestsPerSecond).toFixed(2)})   ${r.p50Micros.toFixed(0).padStart(6)}  ${r.p99Micros.toFixed(0).padStart(6)}  ${String(r.allocatedBytesPerRequest ?? '-').padStart(11)}  ${r.spansPerRequest.toFixed(2)}`,
    );
  }
}
printPairs(results.pairs, ROUNDS);
console.log('startup to first 200 (median [min-max] of', STARTUPS, 'ms):', VARIANTS.map((v) => `${v} ${results.variants[v].startupMs.toFixed(0)} [${results.variants[v].startupMsRange.map((x) => x.toFixed(0)).join('-')}]`).join(', '));
console.log('  the same, timed by each server from its start:', VARIANTS.map((v) => `${v} ${results.variants[v].startupInProcessMs.toFixed(0)} [${results.variants[v].startupInProcessMsRange.map((x) => x.toFixed(0)).join('-')}]`).join(', '));
const signed = ({ median: ms, interval: [lo, hi] }) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms [${lo.toFixed(1)} to ${hi.toFixed(1)}]`;
for (const [key, { wall, cpu }] of Object.entries(results.startupDifferences ?? {})) {
  console.log(`  ${key} try by try, timed by each server (median [95% interval]): ${signed(wall)}; CPU time ${signed(cpu)}`);
}
if (Object.keys(inFlight).length > 0) {
  console.log(`heap per in-flight /fetch request (${IN_FLIGHT} held, after GC), bytes:`, VARIANTS.map((v) => `${v} ${inFlight[v].bytesPerInFlightRequest}`).join(', '));
  console.log('heap after GC at the end, MiB:', VARIANTS.map((v) => `${v} ${(inFlight[v].heapAfterGc / 2 ** 20).toFixed(1)}`).join(', '));
}
// A run of some variants only prints: bench/results keeps the last full run, which BENCHMARKS.md's tables are from.
if (!args.includes('--variants')) {
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'results', `matrix-node${version.split('.')[0]}.json`), `${JSON.stringify(results, null, 2)}\n`);
}
