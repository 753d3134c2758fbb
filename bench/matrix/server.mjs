// One variant of the benchmark service in its own process: `node server.mjs <variant> <downstream URL>`. Prints its
// port, then answers IPC: 'mark' starts a measurement window, 'stats' returns the server's CPU time and requests
// (counted by Node's own diagnostics channel) since the mark, and the spans its SDK exported; `{ selfLoad }` has the
// process send itself requests (see selfLoad) and returns the same figures for them.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const require = createRequire(join(repo, 'package.json'));
const [variant, downstream] = process.argv.slice(2);

// A: untraced. B: untraced + SDK + OpenTelemetry's instrumentations. H: hand-written + SDK. F: hand-written with
// every attribute autotrace records + SDK. C: autotrace + SDK. D: autotrace, no SDK. X: untraced + one
// AsyncLocalStorage run per request (what carrying context costs).
const WITH_SDK = new Set(['B', 'H', 'F', 'G', 'C']);
const BUILD = { A: 'plain', B: 'plain', X: 'plain', C: 'traced', D: 'traced', H: 'hand', F: 'hand', G: 'hand' };

let exported = 0;
let provider;
if (WITH_SDK.has(variant)) {
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const exporter = { export: (spans, done) => ((exported += spans.length), done({ code: 0 })), shutdown: async () => {} };
  provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
}
if (variant === 'B') {
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
  registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation(), new UndiciInstrumentation()] });
}

const { createApp } = require(join(repo, 'bench', 'out', 'matrix', `${BUILD[variant]}.js`));
const app = createApp(require('express'), downstream, { F: 'as-autotrace', G: 'at-app-entry' }[variant]);
const als = new AsyncLocalStorage();
const listener = variant === 'X' ? (req, res) => als.run({ req }, () => app(req, res)) : app;

// Time in the garbage collector's pauses on the main thread (minor: scavenges; major: mark-compact and its finishing
// steps), from Node's GC performance entries.
const gcMillis = { minor: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMillis[entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : 'major'] += entry.duration;
}).observe({ entryTypes: ['gc'] });

/** GC pause time (µs) since a copy of `gcMillis` taken earlier. */
const gcMicrosSince = (before) => ({ minor: (gcMillis.minor - before.minor) * 1000, major: (gcMillis.major - before.major) * 1000 });

let requests = 0;
subscribe('http.server.request.start', () => requests++);
// Startup as this process saw it, read by run.mjs ('startup'): ms from its start (performance.timeOrigin) to the end of
// its first response, and the CPU time it had used by then. Unlike the driver's clock they leave out how long the
// machine took to fork the process and pass its output on; the CPU time also leaves out waiting for a core.
let firstResponse;
const onFirstResponse = () => {
  const cpu = process.cpuUsage();
  firstResponse = { ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 };
  unsubscribe('http.server.response.finish', onFirstResponse);
};
subscribe('http.server.response.finish', onFirstResponse);
let mark = { cpu: process.cpuUsage(), requests: 0, exported: 0 };

const server = createServer(listener);
// No idle timeout: a paired run leaves each server's own load connections idle while the other variants take their
// turns (over a minute of warm-up on a slow day), and a connection the server closed meanwhile would stall the load.
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));

// Allocation sampling (V8's sampling heap profiler, collected objects included): bytes allocated per request, in all
// and by function. Sampled, so a statistical estimate; run apart from the CPU rounds, whose figures it would skew.
const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
let allocMark = 0;

async function allocationStats() {
  const { profile } = await post('HeapProfiler.getSamplingProfile');
  await post('HeapProfiler.stopSampling');
  const count = requests - allocMark;
  const byFunction = new Map();
  let total = 0;
  const walk = (node) => {
    const bytes = node.selfSize;
    if (bytes > 0) {
      total += bytes;
      const { functionName, url, lineNumber } = node.callFrame;
      const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|out)\//, '$1/')}:${lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + bytes);
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([key, bytes]) => [key, Math.round(bytes / count)]);
  return { bytesPerRequest: total / count, requests: count, top };
}

