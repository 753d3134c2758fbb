import type * as ts from 'typescript';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, requireFromRepo } from './paths';

export const typescript = requireFromRepo('typescript') as typeof ts;
const transformer = requireFromRepo('./dist/transformer/index.js') as typeof import('../../transformer/index');

export interface CompileOptions {
  readonly module?: 'commonjs' | 'esnext';
  /** Compile against @types/express 4 (installed as @types/express4) instead of 5. */
  readonly expressTypes?: 4 | 5;
  /** Run the autotrace transformer (default) or emit exactly as plain tsc would. */
  readonly transform?: boolean;
  readonly pluginOptions?: Record<string, unknown>;
  readonly extraCompilerOptions?: ts.CompilerOptions;
  /** Written as `<name>.<outSuffix>.js`, for a second build of the same fixture with other options. */
  readonly outSuffix?: string;
}

export interface CompileResult {
  /** Emitted files by base name (`app.js`, `app.js.map`). */
  readonly outputs: Map<string, string>;
  readonly diagnostics: readonly string[];
  /** Sites the transformer left untouched and reported. */
  readonly gaps: readonly import('../../transformer/gaps').Gap[];
}

/** Compiles fixture files with a real Program and TypeChecker, as tspc would, and returns the emitted text. */
export function compile(rootNames: readonly string[], options: CompileOptions = {}): CompileResult {
  const ts_ = typescript;
  const compilerOptions: ts.CompilerOptions = {
    target: ts_.ScriptTarget.ES2022,
    module: options.module === 'esnext' ? ts_.ModuleKind.ESNext : ts_.ModuleKind.CommonJS,
    moduleResolution: options.module === 'esnext' ? ts_.ModuleResolutionKind.Bundler : ts_.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    sourceMap: false,
    newLine: ts_.NewLineKind.LineFeed,
    baseUrl: repoRoot,
    ...(options.expressTypes === 4
      ? {
          paths: {
            express: ['node_modules/@types/express4'],
            'express-serve-static-core': ['node_modules/@types/express4/node_modules/@types/express-serve-static-core'],
          },
        }
      : {}),
    ...options.extraCompilerOptions,
  };
  const program = ts_.createProgram({ rootNames, options: compilerOptions });
  const diagnostics = ts_
    .getPreEmitDiagnostics(program)
    .map((d) => ts_.flattenDiagnosticMessageText(d.messageText, '\n'));
  const outputs = new Map<string, string>();
  const gaps: import('../../transformer/gaps').Gap[] = [];
  const transformers =
    options.transform === false
      ? undefined
      : transformer.createTransformers(program, options.pluginOptions, ts_, { onGap: (gap) => gaps.push(gap) });
  program.emit(undefined, (fileName, text) => outputs.set(basename(fileName), text), undefined, false, transformers);
  return { outputs, diagnostics, gaps };
}

/**
 * Compiles a fixture app to CommonJS under fixtures/<dir>/out/ (inside the package, so `autotrace/runtime` resolves
 * to dist/ by self-reference and `express` to the repo's node_modules) and loads it.
 */
export function buildFixture<T>(source: string, options: CompileOptions = {}): T {
  const suffix = options.outSuffix ? `.${options.outSuffix}.js` : options.expressTypes === 4 ? '.express4.js' : '.js';
  return requireFromRepo(writeFixture(source, options, suffix)) as T;
}

/** The same, emitted as ESM to an `.mjs` file and loaded with `import()`, as an ESM service would be. */
export async function buildEsmFixture<T>(source: string, options: CompileOptions = {}): Promise<T> {
  return (await import(pathToFileURL(writeFixture(source, { ...options, module: 'esnext' }, '.mjs')).href)) as T;
}

function writeFixture(source: string, options: CompileOptions, extension: string): string {
  const { outputs, diagnostics } = compile([source], options);
  if (diagnostics.length > 0) throw new Error(`fixture ${source} does not type-check:\n${diagnostics.join('\n')}`);
  const outDir = join(dirname(source), 'out');
  mkdirSync(outDir, { recursive: true });
  const jsName = basename(source).replace(/\.ts$/, '.js');
  const outFile = join(outDir, jsName.replace(/\.js$/, extension));
  writeFileSync(outFile, outputs.get(jsName)!);
  return outFile;
}
