// What the run-time net adds to a request the build already traced, timed in-process (the end-to-end figures in
// net.mjs are within this machine's round-to-round noise): `node net-micro.cjs`. Prints JSON, ns per operation.
//   nosdk: publishing http.server.request.start to the net's subscriber with no SDK registered (it returns at once)
//   sdk:   the same with an SDK, for a request whose state exists: what the net does beyond starting the span that the
//          build-time wrapper would otherwise start itself (ownership checks, the state lookup, enterWith)
//   stack: one caller lookup for the run-time record (taken once per client, method and host, on a cache miss)
//   hit:   counting a call in the record when its source is cached
const { channel } = require('node:diagnostics_channel');
const { IncomingMessage, ServerResponse } = require('node:http');
const { Socket } = require('node:net');
const { join } = require('node:path');
const repo = join(__dirname, '..');
process.env.AUTOTRACE_RUNTIME_REPORT = join(require('node:os').tmpdir(), `autotrace-net-micro-${process.pid}.json`);
require(join(repo, 'dist', 'runtime', 'index.js'));
const record = require(join(repo, 'dist', 'runtime', 'net', 'record.js'));
const source = require(join(repo, 'dist', 'runtime', 'net', 'source.js'));

const start = channel('http.server.request.start');
const request = new IncomingMessage(new Socket());
request.method = 'GET';
request.url = '/';
const response = new ServerResponse(request);
const message = { request, response, socket: request.socket, server: undefined };

function time(n, fn) {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t) / n;
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const best = (n, fn) => median(Array.from({ length: 7 }, () => time(n, fn)));

const out = {};
out.nosdk = best(1e6, () => start.publish(message));
const { NodeTracerProvider } = require(join(repo, 'node_modules', '@opentelemetry', 'sdk-trace-node'));
new NodeTracerProvider().register();
start.publish(message); // the request's state now exists: later publishes measure the rest of the net's work
out.sdk = best(1e6, () => start.publish(message));
out.stack = best(2e4, () => source.callerSource());
out.hit = best(1e6, () => record.noteClient('undici', 'GET', 'api.example.com'));
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
