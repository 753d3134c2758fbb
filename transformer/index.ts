import type * as ts from 'typescript';
import { createCore, createSourceFileTransformer } from './core';
import type { GapSink } from './gaps';
import { AutotraceOptionError, parseOptions, type AutotraceOptions } from './options';
import { warnIfRuntimeIsDevOnly } from './project-checks';

// The front doors. Thin on purpose: read the config and the compiler instance, build one Core, hand off.

export type { AutotraceOptions } from './options';
export { AutotraceOptionError } from './options';
export type { Gap, GapSink } from './gaps';

/** What ts-patch passes as the third argument of a program-type plugin (only the parts autotrace reads). */
export interface PluginExtras {
  readonly ts?: typeof ts;
  readonly addDiagnostic?: (diagnostic: ts.Diagnostic) => number;
}

/** The diagnostic code autotrace reports its own errors under (outside TypeScript's ranges). */
export const DIAGNOSTIC_CODE = 990001;

/**
 * The ts-patch entry: `"plugins": [{ "transform": "autotrace/transformer", "exclude": ["src/legacy/**"] }]`.
 * A bad option is reported as a compiler error naming it (so tsc exits non-zero like for any config error), and
 * nothing is transformed.
 */
export default function autotrace(
  program: ts.Program,
  config?: Readonly<Record<string, unknown>>,
  extras?: PluginExtras,
): ts.CustomTransformers {
  const ts_ = extras?.ts ?? loadTypeScript();
  let options: AutotraceOptions;
  try {
    options = parseOptions(config);
  } catch (error) {
    if (!(error instanceof AutotraceOptionError) || !extras?.addDiagnostic) throw error;
    extras.addDiagnostic({
      category: ts_.DiagnosticCategory.Error,
      code: DIAGNOSTIC_CODE,
      file: undefined,
      start: undefined,
      length: undefined,
      messageText: error.message,
    });
    return { before: [() => (file) => file] };
  }
  const core = createCore(ts_, program, options);
  warnIfRuntimeIsDevOnly(core.projectRoot);
  return { before: [createSourceFileTransformer(core)] };
}

/**
 * For tools that take TypeScript `CustomTransformers` (ts-loader's `getCustomTransformers`, `program.emit`):
 * `program.emit(undefined, undefined, undefined, false, createTransformers(program, { exclude: [] }))`.
 * Sites left untouched are printed to stderr, or handed to `hooks.onGap`.
 */
export function createTransformers(
  program: ts.Program,
  options?: Partial<AutotraceOptions>,
  typescript?: typeof ts,
  hooks?: { readonly onGap?: GapSink },
): ts.CustomTransformers {
  const ts_ = typescript ?? loadTypeScript();
  return { before: [createSourceFileTransformer(createCore(ts_, program, parseOptions(options), hooks?.onGap))] };
}

function loadTypeScript(): typeof ts {
  // Loaded only here, at build time: nothing under runtime/ may pull in the compiler.
  return require('typescript') as typeof ts;
}
