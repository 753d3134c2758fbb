// What `autotrace/runtime` adds to a service's startup, part by part: in a fresh process that has loaded Express (as
// the service would anyway), the time to require @opentelemetry/api alone (the peer every OpenTelemetry user loads),
// and to require autotrace/runtime (which loads the api, its own modules and starts the run-time net). Fresh
// processes, interleaved, ROUNDS each, on this Node and on Node 24 when bench/node24 is installed. Timed inside the
// process (hrtime around `require`), so process start-up noise stays out of it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.ROUNDS ?? 21);

const probe = (part) => `
  require('express');
  const started = process.hrtime.bigint();
  require(${JSON.stringify(part === 'api' ? '@opentelemetry/api' : join(repo, 'dist', 'runtime', 'index.js'))});
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const modules = Object.keys(require.cache).filter((f) => f.includes(${JSON.stringify(join(repo, 'dist', 'runtime'))})).length;
  console.log(JSON.stringify({ ms, modules }));`;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function measure(node) {
  const runs = { api: [], runtime: [] };
  let modules = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const part of round % 2 ? ['runtime', 'api'] : ['api', 'runtime']) {
      const out = JSON.parse(execFileSync(node, ['-e', probe(part)], { cwd: repo, encoding: 'utf8' }));
      runs[part].push(out.ms);
      if (part === 'runtime') modules = out.modules;
    }
  }
  const version = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  const show = (values) => `${median(values).toFixed(1)} ms [${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}]`;
  console.log(`Node ${version}, after require('express'), median [min-max] of ${ROUNDS} fresh processes:`);
  console.log(`  require('@opentelemetry/api')       ${show(runs.api)}`);
  console.log(`  require('autotrace/runtime')        ${show(runs.runtime)} (api included; ${modules} runtime modules loaded)`);
  console.log(`  autotrace's own share (difference)  ${(median(runs.runtime) - median(runs.api)).toFixed(1)} ms`);
}

measure(process.execPath);
const node24 = join(repo, 'bench', 'node24', 'node_modules', 'node', 'bin', 'node');
if (existsSync(node24)) measure(node24);
