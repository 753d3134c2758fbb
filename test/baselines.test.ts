import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, typescript as ts, type CompileOptions } from './helpers/compile';
import { fixturesDir } from './helpers/paths';

// Text baselines: fixtures/baselines/<case>.ts compiled with the transformer, compared as text with
// fixtures/baselines/expected/<case>.js. `UPDATE_BASELINES=1 npm test` rewrites the expected files; review the diff.

const baselineDir = join(fixturesDir, 'baselines');
const expectedDir = join(baselineDir, 'expected');
const update = process.env.UPDATE_BASELINES === '1';

/** The case name says how to compile it: `*.esm.ts` as ESM, `*.express4.ts` against @types/express 4. */
function optionsFor(file: string): CompileOptions {
  return {
    module: file.includes('.esm.') ? 'esnext' : 'commonjs',
    expressTypes: file.includes('.express4.') ? 4 : 5,
  };
}

function emitted(file: string, options: CompileOptions): string {
  const { outputs, diagnostics } = compile([join(baselineDir, file)], options);
  expect(diagnostics, `${file} must type-check`).toEqual([]);
  const text = outputs.get(file.replace(/\.ts$/, '.js'));
  expect(text).toBeDefined();
  return text!;
}

const cases = readdirSync(baselineDir).filter((name) => name.endsWith('.ts'));

describe('text baselines', () => {
  it.each(cases)('%s', (file) => {
    const actual = emitted(file, optionsFor(file));
    const expectedFile = join(expectedDir, file.replace(/\.ts$/, '.js'));
    if (update) {
      mkdirSync(expectedDir, { recursive: true });
      writeFileSync(expectedFile, actual);
    }
    // A missing baseline fails: writing it here would pass an output nobody reviewed.
    expect(existsSync(expectedFile), `${expectedFile} is missing: run UPDATE_BASELINES=1 npm test and review it`).toBe(true);
    expect(actual).toBe(readFileSync(expectedFile, 'utf8'));
  });
});

describe('files with nothing to trace', () => {
  it.each(['lookalikes.ts', 'server-lookalikes.ts', 'ignore-file.ts'])('%s emits byte-identical JS to plain tsc', (file) => {
    const options = optionsFor(file);
    expect(emitted(file, options)).toBe(emitted(file, { ...options, transform: false }));
  });

  it('an excluded file emits byte-identical JS to plain tsc', () => {
    const file = 'express-routes.ts';
    const excluded = emitted(file, { pluginOptions: { exclude: ['fixtures/baselines/express-*.ts'] } });
    expect(excluded).toBe(emitted(file, { transform: false }));
    expect(emitted(file, { pluginOptions: { exclude: ['other/**'] } })).toContain('__autotrace.expressRoute(');
  });
});

