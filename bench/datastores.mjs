// What tracing a SQL query costs the service, per query: CPU time of the process issuing the same pg query against a
// real PostgreSQL, untraced vs through autotrace's facade (literal SQL: facts from the build; SQL built at run time:
// facts from the summariser's cache), with a real SDK and the query inside an active span, as in a request. Rounds
// are interleaved across the variants in one process (bench/datastores-child.cjs); medians with min–max per variant,
// and the median of the per-round differences to untraced; then the same without an SDK. On Node 20 (this process's)
// and Node 24 (bench/node24).
//
// Then the facade's own work timed in-process, without a database (bench/datastores-micro.cjs).
//
//   node bench/datastores.mjs [--node PATH] [--queries N] [--rounds N]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const QUERIES = Number(option('--queries', 3000));
const ROUNDS = Number(option('--rounds', 9));
const PORT = 21290;
const node24 = join(here, 'node24', 'node_modules', 'node', 'bin', 'node');
const nodes = args.includes('--node') ? [option('--node')] : [process.execPath, ...(existsSync(node24) ? [node24] : [])];

const { startPostgres } = await tsImport('../test/helpers/real-servers.ts', import.meta.url);
const server = await startPostgres(PORT);
const signed = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(1)}`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  for (const node of nodes) for (const sdk of ['sdk', 'nosdk']) {
    const out = execFileSync(node, [join(here, 'datastores-child.cjs'), String(PORT), String(QUERIES), String(ROUNDS), sdk], { encoding: 'utf8' });
    const { node: version, perQuery } = JSON.parse(out);
    const what = sdk === 'sdk' ? 'with an SDK' : 'no SDK';
    console.log(`pg query, client-process CPU per query, µs, ${what}: median [min–max] of ${ROUNDS} interleaved rounds of ${QUERIES} queries (Node ${version}):`);
    for (const [variant, values] of Object.entries(perQuery)) {
      const extra = variant === 'untraced' ? '' : `   ${signed(median(values.map((v, i) => v - perQuery.untraced[i])))} µs vs untraced`;
      console.log(`  ${variant.padEnd(30)} ${median(values).toFixed(1).padStart(6)} [${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}]${extra}`);
    }
  }
} finally {
  await server.stop();
}
// The facade's own work, in-process against a pool that answers at once (bench/datastores-micro.cjs).
for (const node of nodes) {
  const version = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  for (const sdk of ['sdk', 'nosdk']) {
    const ns = JSON.parse(execFileSync(node, [join(here, 'datastores-micro.cjs'), sdk], { encoding: 'utf8' }));
    const row = Object.entries(ns).map(([variant, value]) => `${variant} ${(value / 1000).toFixed(2)}`).join(', ');
    console.log(`in-process, µs per query, ${sdk === 'sdk' ? 'with an SDK' : 'no SDK'}, median of 7 runs (Node ${version}): ${row}`);
  }
}
