import type * as ts from 'typescript';

/**
 * The compiler, loaded on first need and only at build time (or by the load-time hook): nothing under runtime/ may
 * pull it in. Doors handed a compiler instance (ts-patch's `extras.ts`) use that one instead.
 */
export function loadTypeScript(): typeof ts {
  return require('typescript') as typeof ts;
}
