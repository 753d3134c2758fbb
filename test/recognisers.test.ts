import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, typescript as ts } from './helpers/compile';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';

// The two ways to know a receiver, held against each other on every transform fixture: the checker (a full program)
// and import tracking (one file, no checker), and the two ways to write the rewrite (the AST transform inside the
// compiler, text edits for the doors without one).

const { planFile } = requireFromRepo('./dist/transformer/analyse.js') as typeof import('../transformer/analyse');
const { createCore, createFileCore } = requireFromRepo('./dist/transformer/core.js') as typeof import('../transformer/core');
const { parseOptions } = requireFromRepo('./dist/transformer/options.js') as typeof import('../transformer/options');
const { transformModule } = requireFromRepo('./dist/transformer/javascript.js') as typeof import('../transformer/javascript');

const baselines = join(fixturesDir, 'baselines');
const cases = readdirSync(baselines).filter((name) => name.endsWith('.ts'));
const LOOKALIKES = ['lookalikes.ts', 'server-lookalikes.ts'];

type Site = { line: number; column: number; kind: string };
const key = (site: Site) => `${site.line}:${site.column} ${site.kind}`;

function instrumentedSites(file: string) {
  const path = join(baselines, file);
  const options = parseOptions(undefined);
  const program = ts.createProgram({
    rootNames: [path],
    options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, strict: true, skipLibCheck: true, types: ['node'] },
  });
  const checked = planFile(createCore(ts, program, options), program.getSourceFile(path)!);
  const alone = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imported = planFile(createFileCore(ts, options, repoRoot), alone);
  const pick = (records: readonly { status: string }[]) => new Set((records.filter((r) => r.status === 'instrumented') as unknown as Site[]).map(key));
  return { byChecker: pick(checked.records), byImports: pick(imported.records) };
}

describe('import tracking against the checker', () => {
  const totals = { checker: 0, imports: 0, both: 0, falsePositives: [] as string[] };
  for (const file of cases) {
    const { byChecker, byImports } = instrumentedSites(file);
    totals.checker += byChecker.size;
    totals.imports += byImports.size;
    totals.both += [...byImports].filter((site) => byChecker.has(site)).length;
    totals.falsePositives.push(...[...byImports].filter((site) => !byChecker.has(site)).map((site) => `${file} ${site}`));
  }

  it('rewrites nothing the checker would not: 0 false positives, and nothing at all on the look-alike fixtures', () => {
    expect(totals.falsePositives).toEqual([]);
    for (const file of LOOKALIKES) expect(instrumentedSites(file).byImports.size, file).toBe(0);
  });

  it('finds most of what the checker finds (the figure the README states)', () => {
    const recall = Math.round((totals.both / totals.checker) * 1000) / 10;
    process.stdout.write(`import tracking recall on the transform fixtures: ${totals.both}/${totals.checker} sites (${recall}%)\n`);
    expect(totals.checker).toBeGreaterThan(80);
    // What import tracking still cannot know alone is rare: at most two sites the checker finds.
    expect(totals.checker - totals.both).toBeLessThanOrEqual(2);
  });
});

describe('the AST rewrite and the text-edit rewrite', () => {
  // `__autotrace.name({ site })` calls, in order: what the runtime is asked to do, whoever wrote it.
  const runtimeCalls = (code: string) => [...code.matchAll(/__autotrace\.(\w+)\((\{[^}]*\})?/g)].map((m) => `${m[1]} ${(m[2] ?? '').replace(/\s+/g, ' ')}`);

  it.each(cases.filter((file) => !file.includes('.esm.')))('%s: the same runtime calls with the same sites', (file) => {
    const path = join(baselines, file);
    const source = readFileSync(path, 'utf8');
    // Both without a checker, so both decide from the same plan: transpileModule (AST) and transformModule (edits).
    const viaAst = requireFromRepo('ts-patch/compiler').transpileModule(source, {
      fileName: path,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ESNext, plugins: [{ transform: join(repoRoot, 'dist', 'transformer', 'index.js') }] },
    }).outputText as string;
    const viaEdits = transformModule(ts, { code: source, fileName: path, projectRoot: process.cwd() })?.code ?? source;
    expect(runtimeCalls(viaEdits)).toEqual(runtimeCalls(viaAst));
  });

  it('agree on at least the fixtures that have sites', () => {
    const withSites = cases.filter((file) => (transformModule(ts, { code: readFileSync(join(baselines, file), 'utf8'), fileName: join(baselines, file), projectRoot: process.cwd() })?.records.length ?? 0) > 0);
    expect(withSites.length).toBeGreaterThan(8);
  });
});

describe('compile helper sanity', () => {
  it('compiles the baselines without diagnostics', () => {
    expect(compile([join(baselines, 'express-routes.ts')]).diagnostics).toEqual([]);
  });
});
