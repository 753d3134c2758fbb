import type * as ts from 'typescript';
import type { FilePlan } from './analyse';
import type { AutotraceOptions } from './options';
import type { Recogniser } from './recognise';
import type { SiteInfo } from './sites';

// What one analysis runs with (a program's or a lone file's), apart from how it is made (transformer/core.ts):
// transformer/analyse.ts reads it, transformer/core.ts builds it, and neither imports the other for it.

export interface Core {
  readonly ts: typeof ts;
  /**
   * The type checker, where one can answer: absent for a file compiled alone (transpileModule, whose one-file
   * program has no lib and resolves no imports), a bundler's module, a module loading, or emitted JavaScript.
   * Recognition then goes by import tracking alone.
   */
  readonly checker: ts.TypeChecker | undefined;
  readonly hasPackage: (name: string) => boolean;
  readonly program: ts.Program | undefined;
  readonly options: AutotraceOptions;
  /** The folder `exclude` globs and report paths are relative to: the tsconfig's, else the working directory. */
  readonly projectRoot: string;
  readonly isExcluded: (fileName: string) => boolean;
  /** Each file's plan, made on first need: by the report (every file) or the transform (the files emitted). */
  readonly plans: Map<ts.SourceFile, FilePlan>;
  /** Where a node is, as code.* and the report say it: in the source the user wrote. */
  readonly locate: (node: ts.Node, functionName: string | undefined) => Pick<SiteInfo, 'file' | 'line' | 'column' | 'function'>;
}

/** The checker-backed view of a core, when it has a checker. */
export function typedRecogniser(core: Core): Recogniser | undefined {
  return core.checker ? (core as Recogniser) : undefined;
}

/** For emitted JavaScript with a source map: the original file (relative to the project) and position of a place. */
export type SourcePosition = (line: number, column: number) => { file: string; line: number; column: number } | undefined;
