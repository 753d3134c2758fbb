import type * as ts from 'typescript';
import { createCore, createSourceFileTransformer, type Core } from './core';
import { printGap, type GapSink } from './gaps';
import { reportBuild } from './build-report';
import { loadTypeScript } from './load-typescript';
import type { NearMiss } from './directives';
import type { Report } from './report';
import { AutotraceOptionError, parseOptions, type AutotraceOptions } from './options';
import { warnIfRuntimeIsDevOnly } from './project-checks';

// The front doors. Thin on purpose: read the config and the compiler instance, build one Core, hand off.

export type { AutotraceOptions } from './options';
export { AutotraceOptionError } from './options';
export type { Gap, GapSink } from './gaps';
export type { NearMiss } from './directives';
export type { Report, ReportSummary, SiteKind, SiteRecord, SiteStatus } from './report';

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
  const error = (messageText: string): ts.Diagnostic => ({
    category: ts_.DiagnosticCategory.Error,
    code: DIAGNOSTIC_CODE,
    file: undefined,
    start: undefined,
    length: undefined,
    messageText,
  });
  let options: AutotraceOptions;
  try {
    options = parseOptions(config);
  } catch (failure) {
    if (!(failure instanceof AutotraceOptionError) || !extras?.addDiagnostic) throw failure;
    extras.addDiagnostic(error(failure.message));
    return { before: [() => (file) => file] };
  }
  const core = coreFor(ts_, program, options);
  warnIfRuntimeIsDevOnly(core.projectRoot);
  reportBuild(core, {
    onGap: printGap,
    onSummary: (line) => process.stderr.write(`${line}\n`),
    onGateFailure: (message) => {
      if (!extras?.addDiagnostic) throw new Error(message);
      extras.addDiagnostic(error(message));
    },
  });
  return { before: [createSourceFileTransformer(core)] };
}

/**
 * For tools that take TypeScript `CustomTransformers` (ts-loader's `getCustomTransformers`, `program.emit`):
 * `program.emit(undefined, undefined, undefined, false, createTransformers(program, { exclude: [] }))`.
 * Black boxes are printed to stderr, or handed to `hooks.onGap`; so are opt-out comments that are not obeyed, or handed
 * to `hooks.onNearMiss`. The whole program's report goes to `hooks.onReport` (and, for a program made from a tsconfig,
 * to the report file).
 */
export function createTransformers(
  program: ts.Program,
  options?: Partial<AutotraceOptions>,
  typescript?: typeof ts,
  hooks?: { readonly onGap?: GapSink; readonly onNearMiss?: (miss: NearMiss) => void; readonly onReport?: (report: Report) => void },
): ts.CustomTransformers {
  const ts_ = typescript ?? loadTypeScript();
  const core = coreFor(ts_, program, parseOptions(options));
  const report = reportBuild(core, {
    onGap: hooks?.onGap ?? printGap,
    ...(hooks?.onNearMiss ? { onNearMiss: hooks.onNearMiss } : {}),
    onSummary: (line) => process.stderr.write(`${line}\n`),
    onGateFailure: (message) => {
      throw new Error(message);
    },
  });
  hooks?.onReport?.(report);
  return { before: [createSourceFileTransformer(core)] };
}

// One Core per program and options: an incremental build emits file by file, asking for transformers each time.
const cores = new WeakMap<ts.Program, Map<string, Core>>();

function coreFor(ts_: typeof ts, program: ts.Program, options: AutotraceOptions): Core {
  let byOptions = cores.get(program);
  if (!byOptions) cores.set(program, (byOptions = new Map()));
  const key = JSON.stringify(options);
  let core = byOptions.get(key);
  if (!core) byOptions.set(key, (core = createCore(ts_, program, options)));
  return core;
}
