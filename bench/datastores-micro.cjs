// The facade's own work per query, in-process and without a database (a pool whose `query` resolves at once), where
// the end-to-end figures of bench/datastores.mjs are too noisy to show it: ns per call, median of 7 interleaved runs
// of 100,000 calls, with no SDK (`nosdk`) or an SDK whose spans are ended and dropped.
'use strict';
const { context, trace } = require('@opentelemetry/api');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const runtime = require('../dist/runtime/index.js');

const withSdk = process.argv[2] !== 'nosdk';
if (withSdk) {
  const exporter = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} };
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
}
const result = { rows: [] };
const pool = { options: { host: '127.0.0.1', port: 5432, database: 'postgres' }, query: () => Promise.resolve(result) };
const SQL = 'SELECT id, name FROM items WHERE id = $1';
const tracer = trace.getTracer('bench');
const columns = 'id, name';
// The attributes autotrace sets on this span, so the reference pays the SDK for the same work.
const ATTRIBUTES = () => ({
  'db.system.name': 'postgresql', 'db.namespace': 'postgres', 'db.query.summary': 'SELECT items', 'db.operation.name': 'SELECT',
  'db.collection.name': 'items', 'db.query.text': SQL, 'server.address': '127.0.0.1', 'server.port': 5432,
  'code.file.path': 'src/items.ts', 'code.line.number': 12, 'code.column.number': 9, 'code.function.name': 'load',
});
const VARIANTS = {
  untraced: () => pool.query(SQL, [1]),
  'hand-written span (reference)': async () => {
    const span = tracer.startSpan('SELECT items', { kind: 2, attributes: ATTRIBUTES() });
    try {
      return await context.with(trace.setSpan(context.active(), span), () => pool.query(SQL, [1]));
    } finally {
      span.end();
    }
  },
  'traced, literal SQL': () =>
    runtime.pg({ file: 'src/items.ts', line: 12, column: 9, function: 'load', querySummary: 'SELECT items', queryOperation: 'SELECT', queryCollection: 'items' }, pool).query(SQL, [1]),
  'traced, SQL built at run time': () => runtime.pg({ file: 'src/items.ts', line: 20, column: 9 }, pool).query(`SELECT ${columns} FROM items WHERE id = $1`, [1]),
};

async function main() {
  const N = 100_000;
  const parent = tracer.startSpan('GET /items/:id');
  const out = {};
  const runs = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
  await context.with(trace.setSpan(context.active(), parent), async () => {
    // Runs interleaved across the variants, so a busy moment of the machine falls on all of them alike.
    for (let r = 0; r < 7; r++) {
      for (const [name, run] of Object.entries(VARIANTS)) {
        const start = process.hrtime.bigint();
        for (let i = 0; i < N; i++) await run();
        runs[name].push(Number(process.hrtime.bigint() - start) / N);
      }
    }
  });
  for (const [name, values] of Object.entries(runs)) out[name] = values.sort((a, b) => a - b)[3];
  parent.end();
  process.stdout.write(JSON.stringify(out));
}
main();
