// One variant of the run-time net benchmark in its own process: `node net-server.cjs <variant>`, with AUTOTRACE_NET
// set by the caller. Prints its port, then answers IPC: 'mark' starts a window, 'stats' returns the CPU time and the
// requests served since the mark.
//   built: the listener is wrapped as the build emits it for `createServer(handler)` (autotrace/runtime's httpHandler)
//   plain: the listener is not wrapped (a server made inside a package): only the net can trace it
//   sdk / nosdk: a NodeTracerProvider with a batch processor and a counting exporter, or none
const { createServer } = require('node:http');
const { join } = require('node:path');
const repo = join(__dirname, '..');
const [variant] = process.argv.slice(2);
const [listenerKind, sdkKind] = variant.split('+');

let provider;
if (sdkKind === 'sdk') {
  const { NodeTracerProvider } = require(join(repo, 'node_modules', '@opentelemetry', 'sdk-trace-node'));
  const { BatchSpanProcessor } = require(join(repo, 'node_modules', '@opentelemetry', 'sdk-trace-base'));
  const exporter = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} };
  provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
}
const runtime = require(join(repo, 'dist', 'runtime', 'index.js'));

let requests = 0;
const handler = (req, res) => {
  requests++;
  res.end('ok');
};
const listener = listenerKind === 'built' ? runtime.httpHandler(handler, { file: 'service.ts', line: 3, column: 1, function: 'handler' }) : handler;
const server = createServer(listener);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));

let mark = { cpu: process.cpuUsage(), requests: 0 };
process.on('message', async (message) => {
  if (message === 'mark') {
    await provider?.forceFlush();
    mark = { cpu: process.cpuUsage(), requests };
    process.send({ marked: true });
  } else if (message === 'stats') {
    const cpu = process.cpuUsage(mark.cpu);
    process.send({ cpuMicros: cpu.user + cpu.system, requests: requests - mark.requests });
  }
});
process.on('SIGINT', () => process.exit(0));