// Self-driven load: CONNECTIONS keep-alive connections from this process to its own server, each sending its next
// request as soon as the previous response has come, written and read as raw bytes (the cheapest client there is, the
// same for every variant). No other process takes part in a request's CPU time, so another process's load on the
// shared cores weighs on the figures far less than with the load generator of run.mjs; /fetch's downstream is still
// another process.
const CONNECTIONS = 8;
const STATUS_LINE = 'HTTP/1.1 ';
const sockets = [];

async function selfLoad({ route, requests: count }) {
  // A connection that closed since the last load (the peer, an error) is replaced rather than written to.
  for (let i = sockets.length - 1; i >= 0; i--) if (sockets[i].destroyed || !sockets[i].writable) sockets.splice(i, 1);
  while (sockets.length < CONNECTIONS) {
    const socket = connect(server.address().port, '127.0.0.1');
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    sockets.push(socket);
  }
  const request = `GET ${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n`;
  const before = { cpu: process.cpuUsage(), requests, exported, gc: { ...gcMillis } };
  const started = process.hrtime.bigint();
  let sent = 0;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve, reject) => {
          let seen = '';
          const send = () => (sent < count ? (sent++, socket.write(request), true) : false);
          const onData = (chunk) => {
            // A response is done when the next status line or the end of its body arrives; these bodies are small and
            // each response comes in one chunk, but a status line split across chunks is still found.
            seen += chunk;
            const at = seen.indexOf(STATUS_LINE);
            if (at === -1 || seen.length < at + STATUS_LINE.length + 3) return;
            const status = seen.slice(at + STATUS_LINE.length, at + STATUS_LINE.length + 3);
            seen = seen.slice(at + STATUS_LINE.length + 3);
            if (status !== '200') onError(new Error(`${route}: ${status}`));
            else if (!send()) finish();
          };
          const onError = (error) => (finish(), reject(error));
          // A connection that closes mid-load fails the load, which would otherwise wait for its answers for ever.
          const onClose = () => onError(new Error(`${route}: a load connection closed`));
          const finish = () => {
            socket.off('data', onData).off('error', onError).off('close', onClose);
            resolve();
          };
          socket.on('data', onData).on('error', onError).on('close', onClose);
          if (!send()) finish();
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(before.cpu);
  await provider?.forceFlush();
  return {
    cpuMicros: cpu.user + cpu.system,
    userMicros: cpu.user,
    requests: requests - before.requests,
    seconds,
    spans: exported - before.exported,
    gcMicros: gcMicrosSince(before.gc),
  };
}

// A profiled server (--cpu-prof-dir) leaves beside its profile how many requests it served, for per-request figures.
process.on('SIGINT', () => {
  const dir = process.execArgv.find((arg, i, all) => all[i - 1] === '--cpu-prof-dir');
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `requests-${process.pid}.json`), JSON.stringify({ requests }));
  }
  process.exit(0);
});
process.on('message', async (message) => {
  if (message?.selfLoad) {
    // A failed load is reported, not left as an unhandled rejection: the driver stops with its reason.
    process.send(await selfLoad(message.selfLoad).catch((error) => ({ error: String(error?.message ?? error) })));
    return;
  }
  if (message === 'alloc-start') {
    await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    allocMark = requests;
    process.send({ started: true });
    return;
  }
  if (message === 'alloc-stop') {
    process.send(await allocationStats());
    return;
  }
  if (message === 'startup') {
    process.send(firstResponse);
    return;
  }
  if (message === 'heap') {
    // Heap in use after a full collection (run with --expose-gc).
    globalThis.gc?.();
    process.send({ heapUsed: process.memoryUsage().heapUsed });
    return;
  }
  if (message === 'mark') {
    await provider?.forceFlush();
    mark = { cpu: process.cpuUsage(), requests, exported, gc: { ...gcMillis } };
    process.send({ marked: true });
  } else if (message === 'stats') {
    const cpu = process.cpuUsage(mark.cpu);
    await provider?.forceFlush();
    process.send({ cpuMicros: cpu.user + cpu.system, userMicros: cpu.user, requests: requests - mark.requests, spans: exported - mark.exported, gcMicros: gcMicrosSince(mark.gc) });
  }
});
