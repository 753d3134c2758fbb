// Preloaded (`-r`) into each service of test/scale/faults.mjs: a real SDK whose processor only counts, so twenty
// thousand requests keep no spans in memory, plus the counters the driver asks for over IPC ('stats').
const { diag, DiagLogLevel, SpanKind } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { subscribe } = require('node:diagnostics_channel');

const stats = { started: 0, ended: 0, server: 0, client: 0, endedTwice: 0, usedAfterEnd: 0, requests: 0 };

new NodeTracerProvider({
  spanProcessors: [
    {
      onStart: () => stats.started++,
      onEnd: (span) => {
        stats.ended++;
        if (span.kind === SpanKind.SERVER) stats.server++;
        if (span.kind === SpanKind.CLIENT) stats.client++;
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    },
  ],
}).register();

// The SDK reports a second end() and any change to an ended span through diag: counted, not printed.
const count = (message) => {
  if (/only call end\(\) on a span once/.test(message)) stats.endedTwice++;
  else if (/ended Span/i.test(message)) stats.usedAfterEnd++;
};
diag.setLogger({ error: count, warn: count, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);

// Every request that reached this process's HTTP server, seen by Node itself (not by any wrapper under test).
subscribe('http.server.request.start', () => stats.requests++);

process.on('message', (message) => {
  if (message !== 'stats') return;
  global.gc();
  global.gc();
  process.send({ ...stats, heapUsed: process.memoryUsage().heapUsed });
});
