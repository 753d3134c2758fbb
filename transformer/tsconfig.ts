import { readFileSync } from 'node:fs';

// A tsconfig read as text, for where no TypeScript compiler API is at hand (next to TypeScript 7, or as modules load):
// the CLI and the load-time hook both read it here. The file's own settings only (an `extends` chain is not followed).

export function readTsconfig(path: string): { compilerOptions?: Record<string, unknown> } {
  return JSON.parse(stripJsonComments(readFileSync(path, 'utf8'))) as { compilerOptions?: Record<string, unknown> };
}

/** The options of the autotrace entry in `compilerOptions.plugins`, if there is one. */
export function readPluginEntry(path: string): Record<string, unknown> | undefined {
  const plugins = readTsconfig(path).compilerOptions?.plugins;
  return Array.isArray(plugins) ? (plugins as Record<string, unknown>[]).find((p) => String(p.transform ?? '').startsWith('autotrace')) : undefined;
}

/** JSON with comments and trailing commas, as tsconfig files are written. */
export function stripJsonComments(text: string): string {
  return text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_match, string: string | undefined) => string ?? '').replace(/,(\s*[}\]])/g, '$1');
}
