import type * as ts from 'typescript';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Emitted code imports autotrace/runtime, so autotrace must be a run-time dependency of the service. Listed only under
// devDependencies, a production install (`npm ci --omit=dev`) leaves it out and the service fails at start.

const warned = new Set<string>();

export function warnIfRuntimeIsDevOnly(
  ts_: typeof ts,
  projectRoot: string,
  addDiagnostic: ((diagnostic: ts.Diagnostic) => number) | undefined,
): void {
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
  const messageText =
    `autotrace: ${manifest} lists "autotrace" only under devDependencies, but the emitted code imports ` +
    `"autotrace/runtime" at run time; a production install would fail at start. Move it to "dependencies".`;
  if (addDiagnostic) {
    addDiagnostic({ category: ts_.DiagnosticCategory.Warning, code: 990001, file: undefined, start: undefined, length: undefined, messageText });
  } else {
    process.stderr.write(`${messageText}\n`);
  }
}

function nearestManifest(directory: string): string | undefined {
  for (let dir = directory; ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
