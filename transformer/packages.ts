import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Which npm package a declaration file belongs to, read from the nearest package.json that has a `name` (packages
// such as hono ship nameless ones, `{ "type": "commonjs" }`, inside dist/). Asked by name rather than by path so that
// npm aliases (`express4@npm:express@4`), pnpm's store layout and nested installs all answer alike.

const nameByDirectory = new Map<string, string | undefined>();

export function packageNameOf(fileName: string): string | undefined {
  return lookUp(dirname(fileName));
}

function lookUp(directory: string): string | undefined {
  if (nameByDirectory.has(directory)) return nameByDirectory.get(directory);
  const manifest = join(directory, 'package.json');
  let name = existsSync(manifest) ? nameIn(manifest) : undefined;
  if (name === undefined) {
    const parent = dirname(directory);
    name = parent === directory ? undefined : lookUp(parent);
  }
  nameByDirectory.set(directory, name);
  return name;
}

function nameIn(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
    return typeof parsed.name === 'string' && parsed.name ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}
