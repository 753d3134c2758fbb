// `npm run faults`: a gateway → backend pair (fixtures/faults) built twice, with tspc reading autotrace from the
// tsconfig and with plain tsc, each run as two real processes with a real SDK, and driven by the same request
// sequence: 10% synchronous throws, 10% async rejections, 5% client aborts mid-response, 5% upstream failures, the
// rest fetch and axios calls to the backend. Passes when every response of the traced build equals the untraced
// build's, every request that reached a server has exactly one SERVER span, every span started is ended once, no
// process died (an unhandled rejection would end it), and the heap after GC stays within the bound below.
//
//   node test/scale/faults.mjs [--requests N] [--json]
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const project = join(repo, 'fixtures', 'faults');
const require = createRequire(join(repo, 'package.json'));
const args = process.argv.slice(2);
const json = args.includes('--json');
const REQUESTS = args.includes('--requests') ? Number(args[args.indexOf('--requests') + 1]) : 20_000;
const WARM_UP = Math.min(1_000, REQUESTS);
const CONCURRENCY = 32;
// Heap after GC: the traced gateway's may grow by at most this much between the warm-up and the end of the run, and
// end at most RETAINED_BOUND above the untraced gateway's (what autotrace could be holding on to).
const HEAP_GROWTH_BOUND = 8 * 1024 * 1024;
const RETAINED_BOUND = 4 * 1024 * 1024;

const log = (line) => {
  if (!json) console.log(line);
};

/** Request i's route: the same sequence for both builds. */
function routeOf(i) {
  const slot = i % 20;
  if (slot < 2) return `/throw/${i}`;
  if (slot < 4) return `/reject/${i}`;
  if (slot === 4) return `/stream/${i}`;
  if (slot === 5) return `/upstream-fail/${i}`;
  return slot % 2 === 0 ? `/fetch/${i}` : `/axios/${i}`;
}

function build() {
  const modules = join(project, 'node_modules');
  mkdirSync(modules, { recursive: true });
  if (!existsSync(join(modules, 'autotrace'))) symlinkSync(repo, join(modules, 'autotrace'), 'dir');
  rmSync(join(project, 'out'), { recursive: true, force: true });
  const tspc = join(repo, 'node_modules', 'ts-patch', 'bin', 'tspc.js');
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  // Output only on failure (execFileSync throws with it): a build prints its coverage line, which is not a fault.
  execFileSync(process.execPath, [tspc, '-p', 'tsconfig.json'], { cwd: project, stdio: 'pipe' });
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.plain.json'], { cwd: project, stdio: 'pipe' });
}

/** Forks a built service with the counting SDK preloaded; resolves once it printed its port. */
function start(script, env) {
  return new Promise((resolve, reject) => {
    const child = fork(script, {
      env: { ...process.env, ...env },
      execArgv: ['--expose-gc', '-r', join(repo, 'test', 'scale', 'faults-sdk.cjs')],
      silent: true,
    });
    child.stderrText = '';
    child.stderr.on('data', (chunk) => (child.stderrText += chunk));
    child.stdout.once('data', (line) => resolve(Object.assign(child, { port: JSON.parse(String(line).split('\n')[0]).port })));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${child.stderrText}`)));
  });
}

function stats(child) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send('stats');
  });
}

/** One request; resolves with what the client saw: status and body, or where it went away. */
function call(agent, port, i) {
  const path = routeOf(i);
  const abortsMidResponse = path.startsWith('/stream/');
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
        if (abortsMidResponse) {
          req.destroy();
          resolve(`${res.statusCode} aborted after: ${body}`);
        }
      });
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
      res.on('error', () => {});
    });
    req.on('error', (error) => {
      if (!abortsMidResponse) resolve(`client error ${error.code ?? error.message}`);
    });
    req.end();
  });
}

async function drive(port, from, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const outcomes = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      outcomes[index] = await call(agent, port, from + index);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return outcomes;
}

async function runBuild(name) {
  const out = join(project, 'out', name);
  const backend = await start(join(out, 'backend.js'), {});
  const gateway = await start(join(out, 'gateway.js'), { BACKEND_URL: `http://127.0.0.1:${backend.port}` });
  try {
    await drive(gateway.port, -WARM_UP, WARM_UP);
    const warm = await stats(gateway);
    const started = Date.now();
    const outcomes = await drive(gateway.port, 0, REQUESTS);
    const seconds = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500)); // aborted responses end their spans on 'close'
    const result = { outcomes, seconds, warm, gateway: await stats(gateway), backend: await stats(backend) };
    result.alive = gateway.exitCode === null && backend.exitCode === null;
    result.stderr = gateway.stderrText + backend.stderrText;
    return result;
  } finally {
    gateway.kill();
    backend.kill();
  }
}

