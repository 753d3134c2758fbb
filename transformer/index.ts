import type * as ts from 'typescript';
import { createCore, createSourceFileTransformer } from './core';
import { parseOptions, type AutotraceOptions } from './options';
import { warnIfRuntimeIsDevOnly } from './project-checks';

// The front doors. Thin on purpose: read the config and the compiler instance, build one Core, hand off.

export type { AutotraceOptions } from './options';
export { AutotraceOptionError } from './options';

/** What ts-patch passes as the third argument of a program-type plugin (only the parts autotrace reads). */
export interface PluginExtras {
  readonly ts?: typeof ts;
  readonly addDiagnostic?: (diagnostic: ts.Diagnostic) => number;
}

/**
 * The ts-patch entry: `"plugins": [{ "transform": "autotrace/transformer", "exclude": ["src/legacy/**"] }]`.
 * A bad option throws, naming it, which fails the build.
 */
export default function autotrace(
  program: ts.Program,
  config?: Readonly<Record<string, unknown>>,
  extras?: PluginExtras,
): ts.CustomTransformers {
  const ts_ = extras?.ts ?? loadTypeScript();
  const core = createCore(ts_, program, parseOptions(config));
  warnIfRuntimeIsDevOnly(ts_, core.projectRoot, extras?.addDiagnostic);
  return { before: [createSourceFileTransformer(core)] };
}

/**
 * For tools that take TypeScript `CustomTransformers` (ts-loader's `getCustomTransformers`, `program.emit`):
 * `program.emit(undefined, undefined, undefined, false, createTransformers(program, { exclude: [] }))`.
 */
export function createTransformers(
  program: ts.Program,
  options?: Partial<AutotraceOptions>,
  typescript?: typeof ts,
): ts.CustomTransformers {
  const ts_ = typescript ?? loadTypeScript();
  return { before: [createSourceFileTransformer(createCore(ts_, program, parseOptions(options)))] };
}

function loadTypeScript(): typeof ts {
  // Loaded only here, at build time: nothing under runtime/ may pull in the compiler.
  return require('typescript') as typeof ts;
}
