// What the run-time net costs the server, per request: CPU time measured inside the server (process.cpuUsage), for a
// request the build already traced with the net on vs AUTOTRACE_NET=off (with an SDK, and with none), and for a server
// only the net can see. Rounds are interleaved across variants; medians of the per-round figures. Then the net's own
// work timed in-process (bench/net-micro.cjs), which is far below the end-to-end round-to-round noise.
//
//   node bench/net.mjs [--node PATH] [--requests N] [--rounds N]
import { execFileSync, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const node = option('--node', process.execPath);
const REQUESTS = Number(option('--requests', 4000));
const ROUNDS = Number(option('--rounds', 9));
const CONCURRENCY = 8;

const VARIANTS = [
  { id: 'built+sdk on', listener: 'built+sdk', net: 'on' },
  { id: 'built+sdk off', listener: 'built+sdk', net: 'off' },
  { id: 'built+nosdk on', listener: 'built+nosdk', net: 'on' },
  { id: 'built+nosdk off', listener: 'built+nosdk', net: 'off' },
  { id: 'plain+sdk on', listener: 'plain+sdk', net: 'on' },
  { id: 'plain+sdk off', listener: 'plain+sdk', net: 'off' },
];

function start(variant) {
  const child = fork(join(here, 'net-server.cjs'), [variant.listener], {
    execPath: node,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, AUTOTRACE_NET: variant.net },
  });
  return new Promise((resolve) =>
    child.stdout.once('data', (line) => resolve({ child, port: JSON.parse(String(line)).port, agent: new Agent({ keepAlive: true }) })),
  );
}

function ask(child, message) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(message);
  });
}

function get(server) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/', agent: server.agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function load(server, count) {
  let left = count;
  const worker = async () => {
    while (left-- > 0) await get(server);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const servers = [];
for (const variant of VARIANTS) servers.push({ variant, ...(await start(variant)) });
for (const server of servers) await load(server, 1000); // warm-up

const perRequest = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const server of servers) {
    await ask(server.child, 'mark');
    await load(server, REQUESTS);
    const { cpuMicros, requests } = await ask(server.child, 'stats');
    perRequest[server.variant.id].push(cpuMicros / requests);
  }
}
for (const server of servers) server.child.kill('SIGINT');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const version = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
// The difference of medians, and the median of per-round differences (rounds are interleaved, so each round's pair
// ran under the same conditions).
const delta = (a, b) => median(perRequest[a].map((value, i) => value - perRequest[b][i]));
console.log(`server CPU per request, µs, median of ${ROUNDS} interleaved rounds of ${REQUESTS} requests (Node ${version}):`);
for (const { id } of VARIANTS) console.log(`  ${id.padEnd(18)} ${median(perRequest[id]).toFixed(2).padStart(8)}`);
console.log(`  net on − off, build-traced request, SDK:    ${delta('built+sdk on', 'built+sdk off').toFixed(2)} µs`);
console.log(`  net on − off, build-traced request, no SDK: ${delta('built+nosdk on', 'built+nosdk off').toFixed(2)} µs`);
console.log(`  net on − off, server only the net sees, SDK (the net's SERVER span): ${delta('plain+sdk on', 'plain+sdk off').toFixed(2)} µs`);

// The same question in-process, in nanoseconds (bench/net-micro.cjs says what each figure covers).
const micro = JSON.parse(execFileSync(node, [join(here, 'net-micro.cjs')], { encoding: 'utf8' }));
console.log(`in-process, ns per request (median of 7 runs):`);
console.log(`  net subscriber, no SDK:                                  ${micro.nosdk.toFixed(0)} ns`);
console.log(`  net subscriber, SDK, beyond the span the build would start: ${micro.sdk.toFixed(0)} ns`);
console.log(`  record: count a call whose source is cached:             ${micro.hit.toFixed(0)} ns`);
console.log(`  record: find a source from a stack (once per client, method, host): ${(micro.stack / 1000).toFixed(1)} µs`);
