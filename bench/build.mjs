// Build-time overhead: emit the same Program with and without the autotrace transformer, interleaved, and print the
// ratio. Type checking is left out of both sides (it happens once, before emit, whatever plugins run), so the ratio
// is the transform's own cost on top of TypeScript's emit.
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(repo, 'package.json'));
const ts = require('typescript');
const { createTransformers } = require('./dist/transformer/index.js');

const roots = [
  ...readdirSync(join(repo, 'fixtures', 'baselines')).filter((f) => f.endsWith('.ts')).map((f) => join(repo, 'fixtures', 'baselines', f)),
  ...readdirSync(join(repo, 'fixtures', 'apps')).filter((f) => f.endsWith('.ts')).map((f) => join(repo, 'fixtures', 'apps', f)),
  ...readdirSync(join(repo, 'fixtures', 'e2e', 'src')).map((f) => join(repo, 'fixtures', 'e2e', 'src', f)),
];
const options = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, strict: true, skipLibCheck: true, types: ['node'] };
const program = ts.createProgram({ rootNames: roots, options });
ts.getPreEmitDiagnostics(program); // type-check once, outside the timings
const quiet = { onGap: () => {} }; // the fixtures' deliberate gaps are not what is measured
const userFiles = program.getSourceFiles().filter((f) => !f.isDeclarationFile).length;

function emit(withTransformer) {
  const start = process.hrtime.bigint();
  const transformers = withTransformer ? createTransformers(program, {}, ts, quiet) : undefined;
  let bytes = 0;
  program.emit(undefined, (_name, text) => (bytes += text.length), undefined, false, transformers);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, bytes };
}

const rounds = Number(process.env.ROUNDS ?? 15);
for (let i = 0; i < 3; i++) emit(true), emit(false); // warm up
const plain = [];
const traced = [];
let bytes = { plain: 0, traced: 0 };
for (let i = 0; i < rounds; i++) {
  const a = emit(false);
  const b = emit(true);
  plain.push(a.ms);
  traced.push(b.ms);
  bytes = { plain: a.bytes, traced: b.bytes };
}
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
console.log(`emit of ${userFiles} source files, median of ${rounds} interleaved rounds`);
console.log(`  plain tsc emit        ${median(plain).toFixed(1)} ms`);
console.log(`  with autotrace        ${median(traced).toFixed(1)} ms`);
console.log(`  ratio                 ${(median(traced) / median(plain)).toFixed(2)}x`);
console.log(`  emitted JS            ${bytes.plain} → ${bytes.traced} bytes (${((bytes.traced / bytes.plain - 1) * 100).toFixed(1)}% larger)`);

// What a build feels: program creation, type check and emit, as tspc runs them, with and without the plugin.
function wholeBuild(withTransformer) {
  const start = process.hrtime.bigint();
  const fresh = ts.createProgram({ rootNames: roots, options });
  ts.getPreEmitDiagnostics(fresh);
  fresh.emit(undefined, () => {}, undefined, false, withTransformer ? createTransformers(fresh, {}, ts, quiet) : undefined);
  return Number(process.hrtime.bigint() - start) / 1e6;
}
const buildRounds = Number(process.env.BUILD_ROUNDS ?? 8);
const whole = { plain: [], traced: [] };
for (let i = 0; i < 3; i++) wholeBuild(i % 2 === 0); // the checker's first runs are JIT warm-up, not build time
for (let i = 0; i < buildRounds; i++) {
  // Alternate which goes first: a round pays for the garbage the one before it left.
  const order = i % 2 === 0 ? [false, true] : [true, false];
  for (const traced of order) whole[traced ? 'traced' : 'plain'].push(wholeBuild(traced));
}
console.log(`whole build (create program, type check, emit), median of ${buildRounds} interleaved rounds`);
console.log(`  plain tsc             ${median(whole.plain).toFixed(0)} ms`);
console.log(`  with autotrace        ${median(whole.traced).toFixed(0)} ms`);
console.log(`  ratio                 ${(median(whole.traced) / median(whole.plain)).toFixed(2)}x`);
