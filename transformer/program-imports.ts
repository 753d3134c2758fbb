import type * as ts from 'typescript';

// A file's imports as its program resolved them, read from TypeScript's internals (the file's `imports`, the
// program's resolution of each): what the plan cache (core.ts) and the reach of traced types (reach.ts) follow.

/** Internal part of TypeScript's Program (present since 5.3); where it is missing, callers assume the worst. */
interface ResolvingProgram {
  getResolvedModuleFromModuleSpecifier?(specifier: ts.StringLiteralLike, file: ts.SourceFile): { resolvedModule?: { resolvedFileName: string } } | undefined;
}

export interface ResolvedImport {
  readonly specifier: ts.StringLiteralLike;
  /** The program's file it resolved to; undefined for an ambient module (`node:fs`) or a module the program lacks. */
  readonly file: ts.SourceFile | undefined;
}

/** Every import of `file` (import types and `import()` included) with the file it resolved to; undefined if unknown. */
export function resolvedImports(program: ts.Program, file: ts.SourceFile): ResolvedImport[] | undefined {
  const resolve = (program as ResolvingProgram).getResolvedModuleFromModuleSpecifier;
  const imports = (file as { imports?: readonly ts.StringLiteralLike[] }).imports;
  if (typeof resolve !== 'function' || !Array.isArray(imports)) return undefined;
  return imports.map((specifier) => {
    const resolved = resolve.call(program, specifier, file)?.resolvedModule?.resolvedFileName;
    return { specifier, file: resolved === undefined ? undefined : program.getSourceFile(resolved) };
  });
}
