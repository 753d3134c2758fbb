// `npm run corpus`: the transformer over TypeScript nobody here wrote — the `.ts` sources that npm packages ship —
// each package compiled twice as one Program, with and without autotrace. Passes when nothing crashes, the
// diagnostics are identical, and every file autotrace did not rewrite emits byte-identical JavaScript.
//
//   node test/scale/corpus.mjs                      the pinned packages below, installed into .tmp/corpus
//   node test/scale/corpus.mjs --from-repo ajv,x    packages already in the repo's node_modules (the npm test slice)
//   --json                                          one JSON line with the figures instead of the table
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(repo, 'package.json'));
const ts = require('typescript');
const { createTransformers } = require('./dist/transformer/index.js');

// Packages that publish their TypeScript sources, pinned so that every run reads the same files. Several make HTTP
// calls (openai, @anthropic-ai/sdk, @trpc/client: fetch) or serve HTTP (@trpc/server: node:http adapters).
const PINNED = [
  'rxjs@7.8.2',
  'effect@4.1.0',
  'openai@6.49.0',
  '@anthropic-ai/sdk@1.14.0',
  'zod@4.6.7',
  '@trpc/server@11.25.2',
  '@trpc/client@11.25.2',
  'mobx@7.1.3',
  '@effect/platform@0.97.2',
];

const args = process.argv.slice(2);
const json = args.includes('--json');
const fromRepo = args.includes('--from-repo') ? args[args.indexOf('--from-repo') + 1].split(',') : undefined;

function packageDirs() {
  if (fromRepo) return fromRepo.map((name) => join(repo, 'node_modules', name));
  const root = join(repo, '.tmp', 'corpus');
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), '{ "private": true }\n');
    if (!json) console.log(`installing ${PINNED.length} packages into ${relative(repo, root)} …`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', ...PINNED], { cwd: root, stdio: json ? 'ignore' : 'inherit' });
  }
  return PINNED.map((spec) => join(root, 'node_modules', spec.slice(0, spec.lastIndexOf('@'))));
}

/** Every `.ts`/`.mts`/`.cts` source file a package ships (declaration files and node_modules left out). */
function sourcesOf(dir) {
  const found = [];
  const walk = (current) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (name === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.[mc]?ts$/.test(name) && !/\.d\.[mc]?ts$/.test(name)) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

const OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  types: ['node'],
  typeRoots: [join(repo, 'node_modules', '@types')],
  strict: true,
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  noEmit: false,
  declaration: false,
  sourceMap: false,
  newLine: ts.NewLineKind.LineFeed,
};

function diagnosticsText(diagnostics) {
  return diagnostics.map((d) => `${d.file ? relative(repo, d.file.fileName) : ''}:${d.start ?? ''} TS${d.code}`).sort();
}

/** One build of a package's sources: emitted JS by file, and every diagnostic. */
function build(files, withAutotrace, gaps) {
  const program = ts.createProgram({ rootNames: files, options: { ...OPTIONS, outDir: '/virtual-out' } });
  const outputs = new Map();
  const transformers = withAutotrace ? createTransformers(program, {}, ts, { onGap: (gap) => gaps.push(gap) }) : undefined;
  const emitted = program.emit(undefined, (name, text) => outputs.set(name, text), undefined, false, transformers);
  return { outputs, diagnostics: diagnosticsText([...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]) };
}

const totals = { packages: 0, files: 0, crashes: 0, diagnosticMismatches: 0, invalidOutputs: 0, rewrittenFiles: 0, sites: 0, identical: 0, changedWithoutSite: 0, gaps: 0 };
const rows = [];
const problems = [];

for (const dir of packageDirs()) {
  const files = sourcesOf(dir);
  if (files.length === 0) continue;
  const name = relative(join(dir, '..'), dir).startsWith('..') ? dir : dir.slice(dir.lastIndexOf('node_modules') + 13);
  const started = Date.now();
  const row = { package: name, files: files.length, rewritten: 0, sites: 0, gaps: 0, identical: 0, ms: 0 };
  totals.packages++;
  totals.files += files.length;
  let plain;
  let traced;
  const gaps = [];
  try {
    plain = build(files, false, gaps);
    traced = build(files, true, gaps);
  } catch (error) {
    totals.crashes++;
    problems.push(`${name}: crashed: ${error.stack ?? error}`);
    rows.push(row);
    continue;
  }
  if (JSON.stringify(plain.diagnostics) !== JSON.stringify(traced.diagnostics)) {
    totals.diagnosticMismatches++;
    problems.push(`${name}: diagnostics differ (${plain.diagnostics.length} without, ${traced.diagnostics.length} with autotrace)`);
  }
  for (const [file, text] of plain.outputs) {
    const other = traced.outputs.get(file);
    const sites = other?.match(/__autotrace\.\w+\(/g)?.length ?? 0;
    if (sites > 0) {
      row.rewritten++;
      row.sites += sites;
      const syntax = ts.transpileModule(other, { fileName: 'out.js', reportDiagnostics: true, compilerOptions: { allowJs: true, target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext } }).diagnostics ?? [];
      if (syntax.length > 0) {
        totals.invalidOutputs++;
        problems.push(`${name}: ${file} is not valid JavaScript after the transform: ${ts.flattenDiagnosticMessageText(syntax[0].messageText, ' ')}`);
      }
    } else if (other === text) {
      row.identical++;
    } else {
      totals.changedWithoutSite++;
      problems.push(`${name}: ${file} changed although autotrace recognised no site in it`);
    }
  }
  row.gaps = gaps.length;
  row.ms = Date.now() - started;
  totals.rewrittenFiles += row.rewritten;
  totals.sites += row.sites;
  totals.identical += row.identical;
  totals.gaps += row.gaps;
  rows.push(row);
}

if (json) {
  console.log(JSON.stringify({ totals, rows, problems }));
} else {
  console.table(rows);
  console.log(
    `${totals.files} files in ${totals.packages} packages: ${totals.crashes} crashes, ${totals.diagnosticMismatches} diagnostic ` +
      `mismatches, ${totals.identical} files byte-identical, ${totals.rewrittenFiles} rewritten (${totals.sites} sites, ` +
      `${totals.invalidOutputs} not valid JavaScript after), ` +
      `${totals.changedWithoutSite} changed without a site, ${totals.gaps} sites reported as left untouched`,
  );
  for (const problem of problems) console.log(`  ${problem}`);
}
process.exitCode = problems.length === 0 && totals.files > 0 ? 0 : 1;
