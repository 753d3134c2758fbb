// What the SDK charges for the attributes a SERVER span carries, apart from everything else a request does: the same
// start, status code and end, once with the attributes the hand-written variant of bench/matrix sets (4 at start)
// and once with those autotrace's SERVER span carries by the HTTP semantic conventions (10 at start, then the route
// and code.* when the route is known). Same SDK and processor as the matrix (NodeTracerProvider, BatchSpanProcessor,
// an exporter that drops). Median of 7 interleaved runs of 100,000 spans; µs per span.
//
//   node bench/span-attributes-micro.cjs            (and with bench/node24's node for Node 24)
const { context, SpanKind, trace } = require('@opentelemetry/api');
const { median, registerDroppingSdk } = require('./micro.cjs');

const provider = registerDroppingSdk();
const tracer = trace.getTracer('bench');
const parent = context.active();

const variants = {
  'hand-written (4 attributes at start, status at end)': () => {
    const span = tracer.startSpan('GET /small', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET', 'http.route': '/small', 'url.path': '/small', 'url.scheme': 'http' },
    }, parent);
    span.setAttribute('http.response.status_code', 200);
    span.end();
  },
  "autotrace's (10 at start, route and code.* once known, status at end)": () => {
    const span = tracer.startSpan('GET', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET', 'url.path': '/small', 'url.scheme': 'http', 'server.address': '127.0.0.1',
        'server.port': 40123, 'client.address': '127.0.0.1', 'network.peer.address': '127.0.0.1',
        'network.peer.port': 51234, 'user_agent.original': 'bench', 'network.protocol.version': '1.1',
      },
    }, parent);
    span.updateName('GET /small');
    span.setAttribute('http.route', '/small');
    span.setAttribute('code.file.path', 'src/app.ts');
    span.setAttribute('code.line.number', 12);
    span.setAttribute('code.column.number', 5);
    span.setAttribute('http.response.status_code', 200);
    span.end();
  },
};

const N = 100_000;
const runs = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < 8; round++) {
  for (const [name, once] of Object.entries(variants)) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) once();
    if (round > 0) runs[name].push(Number(process.hrtime.bigint() - started) / 1e3 / N); // round 0 warms up
  }
}
console.log(`SERVER span, µs per span, median of 7 runs of ${N.toLocaleString('en')} (Node ${process.versions.node}):`);
for (const [name, values] of Object.entries(runs)) console.log(`  ${name.padEnd(72)} ${median(values).toFixed(2)}`);
provider.shutdown();
