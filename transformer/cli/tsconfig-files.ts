import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { applyEdits, modify, parse, type ParseError } from 'jsonc-parser';
import { CliError } from './project';

// tsconfig files as `init` sees them: JSON with comments, read without a compiler (TypeScript 7 has no API, and a
// project may have no TypeScript yet), their `extends` followed as tsc follows it, and edited in place the way a
// person would edit them: comments, order and indentation kept, only the changed lines touched.

export interface TsconfigFile {
  readonly path: string;
  readonly text: string;
  readonly json: TsconfigJson;
}

export interface TsconfigJson {
  readonly extends?: string | readonly string[];
  readonly compilerOptions?: Readonly<Record<string, unknown>> & { readonly plugins?: readonly Record<string, unknown>[] };
  readonly files?: readonly string[];
  readonly include?: readonly string[];
  readonly references?: readonly { readonly path?: string }[];
}

export const isAutotraceEntry = (plugin: Record<string, unknown>) => String(plugin?.transform ?? '').startsWith('autotrace');

/** `-p` as tsc takes it: a tsconfig file, or a folder holding tsconfig.json. */
export function tsconfigPathOf(project: string): string {
  const path = resolve(project);
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'tsconfig.json') : path;
}

export function readTsconfigFile(path: string): TsconfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const errors: ParseError[] = [];
  const json = parse(text, errors, { allowTrailingComma: true, disallowComments: false }) as unknown;
  if (errors.length > 0 || typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CliError(`cannot read ${path}: it is not a JSON object (a syntax error near character ${errors[0]?.offset ?? 0})`);
  }
  return { path, text, json: json as TsconfigJson };
}

/** The files an `extends` names, resolved as tsc resolves them: relative paths, and packages (`@tsconfig/node20`). */
export function extendedPaths(file: TsconfigFile): string[] {
  const specs = file.json.extends === undefined ? [] : typeof file.json.extends === 'string' ? [file.json.extends] : file.json.extends;
  return specs.map((spec) => {
    const found = resolveExtends(spec, dirname(file.path));
    if (!found) throw new CliError(`${file.path} extends "${spec}", which cannot be found (is its package installed?)`);
    return found;
  });
}

function resolveExtends(spec: string, fromDir: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const path = resolve(fromDir, spec);
    return [path, `${path}.json`].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  }
  const require = createRequire(join(fromDir, 'package.json'));
  for (const candidate of [spec, `${spec}.json`, `${spec}/tsconfig.json`]) {
    try {
      return require.resolve(candidate);
    } catch {
      // tsc tries the same forms in turn
    }
  }
  return undefined;
}

export const isInstalledPackage = (path: string) => path.includes(`${sep}node_modules${sep}`);

/**
 * Where the `plugins` a build from this tsconfig gets are written: the file itself if it sets them, else the file it
 * extends that does (a later `extends` entry wins over an earlier one). `plugins` is replaced, never merged, down the
 * chain, so only this one array counts.
 */
export function effectivePlugins(file: TsconfigFile, seen = new Set<string>()): { file: TsconfigFile; plugins: readonly Record<string, unknown>[] } | undefined {
  if (seen.has(file.path)) return undefined;
  seen.add(file.path);
  const own = file.json.compilerOptions?.plugins;
  if (Array.isArray(own)) return { file, plugins: own };
  for (const parent of extendedPaths(file).reverse()) {
    const found = effectivePlugins(readTsconfigFile(parent), seen);
    if (found) return found;
  }
  return undefined;
}

/** A compiler option as the build sees it down the `extends` chain, with the file that sets it (paths are relative to that file). */
export function effectiveOption(file: TsconfigFile, name: string, seen = new Set<string>()): { file: TsconfigFile; value: unknown } | undefined {
  if (seen.has(file.path)) return undefined;
  seen.add(file.path);
  const value = file.json.compilerOptions?.[name];
  if (value !== undefined) return { file, value };
  for (const parent of extendedPaths(file).reverse()) {
    const found = effectiveOption(readTsconfigFile(parent), name, seen);
    if (found) return found;
  }
  return undefined;
}

/** A "solution" tsconfig: builds nothing itself (`"files": []`), only the projects it references (`tsc -b`). */
export function isSolution(file: TsconfigFile): boolean {
  return Array.isArray(file.json.references) && file.json.references.length > 0 && Array.isArray(file.json.files) && file.json.files.length === 0 && !file.json.include;
}

export function referencedPaths(file: TsconfigFile): string[] {
  return (file.json.references ?? []).flatMap((reference) => (reference.path ? [tsconfigPathOf(resolve(dirname(file.path), reference.path))] : []));
}

/**
 * The text with `entry` appended to the file's own `compilerOptions.plugins`, or, where the file has none, with a
 * `plugins` that keeps what it inherited (setting the array replaces the inherited one), formatted like the file.
 */
export function withPluginEntry(file: TsconfigFile, entry: Record<string, unknown>, inherited: readonly Record<string, unknown>[]): string {
  const formattingOptions = formattingOf(file.text);
  const edits = Array.isArray(file.json.compilerOptions?.plugins)
    ? modify(file.text, ['compilerOptions', 'plugins', -1], entry, { isArrayInsertion: true, formattingOptions })
    : modify(file.text, ['compilerOptions', 'plugins'], [...inherited, entry], { formattingOptions });
  return applyEdits(file.text, edits);
}

function formattingOf(text: string) {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}
