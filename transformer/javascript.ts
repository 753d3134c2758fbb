import type * as ts from 'typescript';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import { dirname, extname, relative, resolve, sep } from 'node:path';
import { planFile } from './analyse';
import { createFileCore, type SourcePosition } from './core';
import { applyEdits } from './edits';
import type { Gap } from './gaps';
import { mayHaveSites } from './recognise-imports';
import { useSourceAnnotations } from './origins';
import { mapSources, sourceAnnotations } from './doors/source-maps';
import { writtenAsCommonJs } from './imports';
import { parseOptions, type AutotraceOptions } from './options';
import type { SiteRecord } from './report';

// @jridgewell/remapping's CommonJS type declarations do not parse (`export = function …;`), so it is loaded without
// them; these are the parts used.
type SourceMapInput = string | { readonly version: number; readonly mappings: string | unknown; readonly sources: readonly (string | null)[] };
interface RemappedMap {
  readonly version: 3;
  readonly mappings: string;
  readonly sources: readonly (string | null)[];
  readonly sourcesContent?: readonly (string | null)[];
  toString(): string;
}
const remapping = require('@jridgewell/remapping') as (input: SourceMapInput | SourceMapInput[], loader: () => null) => RemappedMap;

// One module's text in, traced text and its source map out: what every door without a compiler program calls (the
// bundler plugins, the load-time hook, `autotrace instrument`). Recognition is by import tracking (no checker).

export interface ModuleInput {
  readonly code: string;
  /** Absolute path of the module. */
  readonly fileName: string;
  /** Site paths (code.file.path, the report) are relative to this folder. */
  readonly projectRoot: string;
  /** Whether the runtime is bound by `require` (CommonJS) or `import`; by default read from the module's own text. */
  readonly commonJs?: boolean;
  /** The module is itself the output of a compiler with this source map (emitted JavaScript, tsx's output). */
  readonly inputMap?: SourceMapInput;
}

export interface ModuleOutput {
  readonly code: string;
  /** The map from the traced code to the module's original source (through `inputMap` when one was given); none when nothing was rewritten (`code` is then the input). */
  readonly map: RemappedMap | undefined;
  readonly records: readonly SiteRecord[];
  readonly gaps: readonly Gap[];
}

export { mayHaveSites } from './recognise-imports';

/** Undefined when the module holds no site at all; `map` undefined when it holds only sites left as written. */
export function transformModule(ts_: typeof ts, input: ModuleInput, options: AutotraceOptions = parseOptions(undefined)): ModuleOutput | undefined {
  if (!mayHaveSites(input.code, input.fileName, input.inputMap ? mapSources(input.inputMap, input.fileName) : [])) return undefined;
  const extension = extname(input.fileName);
  const kind = /^\.[mc]?tsx?$/.test(extension) ? (extension.endsWith('x') ? ts_.ScriptKind.TSX : ts_.ScriptKind.TS) : extension.endsWith('x') ? ts_.ScriptKind.JSX : ts_.ScriptKind.JS;
  const file = ts_.createSourceFile(input.fileName, input.code, ts_.ScriptTarget.Latest, true, kind);
  const toSource = input.inputMap ? sourcePositions(input.inputMap, input.fileName, input.projectRoot) : undefined;
  // Emitted JavaScript has lost its type annotations: the source it was compiled from still says them.
  const annotations = input.inputMap ? sourceAnnotations(ts_, file, input.inputMap, input.fileName) : undefined;
  if (annotations) useSourceAnnotations(file, annotations);
  const core = createFileCore(ts_, options, input.projectRoot, toSource);
  const plan = planFile(core, file);
  const edited = applyEdits(ts_, file, plan, input.commonJs ?? writtenAsCommonJs(ts_, file, false));
  if (!edited) return plan.records.length > 0 ? { code: input.code, map: undefined, records: plan.records, gaps: plan.gaps } : undefined;
  const map = input.inputMap ? remapping([edited.map as SourceMapInput, input.inputMap], () => null) : remapping(edited.map as SourceMapInput, () => null);
  return { code: edited.code, map, records: plan.records, gaps: plan.gaps };
}

/** Positions in emitted code, mapped back through its source map to the file the user wrote. */
function sourcePositions(inputMap: SourceMapInput, fileName: string, projectRoot: string): SourcePosition {
  const traced = new TraceMap(inputMap as ConstructorParameters<typeof TraceMap>[0], fileName);
  return (line, column) => {
    const original = originalPositionFor(traced, { line, column: column - 1 });
    if (original.source === null || original.line === null || original.column === null) return undefined;
    const absolute = /^file:/.test(original.source) ? new URL(original.source).pathname : resolve(dirname(fileName), original.source);
    return { file: relative(projectRoot, absolute).split(sep).join('/'), line: original.line, column: original.column + 1 };
  };
}
