// `node bench/tables.mjs`: the Markdown tables of BENCHMARKS.md's request figures, printed from what the last
// `npm run bench` wrote to bench/results (paired-node*.json, matrix-node*.json), so the page and the run agree.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const results = join(dirname(fileURLToPath(import.meta.url)), 'results');
const LINES = [20, 22, 24];
const ROUTES = ['/small', '/fetch'];
const read = (name) => {
  const path = join(results, name);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
};
const fixed = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : '–');
const range = ([low, high]) => `[${low.toFixed(0)}–${high.toFixed(0)}]`;
const pair = ({ median, interval }) => `**${median.toFixed(3)}** [${interval[0].toFixed(3)}–${interval[1].toFixed(3)}]`;

function pairedTable() {
  const runs = LINES.map((line) => read(`paired-node${line}.json`)).filter(Boolean);
  if (runs.length === 0) return '';
  const rows = [`| | ${runs.map((run) => `Node ${run.node}`).join(' | ')} |`, `| --- | ${runs.map(() => '---').join(' | ')} |`];
  for (const variant of Object.keys(runs[0].variants)) {
    for (const route of ROUTES) {
      const cells = runs.map((run) => {
        const figures = run.variants[variant]?.[route];
        return figures ? `${fixed(figures.cpuMicrosPerRequest)} ${range(figures.cpuMicrosRange)}, GC ${fixed(figures.gcPauseMicrosPerRequest, 2)}` : '–';
      });
      rows.push(`| ${variant} ${route} | ${cells.join(' | ')} |`);
    }
  }
  for (const name of Object.keys(runs[0].pairs)) rows.push(`| ${name} | ${runs.map((run) => (run.pairs[name] ? pair(run.pairs[name]) : '–')).join(' | ')} |`);
  for (const route of ROUTES) {
    const cells = runs.map((run) => {
      const rate = (variant) => run.variants[variant][route].requestsPerSecond / run.variants.A[route].requestsPerSecond;
      return `${rate('D').toFixed(3)} (X÷A ${rate('X').toFixed(3)})`;
    });
    rows.push(`| req/s D÷A ${route} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

function matrixTable(run) {
  const base = run.variants.A;
  const header = `| Node ${run.node} | ${ROUTES.map((route) => `${route} CPU µs [min–max] (÷A) | user µs (÷A) | req/s ÷A | GC µs | B alloc/req`).join(' | ')} | heap/in-flight B | startup ms [min–max] (timed by the server) |`;
  const rows = [header, `| ${header.split('|').slice(2, -1).map(() => '---').join(' | ')} | --- |`];
  for (const [variant, figures] of Object.entries(run.variants)) {
    const cells = ROUTES.map((route) => {
      const own = figures[route];
      const against = base[route];
      return [
        `${fixed(own.cpuMicrosPerRequest)} ${range(own.cpuMicrosRange)} (${(own.cpuMicrosPerRequest / against.cpuMicrosPerRequest).toFixed(2)})`,
        `${fixed(own.userMicrosPerRequest)} (${(own.userMicrosPerRequest / against.userMicrosPerRequest).toFixed(2)})`,
        (own.requestsPerSecond / against.requestsPerSecond).toFixed(2),
        fixed(own.gcPauseMicrosPerRequest, 2),
        String(own.allocatedBytesPerRequest ?? '–'),
      ].join(' | ');
    });
    const inProcess = figures.startupInProcessMs === undefined ? '' : ` (${fixed(figures.startupInProcessMs, 0)})`;
    const startup = `${fixed(figures.startupMs, 0)} ${figures.startupMsRange ? range(figures.startupMsRange) : ''}${inProcess}`;
    rows.push(`| ${variant} ${figures.name} | ${cells.join(' | ')} | ${figures.bytesPerInFlightRequest ?? '–'} | ${startup} |`);
  }
  const pairs = Object.entries(run.pairs ?? {}).map(([name, value]) => `${name} ${pair(value)}`);
  const signed = ({ median, interval }) => `**${median >= 0 ? '+' : ''}${median.toFixed(1)}** [${interval[0].toFixed(1)} to ${interval[1].toFixed(1)}]`;
  const startups = Object.entries(run.startupDifferences ?? {}).map(([name, { wall, cpu }]) => `${name} ${signed(wall)} ms, CPU ${signed(cpu)} ms`);
  const startupLine = startups.length === 0 ? '' : `\n\nStartup try by try, as each server timed it (median [95% interval]): ${startups.join('; ')}.`;
  return `${rows.join('\n')}\n\nPairs within a round (median [95% interval]): ${pairs.join('; ')}.${startupLine}`;
}

console.log('### paired.mjs\n');
console.log(pairedTable());
for (const line of LINES) {
  const run = read(`matrix-node${line}.json`);
  if (run) console.log(`\n### run.mjs, Node ${run.node}\n\n${matrixTable(run)}`);
}
