// A client call's tracing, apart from the network: the same fetch-shaped call made through autotrace's wrapper (the
// code the build emits for `fetch(url)`) and through the hand-written wrapper of bench/matrix/hand.ts (variant F/G:
// span with the same attributes, headers injected), around a transport that answers at once. Same SDK and processor
// as the matrix (NodeTracerProvider, BatchSpanProcessor, an exporter that drops), the call made inside an active
// SERVER span's context as in a request. The parts of autotrace's call are timed too: the context the call runs in
// (its span as parent and the net's ownership mark: two context copies and one `context.with`), which the
// hand-written code does without. Median of 7 interleaved runs; µs per call.
//
//   node bench/client-micro.cjs            (and with bench/node24's node for Node 24)
const { join } = require('node:path');
const repo = join(__dirname, '..');
const api = require(join(repo, 'node_modules', '@opentelemetry', 'api'));
const { NodeTracerProvider } = require(join(repo, 'node_modules', '@opentelemetry', 'sdk-trace-node'));
const { BatchSpanProcessor } = require(join(repo, 'node_modules', '@opentelemetry', 'sdk-trace-base'));
const runtime = require(join(repo, 'dist', 'runtime', 'index.js'));

const exporter = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} };
const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 4096 })] });
provider.register();
const { context, propagation, SpanKind, trace } = api;
const tracer = trace.getTracer('hand-written');

const URL_TEXT = 'http://127.0.0.1:40123/data';
const answer = Promise.resolve({ status: 200 });
// The transport: answers at once, as a stub would; what differs between the variants is only what wraps it.
const transport = (_input, _init) => answer;
const site = { file: 'bench/matrix/app.ts', line: 11, column: 28, function: 'createApp', urlTemplate: '/data' };

async function handWritten() {
  const parsed = new URL(URL_TEXT);
  const attributes = {
    'http.request.method': 'GET', 'url.full': URL_TEXT, 'server.address': parsed.hostname, 'server.port': Number(parsed.port),
    'code.file.path': 'bench/matrix/app.ts', 'code.line.number': 11, 'code.column.number': 28, 'code.function.name': 'createApp',
    'url.template': '/data',
  };
  const span = tracer.startSpan('GET /data', { kind: SpanKind.CLIENT, attributes });
  const headers = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  try {
    const response = await transport(URL_TEXT, { headers });
    span.setAttribute('http.response.status_code', response.status);
    return response;
  } finally {
    span.end();
  }
}

const autotrace = () => runtime.undiciFetch({ ...site }, transport, URL_TEXT);
const untraced = () => transport(URL_TEXT);
// The part of autotrace's call the hand-written one does without: its own context (span as parent, the net's mark).
const BUILD_CALL = Symbol.for('autotrace.build-call');
const callContext = () => {
  const span = trace.getSpan(context.active());
  return context.with(trace.setSpan(context.active(), span).setValue(BUILD_CALL, true), transport, undefined, URL_TEXT);
};

const variants = {
  'untraced (the transport alone)': untraced,
  'hand-written (bench/matrix/hand.ts tracedFetch)': handWritten,
  "autotrace's wrapper (the build's __autotrace.fetch)": autotrace,
  "  of which the call's own context (2 copies + context.with)": callContext,
};

async function time(n, once) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  return Number(process.hrtime.bigint() - started) / 1e3 / n;
}

async function main() {
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
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const base = median(runs['untraced (the transport alone)']);
  console.log(`CLIENT call, µs per call, median of 7 runs of ${N.toLocaleString('en')} (Node ${process.versions.node}); beyond the transport:`);
  for (const [name, values] of Object.entries(runs)) {
    const m = median(values);
    console.log(`  ${name.padEnd(62)} ${m.toFixed(2)}  (+${(m - base).toFixed(2)})`);
  }
  await provider.shutdown();
}

main();
