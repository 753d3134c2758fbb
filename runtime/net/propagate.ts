import { mayPropagate } from '../site';

// The `propagateTo` option reaches the runtime inside each build-time client site. The net's calls have no site, so
// they follow what the sites seen so far allow: a host gets trace headers only if every list seen admits it (sending
// less is the safe side when two builds in one process disagree). Until a site with a list is seen, every host does.

// Kept on a global symbol: the net runs from the first copy of the runtime loaded, and the sites may reach another.
const LISTS = Symbol.for('autotrace.net.propagateTo');
const holder = globalThis as { [LISTS]?: Map<string, { readonly propagateTo: readonly string[] }> };
const lists = (holder[LISTS] ??= new Map());

/** Takes in a site's `propagateTo` (called from learnSite in runtime/site.ts, which checks it is a list). */
export function learnPropagateTo(globs: readonly unknown[]): void {
  const key = globs.join('\n');
  if (!lists.has(key)) lists.set(key, { propagateTo: globs as string[] });
}

/** Whether the net may send trace context to `hostname`. */
export function netMayPropagate(hostname: string | undefined): boolean {
  for (const site of lists.values()) if (!mayPropagate(site, hostname)) return false;
  return true;
}
