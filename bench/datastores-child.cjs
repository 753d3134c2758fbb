// One process of bench/datastores.mjs, run by the Node under test: the same pg query, untraced and through autotrace's
// facade (SQL as a literal, facts from the build; SQL built at run time, facts from the cached summariser), inside one
// active span as in a request, with a real SDK (spans ended and dropped by a no-op exporter). CPU time per query of
// this process (process.cpuUsage), rounds interleaved across the variants; prints the per-round figures as JSON.
'use strict';
const { context, trace } = require('@opentelemetry/api');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { Pool } = require('pg');
const runtime = require('../dist/runtime/index.js');

const [port, queries, rounds] = process.argv.slice(2, 5).map(Number);
// `nosdk`: no SDK registered, as in a service that records nothing (the facade then only checks).
const withSdk = process.argv[5] !== 'nosdk';
const exporter = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} };
if (withSdk) new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();

const SQL = 'SELECT id, name FROM items WHERE id = $1';
// What the build emits for `pool.query('SELECT id, name FROM items WHERE id = $1', [id])` at a site.
const site = () => ({ file: 'src/items.ts', line: 12, column: 9, function: 'load', querySummary: 'SELECT items', queryOperation: 'SELECT', queryCollection: 'items' });
const dynamicSite = () => ({ file: 'src/items.ts', line: 20, column: 9, function: 'search' });
const columns = 'id, name';

const tracer = trace.getTracer('bench');
const ALL_VARIANTS = {
  untraced: (pool, id) => pool.query(SQL, [id]),
  // What any instrumentation pays the SDK at least: one span with the attributes autotrace sets, started and ended by hand.
  'hand-written span (reference)': async (pool, id) => {
    const span = tracer.startSpan('SELECT items', {
      kind: 2,
      attributes: {
        'db.system.name': 'postgresql', 'db.namespace': 'postgres', 'db.query.summary': 'SELECT items', 'db.operation.name': 'SELECT',
        'db.collection.name': 'items', 'db.query.text': SQL, 'server.address': '127.0.0.1', 'server.port': port,
        'code.file.path': 'src/items.ts', 'code.line.number': 12, 'code.column.number': 9, 'code.function.name': 'load',
      },
    });
    try {
      return await context.with(trace.setSpan(context.active(), span), () => pool.query(SQL, [id]));
    } finally {
      span.end();
    }
  },
  'traced, literal SQL': (pool, id) => runtime.pg(site(), pool).query(SQL, [id]),
  'traced, SQL built at run time': (pool, id) => runtime.pg(dynamicSite(), pool).query(`SELECT ${columns} FROM items WHERE id = $1`, [id]),
};

const VARIANTS = withSdk
  ? ALL_VARIANTS
  : { untraced: ALL_VARIANTS.untraced, 'traced, literal SQL': ALL_VARIANTS['traced, literal SQL'] };

async function main() {
  const pool = new Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1 });
  await pool.query('CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text)');
  await pool.query("INSERT INTO items VALUES (1, 'lamp') ON CONFLICT DO NOTHING");
  const parent = trace.getTracer('bench').startSpan('GET /items/:id');
  const inRequest = trace.setSpan(context.active(), parent);
  const run = (variant, count) =>
    context.with(inRequest, async () => {
      for (let i = 0; i < count; i++) await VARIANTS[variant](pool, 1);
    });
  for (const variant of Object.keys(VARIANTS)) await run(variant, Math.min(queries, 500)); // warm-up
  const perQuery = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of Object.keys(VARIANTS)) {
      const start = process.cpuUsage();
      await run(variant, queries);
      const used = process.cpuUsage(start);
      perQuery[variant].push((used.user + used.system) / queries);
    }
  }
  parent.end();
  await pool.end();
  process.stdout.write(JSON.stringify({ node: process.version, withSdk, perQuery }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
