// Run-time overhead: the same Express service compiled with and without autotrace, in one process with a real SDK
// (NodeTracerProvider, BatchSpanProcessor, an exporter that drops spans), answering keep-alive requests from a
// client in the same process. Rounds alternate between the two so machine noise falls on both alike; the ratio of
// median request latencies is printed, with the absolute cost per request.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, Agent, get } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(repo, 'package.json'));
const ts = require('typescript');
const { createTransformers } = require('./dist/transformer/index.js');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

let exported = 0;
const exporter = { export: (spans, done) => ((exported += spans.length), done({ code: 0 })), shutdown: async () => {} };
if (process.env.SDK !== 'none') new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }).register();

/** Compiles the fixture service to CommonJS inside the repo (so `autotrace/runtime` resolves) and loads it. */
function build(withTransformer) {
  const source = join(repo, 'fixtures', 'apps', 'express-app.ts');
  const options = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true, types: ['node'] };
  const program = ts.createProgram({ rootNames: [source], options });
  const outDir = join(repo, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, withTransformer ? 'traced.js' : 'plain.js');
  program.emit(program.getSourceFile(source), (name, text) => name.endsWith('.js') && writeFileSync(file, text), undefined, false, withTransformer ? createTransformers(program, {}, ts) : undefined);
  return require(file).createApp(require('express'), () => '');
}

async function listen(app) {
  const server = createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: server.address().port };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function request(port) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/api/users/42', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}

async function round(port, count) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await request(port);
  return Number(process.hrtime.bigint() - start) / 1e3 / count; // µs per request
}

const plain = await listen(build(false));
const traced = await listen(build(true));
const perRound = Number(process.env.REQUESTS ?? 2000);
const rounds = Number(process.env.ROUNDS ?? 8);
await round(plain.port, 500);
await round(traced.port, 500);
const results = { plain: [], traced: [] };
for (let i = 0; i < rounds; i++) {
  // Which goes first alternates too: a round pays for garbage the one before it left.
  if (i % 2 === 0) {
    results.plain.push(await round(plain.port, perRound));
    results.traced.push(await round(traced.port, perRound));
  } else {
    results.traced.push(await round(traced.port, perRound));
    results.plain.push(await round(plain.port, perRound));
  }
}
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const p = median(results.plain);
const t = median(results.traced);
console.log(`GET /api/users/42 on Express 5, keep-alive, ${rounds} alternating rounds of ${perRound} requests`);
console.log(`  without autotrace     ${p.toFixed(1)} µs/request`);
console.log(`  with autotrace        ${t.toFixed(1)} µs/request  (SERVER span per request, ${exported} spans exported)`);
console.log(`  ratio                 ${(t / p).toFixed(2)}x   (+${(t - p).toFixed(1)} µs per request)`);
agent.destroy();
plain.server.close();
traced.server.close();
