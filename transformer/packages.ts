import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Which npm package a declaration file belongs to, read from the nearest package.json that has a `name` (packages
// such as hono ship nameless ones, `{ "type": "commonjs" }`, inside dist/). Asked by name rather than by path so that
// npm aliases (`express4@npm:express@4`), pnpm's store layout and nested installs all answer alike.

interface Manifest {
  readonly name: string;
  readonly version: string | undefined;
}

const manifestByDirectory = new Map<string, Manifest | undefined>();

// By declaration file too: the rule table asks of the same few files at every site.
const manifestByFile = new Map<string, Manifest | undefined>();

export function packageNameOf(fileName: string): string | undefined {
  return manifestOf(fileName)?.name;
}

/** The major version of the package a declaration file belongs to (`5` for 5.4.1), where its package.json says. */
export function packageMajorOf(fileName: string): number | undefined {
  const major = /^(\d+)\./.exec(manifestOf(fileName)?.version ?? '')?.[1];
  return major === undefined ? undefined : Number(major);
}

function manifestOf(fileName: string): Manifest | undefined {
  if (manifestByFile.has(fileName)) return manifestByFile.get(fileName);
  const manifest = lookUp(dirname(fileName));
  manifestByFile.set(fileName, manifest);
  return manifest;
}

function lookUp(directory: string): Manifest | undefined {
  if (manifestByDirectory.has(directory)) return manifestByDirectory.get(directory);
  const manifest = join(directory, 'package.json');
  let found = existsSync(manifest) ? read(manifest) : undefined;
  if (found === undefined) {
    const parent = dirname(directory);
    found = parent === directory ? undefined : lookUp(parent);
  }
  manifestByDirectory.set(directory, found);
  return found;
}

function read(manifest: string): Manifest | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
    if (typeof parsed.name !== 'string' || !parsed.name) return undefined;
    return { name: parsed.name, version: typeof parsed.version === 'string' ? parsed.version : undefined };
  } catch {
    return undefined;
  }
}