describe('recognised sites', () => {
  const routes = () => emitted('express-routes.ts', {});

  it('imports the runtime once per file, with require in CommonJS output and import in ESM output', () => {
    const cjs = routes();
    expect(cjs.match(/require\("autotrace\/runtime"\)/g)).toHaveLength(1);
    expect(cjs).not.toContain('import * as __autotrace');
    const esm = emitted('esm-output.esm.ts', optionsFor('esm-output.esm.ts'));
    expect(esm.match(/^import \* as __autotrace from "autotrace\/runtime";$/gm)).toHaveLength(1);
  });

  it('leaves the look-alikes, settings reads and optional calls untouched', () => {
    expect(routes()).toContain("exports.title = app.get('title');");
    const fetches = emitted('fetch-calls.ts', {});
    expect(fetches).toContain('globalThis.fetch?.(url)');
    expect(fetches).toContain('list.map((url) => fetch)');
    expect(fetches.match(/__autotrace\.fetch\(/g)).toHaveLength(3);
  });
});

describe('module format per file (module nodenext)', () => {
  it('imports the runtime in a .mts file and requires it in a .cts file of the same program', () => {
    const dir = join(fixturesDir, 'module-formats');
    const { outputs, diagnostics } = compile([join(dir, 'esm-file.mts'), join(dir, 'cjs-file.cts')], {
      extraCompilerOptions: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
    });
    expect(diagnostics).toEqual([]);
    expect(outputs.get('esm-file.mjs')).toMatch(/^import \* as __autotrace from "autotrace\/runtime";$/m);
    expect(outputs.get('esm-file.mjs')).not.toContain('require(');
    expect(outputs.get('cjs-file.cjs')).toMatch(/^const __autotrace = require\("autotrace\/runtime"\);$/m);
    for (const out of [outputs.get('esm-file.mjs')!, outputs.get('cjs-file.cjs')!]) {
      expect(out).toContain('__autotrace.fetch({ file: "fixtures/module-formats/');
    }
  });
});

describe('gaps: recognised sites left untouched are reported', () => {
  it.each([
    ['fetch-calls.ts', [
      { line: 11, what: 'optional call globalThis.fetch?.(…)' },
      { line: 12, what: 'fetch passed as a value' },
    ]],
    ['fastify-routes.ts', [{ line: 25, what: 'app.route(options) with options that are not an object literal' }]],
    ['express-routes.ts', []],
    // Chosen at run time, and a field that is an app only on some paths: reported where they are, never rewritten.
    ['value-flow.ts', [
      { line: 7, what: 'http.createServer chosen at run time in opts.createServer || http.createServer' },
      { line: 8, what: 'fetch chosen at run time in opts.custom ?? fetch' },
      { line: 9, what: 'fetch chosen at run time in (opts.custom ?? fetch)' },
      { line: 11, what: 'fetch as a default parameter (fetchFn = fetch)' },
      { line: 25, what: 'this.express.use(…) on a value that is an app or router of express only on some paths' },
    ]],
  ])('%s', (file, expected) => {
    const { gaps } = compile([join(baselineDir, file)], optionsFor(file));
    expect(gaps.map(({ line, what }) => ({ line, what }))).toEqual(expected);
    for (const gap of gaps) expect(gap.file).toBe(`fixtures/baselines/${file}`);
  });
});

describe('idempotence', () => {
  it.each(['express-routes.ts', 'express-receivers.ts', 'fetch-calls.ts', 'directives.ts', 'fastify-routes.ts', 'axios-calls.ts', 'undici-and-http.ts', 'node-http.ts'])(
    'transforming the output of %s again changes nothing',
    (file) => {
      // Transform once and print the result as TypeScript (types kept, so the checker can look again) ...
      const source = join(baselineDir, file);
      const program = ts.createProgram({
        rootNames: [source],
        options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, strict: true, skipLibCheck: true, types: ['node'] },
      });
      const transformer = compileTransformer(program);
      const once = ts.transform(program.getSourceFile(source)!, [transformer]);
      const printed = ts.createPrinter().printFile(once.transformed[0]!);
      expect(printed).toContain('__autotrace.');
      const outDir = join(baselineDir, 'out');
      mkdirSync(outDir, { recursive: true });
      const onceFile = join(outDir, file.replace(/\.ts$/, '.once.ts'));
      writeFileSync(onceFile, printed);
      // ... then compile that with and without the transformer: a second pass must add nothing.
      const again = compile([onceFile]).outputs;
      const plain = compile([onceFile], { transform: false }).outputs;
      const name = file.replace(/\.ts$/, '.once.js');
      expect(again.get(name)).toBe(plain.get(name));
    },
  );
});

describe('source positions', () => {
  it('maps a wrapped handler back to its original line', async () => {
    const { TraceMap, originalPositionFor } = await import('@jridgewell/trace-mapping');
    const file = 'comments-and-positions.ts';
    const { outputs } = compile([join(baselineDir, file)], { extraCompilerOptions: { sourceMap: true } });
    const js = outputs.get('comments-and-positions.js')!;
    const map = new TraceMap(JSON.parse(outputs.get('comments-and-positions.js.map')!));
    const lines = js.split('\n');
    const line = lines.findIndex((text) => text.includes('__autotrace.expressRoute('));
    const column = lines[line]!.indexOf('__autotrace.expressRoute(');
    const original = originalPositionFor(map, { line: line + 1, column });
    const sourceLines = readFileSync(join(baselineDir, file), 'utf8').split('\n');
    expect(sourceLines[original.line! - 1]).toContain('(_req, res) => {');
    // The comment before the handler is emitted once, not once per synthesized node.
    expect(js.match(/a comment before the handler stays once/g)).toHaveLength(1);
  });
});

function compileTransformer(program: import('typescript').Program) {
  const { createTransformers } = require(join(fixturesDir, '..', 'dist', 'transformer', 'index.js')) as typeof import('../transformer/index');
  const quiet = { onGap: () => {} }; // gaps are asserted above
  return createTransformers(program, {}, ts, quiet).before![0] as import('typescript').TransformerFactory<import('typescript').SourceFile>;
}
