// One variant of the benchmark service in its own process: `node server.mjs <variant> <downstream URL>`. Prints its
// port, then answers IPC: 'mark' starts a measurement window, 'stats' returns the server's CPU time and requests
// (counted by Node's own diagnostics channel) since the mark, and the spans its SDK exported.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const require = createRequire(join(repo, 'package.json'));
const [variant, downstream] = process.argv.slice(2);

// A: untraced. B: untraced + SDK + OpenTelemetry's instrumentations. H: hand-written + SDK. F: hand-written with
// every attribute autotrace records + SDK. C: autotrace + SDK. D: autotrace, no SDK. X: untraced + one
// AsyncLocalStorage run per request (what carrying context costs).
const WITH_SDK = new Set(['B', 'H', 'F', 'C']);
const BUILD = { A: 'plain', B: 'plain', X: 'plain', C: 'traced', D: 'traced', H: 'hand', F: 'hand' };

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
const app = createApp(require('express'), downstream, variant === 'F' ? 'as-autotrace' : undefined);
const als = new AsyncLocalStorage();
const listener = variant === 'X' ? (req, res) => als.run({ req }, () => app(req, res)) : app;

// Time in the garbage collector's pauses on the main thread (minor: scavenges; major: mark-compact and its finishing
// steps), from Node's GC performance entries.
const gcMillis = { minor: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMillis[entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : 'major'] += entry.duration;
}).observe({ entryTypes: ['gc'] });

let requests = 0;
subscribe('http.server.request.start', () => requests++);
let mark = { cpu: process.cpuUsage(), requests: 0, exported: 0 };

const server = createServer(listener);
server.keepAliveTimeout = 60_000;
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

process.on('SIGINT', () => process.exit(0));
process.on('message', async (message) => {
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
    process.send({ cpuMicros: cpu.user + cpu.system, userMicros: cpu.user, requests: requests - mark.requests, spans: exported - mark.exported, gcMicros: { minor: (gcMillis.minor - mark.gc.minor) * 1000, major: (gcMillis.major - mark.gc.major) * 1000 } });
  }
});
