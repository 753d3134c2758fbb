// CPU cost of the Redis facade per command, against a real Redis (REDIS_PORT, default 21301): ioredis GET called plainly,
// through `__autotrace.ioredis` without an SDK, and with an SDK inside a trace (in-memory exporter).
// Run: redis-server --port 21301 --save '' & npm run build && node bench/redis-micro.cjs
'use strict';
const Redis = require('ioredis');
const { trace, context } = require('@opentelemetry/api');
const runtime = require('../dist/runtime/index.js');

const port = Number(process.env.REDIS_PORT ?? 21301);
const N = Number(process.env.N ?? 20000);
const site = { file: 'src/cache.ts', line: 1, column: 1, function: 'read', queryOperation: 'GET' };

// CPU time of this process per command (user + system), the median of five rounds: wall time on a shared machine
// is mostly the scheduler's.
async function time(label, redis, call) {
  for (let i = 0; i < 2000; i++) await call(redis);
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < N / 5; i++) await call(redis);
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / (N / 5));
  }
  const perCall = rounds.sort((a, b) => a - b)[2];
  console.log(`${label.padEnd(40)} ${perCall.toFixed(1)} µs CPU/command`);
  return perCall;
}

(async () => {
  const redis = new Redis({ port, host: '127.0.0.1' });
  await redis.set('bench:k', 'v');
  const plain = await time('plain redis.get', redis, (r) => r.get('bench:k'));
  const noSdk = await time('facade, no SDK', redis, (r) => runtime.ioredis(site, r).get('bench:k'));
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
  const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const exporter = new InMemorySpanExporter();
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  const outside = await time('facade, SDK, outside a trace', redis, (r) => runtime.ioredis(site, r).get('bench:k'));
  const parent = trace.getTracer('bench').startSpan('request');
  const traced = await context.with(trace.setSpan(context.active(), parent), () =>
    time('facade, SDK, in a trace (span made)', redis, (r) => {
      exporter.reset();
      return runtime.ioredis(site, r).get('bench:k');
    }),
  );
  console.log(`overhead: no SDK ${(noSdk - plain).toFixed(1)} µs, outside a trace ${(outside - plain).toFixed(1)} µs, span ${(traced - plain).toFixed(1)} µs`);
  redis.disconnect();
})();
