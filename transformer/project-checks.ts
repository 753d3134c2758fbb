import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Emitted code imports autotrace/runtime, so autotrace must be a run-time dependency of the service. Listed only under
// devDependencies, a production install (`npm ci --omit=dev`) leaves it out and the service fails at start.

const warned = new Set<string>();

/**
 * Prints a warning to stderr. Not a compiler diagnostic: tsc exits non-zero on any diagnostic, a warning included,
 * and a warning must not fail anyone's build.
 */
export function warnIfRuntimeIsDevOnly(projectRoot: string): void {
  const manifest = nearestManifest(projectRoot);
  if (!manifest || warned.has(manifest)) return;
  warned.add(manifest);
  let pkg: Record<string, Record<string, unknown> | undefined> & { name?: unknown };
  try {
    pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch {
    return;
  }
  if (pkg.name === 'autotrace') return;
  const listed = (field: string) => typeof pkg[field] === 'object' && pkg[field] !== null && 'autotrace' in pkg[field]!;
  if (!listed('devDependencies') || listed('dependencies') || listed('optionalDependencies')) return;
  process.stderr.write(
    `autotrace: warning: ${manifest} lists "autotrace" only under devDependencies, but the emitted code imports ` +
      `"autotrace/runtime" at run time, so a production install would fail at start. Move it to "dependencies".\n`,
  );
}

function nearestManifest(directory: string): string | undefined {
  for (let dir = directory; ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
