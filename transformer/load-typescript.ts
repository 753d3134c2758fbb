import type * as ts from 'typescript';

/**
 * The compiler, loaded on first need and only at build time (or by the load-time hook): nothing under runtime/ may
 * pull it in. Doors handed a compiler instance (ts-patch's `extras.ts`) use that one instead.
 */
export function loadTypeScript(): typeof ts {
  return require('typescript') as typeof ts;
}

/** The names TypeScript 5.9 or 6 is installed under beside TypeScript 7, as the README says: `typescript5@npm:typescript@~5.9`. */
export const TYPESCRIPT_ALIASES = ['typescript5', 'typescript6'] as const;

/**
 * A TypeScript with the JavaScript API, installed under an alias beside a `typescript` that has none (TypeScript 7,
 * the native compiler): what the CLI analyses and parses with there. Undefined when no alias is installed.
 */
export function loadTypeScriptAlias(projectDir: string): { readonly api: typeof ts; readonly name: string; readonly path: string } | undefined {
  for (const name of TYPESCRIPT_ALIASES) {
    try {
      const path = require.resolve(name, { paths: [projectDir] });
      const api = require(path) as Partial<typeof ts>;
      if (typeof api.createProgram === 'function') return { api: api as typeof ts, name, path };
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}
