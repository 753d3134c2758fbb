// What run.mjs (the matrix) and paired.mjs share: the service's three builds, the downstream of /fetch, a variant's
// server process, and the statistics.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, '..', '..');
const require = createRequire(join(repo, 'package.json'));

export const NAMES = {
  A: 'untraced',
  B: 'SDK + instrumentation-http, -express, -undici',
  H: 'hand-written api wrapping + SDK',
  F: 'hand-written, every attribute autotrace records + SDK',
  G: 'as F, the span started where autotrace starts it + SDK',
  C: 'autotrace + SDK',
  D: 'autotrace, no SDK',
  X: 'untraced + one AsyncLocalStorage run per request',
};

// The comparisons the targets make, each taken within a round: C against the hand-written code with its few
// attributes (H) and with autotrace's (F), what those attributes cost (F/H), and D against untraced and against one
// AsyncLocalStorage run (X).
export const PAIRS = [['C', 'H'], ['C', 'F'], ['F', 'H'], ['C', 'G'], ['G', 'F'], ['D', 'A'], ['D', 'X'], ['X', 'A']];

/** The service built untraced and with autotrace (createTransformers, as the tsconfig plugin runs it), and by hand. */
export function build() {
  const ts = require('typescript');
  const { createTransformers } = require('./dist/transformer/index.js');
  const outDir = join(repo, 'bench', 'out', 'matrix');
  mkdirSync(outDir, { recursive: true });
  const options = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true, types: ['node'] };
  for (const [source, name, traced] of [['app.ts', 'plain', false], ['app.ts', 'traced', true], ['hand.ts', 'hand', false]]) {
    const program = ts.createProgram({ rootNames: [join(here, source)], options });
    const transformers = traced ? createTransformers(program, { report: false, quiet: true }, ts, { onGap: () => {} }) : undefined;
    program.emit(program.getSourceFile(join(here, source)), (file, text) => file.endsWith('.js') && writeFileSync(join(outDir, `${name}.js`), text), undefined, false, transformers);
  }
}

/**
 * The downstream of /fetch: a plain server in the driver's process, so its CPU is not counted as the service's.
 * While `held` is an array, it keeps its responses there instead of answering (heap per in-flight request).
 */
export async function startDownstream() {
  const downstream = { held: undefined, server: undefined, url: '' };
  downstream.server = createServer((_req, res) => (downstream.held ? downstream.held.push(res) : res.end('downstream data')));
  downstream.server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => downstream.server.listen(0, '127.0.0.1', resolve));
  downstream.url = `http://127.0.0.1:${downstream.server.address().port}`;
  return downstream;
}

/** A variant's server process (server.mjs), once it listens. */
export function startServer(node, variant, downstreamUrl, execArgv = ['--expose-gc']) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = fork(join(here, 'server.mjs'), [variant, downstreamUrl], { execPath: node, execArgv, silent: true });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.stdout.once('data', (line) => resolve({ child, port: JSON.parse(String(line)).port, started }));
    child.once('exit', (code) => reject(new Error(`variant ${variant} exited with ${code}`)));
  });
}

/** Sends a server a message and resolves with its answer; rejects when it answers with an error or exits first. */
export const ask = (child, message) =>
  new Promise((resolve, reject) => {
    // The server's arguments end with its variant and the downstream's URL (startServer).
    const onExit = (code, signal) => reject(new Error(`${child.spawnargs.at(-2)}: exited (${signal ?? code}) before answering`));
    child.once('exit', onExit);
    child.once('message', (answer) => {
      child.off('exit', onExit);
      if (answer?.error) reject(new Error(answer.error));
      else resolve(answer);
    });
    child.send(message);
  });

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The median and a distribution-free 95% interval of it (order statistics n/2 -/+ 0.98 sqrt(n)). */
export function medianWithInterval(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const half = 0.98 * Math.sqrt(n);
  return { median: sorted[Math.floor(n / 2)], interval: [sorted[Math.max(0, Math.floor(n / 2 - half))], sorted[Math.min(n - 1, Math.ceil(n / 2 + half))]] };
}

/** Each pair's CPU-per-request ratio within each round, as median [95% interval]. */
export function pairRatios(samples, variants, routes) {
  const pairs = {};
  for (const [a, b] of PAIRS.filter((pair) => pair.every((v) => variants.includes(v)))) {
    for (const route of routes) {
      const ratios = samples[`${a} ${route}`].cpu.map((cpu, round) => cpu / samples[`${b} ${route}`].cpu[round]);
      pairs[`${a}/${b} ${route}`] = medianWithInterval(ratios);
    }
  }
  return pairs;
}

export function printPairs(pairs, rounds) {
  console.log(`CPU per request, round by round (median of ${rounds} rounds' ratios [95% interval of the median]):`);
  for (const [key, { median: m, interval: [lo, hi] }] of Object.entries(pairs)) console.log(`  ${key.padEnd(16)} ${m.toFixed(3)} [${lo.toFixed(3)}-${hi.toFixed(3)}]`);
}

/** The version of the Node at `node`. */
export function nodeVersion(node) {
  return require('node:child_process').execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
}
