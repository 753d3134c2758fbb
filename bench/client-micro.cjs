// A client call's tracing, apart from the network: the same fetch-shaped call made through autotrace's wrapper (the
// code the build emits for `fetch(url)`) and through the hand-written wrapper of bench/matrix/hand.ts (variants F and
// G: a span with the same attributes, headers injected), around a transport that answers at once, inside an active
// SERVER span's context as in a request. The hand-written wrapper also runs with the request sent in a context of
// its own, as autotrace's is (its span as parent and the mark the net reads: two context copies and one
// `context.with`): the difference is what that context costs. Same SDK and processor as the matrix (bench/micro.cjs).
// Median of 7 interleaved runs; µs per call.
//
//   node bench/client-micro.cjs            (and with bench/node24's node for Node 24; builds bench/out/matrix first)
const { join } = require('node:path');
const { median, registerDroppingSdk, repo } = require('./micro.cjs');

const api = require(join(repo, 'node_modules', '@opentelemetry', 'api'));
const provider = registerDroppingSdk();
const runtime = require(join(repo, 'dist', 'runtime', 'index.js'));
const { context, SpanKind, trace } = api;

const URL_TEXT = 'http://127.0.0.1:40123/data';
const answer = Promise.resolve({ status: 200 });
// The transport: answers at once, as a stub would; what differs between the variants is only what wraps it.
const transport = (_input, _init) => answer;
const site = { file: 'bench/matrix/app.ts', line: 11, column: 28, function: 'createApp', urlTemplate: '/data' };

async function time(n, once) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  return Number(process.hrtime.bigint() - started) / 1e3 / n;
}

async function main() {
  // The hand-written wrapper as the matrix's service runs it, compiled by the matrix's own build.
  (await import('./matrix/harness.mjs')).build();
  const { tracedFetch } = require(join(repo, 'bench', 'out', 'matrix', 'hand.js'));
  const UNTRACED = 'untraced (the transport alone)';
  const HAND = 'hand-written (bench/matrix/hand.ts tracedFetch)';
  const HAND_IN_CONTEXT = 'hand-written, request sent in a context of its own';
  const variants = {
    [UNTRACED]: () => transport(URL_TEXT),
    [HAND]: () => tracedFetch(URL_TEXT, 'as-autotrace', { transport, ownContext: false }),
    [HAND_IN_CONTEXT]: () => tracedFetch(URL_TEXT, 'as-autotrace', { transport, ownContext: true }),
    "autotrace's wrapper (the build's __autotrace.fetch)": () => runtime.undiciFetch({ ...site }, transport, URL_TEXT),
  };
  const tracer = trace.getTracer('bench');
  const server = tracer.startSpan('GET /fetch', { kind: SpanKind.SERVER });
  const N = 50_000;
  const runs = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  await context.with(trace.setSpan(context.active(), server), async () => {
    for (let round = 0; round < 8; round++) {
      for (const [name, once] of Object.entries(variants)) {
        const micros = await time(N, once);
        if (round > 0) runs[name].push(micros); // round 0 warms up
      }
    }
  });
  const medians = Object.fromEntries(Object.entries(runs).map(([name, values]) => [name, median(values)]));
  console.log(`CLIENT call, µs per call, median of 7 runs of ${N.toLocaleString('en')} (Node ${process.versions.node}); beyond the transport:`);
  for (const [name, m] of Object.entries(medians)) console.log(`  ${name.padEnd(58)} ${m.toFixed(2)}  (+${(m - medians[UNTRACED]).toFixed(2)})`);
  console.log(`  the request's own context, hand-written: +${(medians[HAND_IN_CONTEXT] - medians[HAND]).toFixed(2)}`);
  await provider.shutdown();
}

main();
