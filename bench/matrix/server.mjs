// One variant of the benchmark service in its own process: `node server.mjs <variant> <downstream URL>`. Prints its
// port, then answers IPC: 'mark' starts a measurement window, 'stats' returns the server's CPU time and requests
// (counted by Node's own diagnostics channel) since the mark, and the spans its SDK exported.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const require = createRequire(join(repo, 'package.json'));
const [variant, downstream] = process.argv.slice(2);

// A: untraced. B: untraced + SDK + OpenTelemetry's instrumentations. H: hand-written + SDK. C: autotrace + SDK.
// D: autotrace, no SDK. X: untraced + one AsyncLocalStorage run per request (what carrying context costs).
const WITH_SDK = new Set(['B', 'H', 'C']);
const BUILD = { A: 'plain', B: 'plain', X: 'plain', C: 'traced', D: 'traced', H: 'hand' };

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
const app = createApp(require('express'), downstream);
const als = new AsyncLocalStorage();
const listener = variant === 'X' ? (req, res) => als.run({ req }, () => app(req, res)) : app;

let requests = 0;
subscribe('http.server.request.start', () => requests++);
let mark = { cpu: process.cpuUsage(), requests: 0, exported: 0 };

const server = createServer(listener);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));

process.on('SIGINT', () => process.exit(0));
process.on('message', async (message) => {
  if (message === 'mark') {
    await provider?.forceFlush();
    mark = { cpu: process.cpuUsage(), requests, exported };
    process.send({ marked: true });
  } else if (message === 'stats') {
    const cpu = process.cpuUsage(mark.cpu);
    await provider?.forceFlush();
    process.send({ cpuMicros: cpu.user + cpu.system, requests: requests - mark.requests, spans: exported - mark.exported });
  }
});
