// What `autotrace/runtime` adds to a service's startup, part by part: in a fresh process that has loaded Express (as
// the service would anyway), the time to require @opentelemetry/api alone (the peer every OpenTelemetry user loads),
// to require autotrace/runtime (its own modules and the run-time net's subscriptions: the API waits until something
// registers with OpenTelemetry or a request brings trace context), and then to wrap an Express app (the first call
// into an area loads it). Fresh processes, interleaved, ROUNDS each, on this Node and on Node 24 when bench/node24
// is installed. Timed inside the process (hrtime around each step), so process start-up noise stays out of it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.ROUNDS ?? 21);
const runtimeDir = join(repo, 'dist', 'runtime');

const probe = (part) => `
  const express = require('express');
  const runtimeFiles = () => Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(runtimeDir)})).length;
  const apiLoaded = () => Object.keys(require.cache).some((f) => f.includes('@opentelemetry/api'));
  const time = (work) => { const started = process.hrtime.bigint(); work(); return Number(process.hrtime.bigint() - started) / 1e6; };
  if (${JSON.stringify(part)} === 'api') {
    console.log(JSON.stringify({ api: time(() => require('@opentelemetry/api')) }));
  } else {
    let rt;
    const runtime = time(() => (rt = require(${JSON.stringify(join(runtimeDir, 'index.js'))})));
    const modules = runtimeFiles();
    const untracedApp = express(); // the service makes its app either way: not autotrace's time
    const app = time(() => rt.expressRoute(() => {}, { file: 'app.ts', line: 1 }) && rt.expressApp(untracedApp));
    console.log(JSON.stringify({ runtime, app, modules, appModules: runtimeFiles(), apiLoaded: apiLoaded() }));
  }`;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function measure(node) {
  const runs = { api: [], runtime: [], app: [] };
  let last;
  for (let round = 0; round < ROUNDS; round++) {
    for (const part of round % 2 ? ['runtime', 'api'] : ['api', 'runtime']) {
      const out = JSON.parse(execFileSync(node, ['-e', probe(part)], { cwd: repo, encoding: 'utf8' }));
      for (const key of Object.keys(runs)) if (key in out) runs[key].push(out[key]);
      if (part === 'runtime') last = out;
    }
  }
  const version = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  const show = (values) => `${median(values).toFixed(1)} ms [${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}]`;
  console.log(`Node ${version}, after require('express'), median [min-max] of ${ROUNDS} fresh processes:`);
  console.log(`  require('@opentelemetry/api')            ${show(runs.api)} (loaded by the runtime here: ${last.apiLoaded ? 'yes' : 'no'}; it waits for an SDK or incoming trace context)`);
  console.log(`  require('autotrace/runtime')             ${show(runs.runtime)} (${last.modules} runtime modules, the net subscribed)`);
  console.log(`  then wrap an Express app and a handler   ${show(runs.app)} (the Express area: ${last.appModules} runtime modules in all)`);
}

measure(process.execPath);
const node24 = join(repo, 'bench', 'node24', 'node_modules', 'node', 'bin', 'node');
if (existsSync(node24)) measure(node24);