log('building fixtures/faults with tspc (autotrace from tsconfig) and with plain tsc …');
build();
require.resolve('express'); // the fixture resolves its packages from the repo's node_modules
const runs = {};
for (const name of ['plain', 'traced']) {
  log(`${name}: ${WARM_UP} warm-up requests, then ${REQUESTS} …`);
  runs[name] = await runBuild(name);
}

const { plain, traced } = runs;
const differing = traced.outcomes.filter((outcome, i) => outcome !== plain.outcomes[i]).length;
const kinds = {};
for (const outcome of traced.outcomes) {
  const kind = outcome.split(' ')[0] + (outcome.includes('aborted') ? ' aborted' : '');
  kinds[kind] = (kinds[kind] ?? 0) + 1;
}
const heapGrowth = (run) => run.gateway.heapUsed - run.warm.heapUsed;
const figures = {
  requests: REQUESTS,
  warmUp: WARM_UP,
  outcomes: kinds,
  differingResponses: differing,
  gatewayRequests: traced.gateway.requests,
  gatewayServerSpans: traced.gateway.server,
  backendRequests: traced.backend.requests,
  backendServerSpans: traced.backend.server,
  clientSpans: traced.gateway.client,
  spansStarted: traced.gateway.started + traced.backend.started,
  spansEnded: traced.gateway.ended + traced.backend.ended,
  endedTwice: traced.gateway.endedTwice + traced.backend.endedTwice,
  usedAfterEnd: traced.gateway.usedAfterEnd + traced.backend.usedAfterEnd,
  untracedBuildSpans: plain.gateway.started + plain.backend.started,
  processesAlive: plain.alive && traced.alive,
  stderr: (plain.stderr + traced.stderr).slice(0, 2000),
  heapAfterGcMiB: {
    plain: { warm: mib(plain.warm.heapUsed), end: mib(plain.gateway.heapUsed) },
    traced: { warm: mib(traced.warm.heapUsed), end: mib(traced.gateway.heapUsed) },
  },
  heapBoundsMiB: { growth: mib(HEAP_GROWTH_BOUND), aboveUntraced: mib(RETAINED_BOUND) },
  seconds: { plain: plain.seconds, traced: traced.seconds },
};

function mib(bytes) {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

const failures = [];
const check = (ok, what) => ok || failures.push(what);
check(differing === 0, `${differing} responses differ from the untraced build's`);
check(traced.gateway.server === traced.gateway.requests, `gateway: ${traced.gateway.server} SERVER spans for ${traced.gateway.requests} requests`);
check(traced.backend.server === traced.backend.requests, `backend: ${traced.backend.server} SERVER spans for ${traced.backend.requests} requests`);
check(traced.gateway.client === traced.backend.requests, `gateway: ${traced.gateway.client} CLIENT spans for ${traced.backend.requests} backend requests`);
check(figures.spansStarted === figures.spansEnded, `${figures.spansStarted} spans started, ${figures.spansEnded} ended`);
check(figures.endedTwice === 0 && figures.usedAfterEnd === 0, `${figures.endedTwice} spans ended twice, ${figures.usedAfterEnd} changed after their end`);
check(figures.untracedBuildSpans === 0, `the untraced build made ${figures.untracedBuildSpans} spans`);
check(figures.processesAlive, 'a service process died');
check(figures.stderr === '', `services wrote to stderr: ${figures.stderr}`);
check(heapGrowth(traced) <= HEAP_GROWTH_BOUND, `traced gateway heap after GC grew by ${mib(heapGrowth(traced))} MiB (bound ${mib(HEAP_GROWTH_BOUND)} MiB)`);
const retained = traced.gateway.heapUsed - plain.gateway.heapUsed;
check(retained <= RETAINED_BOUND, `traced gateway heap after GC ends ${mib(retained)} MiB above the untraced one's (bound ${mib(RETAINED_BOUND)} MiB)`);

if (json) {
  console.log(JSON.stringify({ figures, failures }));
} else {
  console.log(JSON.stringify(figures, null, 2));
  console.log(failures.length === 0 ? 'faults: all checks passed' : `faults: ${failures.length} checks failed:\n  ${failures.join('\n  ')}`);
}
process.exitCode = failures.length === 0 ? 0 : 1;
