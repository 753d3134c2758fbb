import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import picomatch from 'picomatch';
import { CliError, typescriptOf } from './project';
import { loadTypeScriptAlias } from '../load-typescript';
import {
  effectiveOption,
  effectivePlugins,
  extendedPaths,
  isAutotraceEntry,
  isInstalledPackage,
  isSolution,
  readTsconfigFile,
  referencedPaths,
  tsconfigPathOf,
  withPluginEntry,
  type TsconfigFile,
} from './tsconfig-files';

// `autotrace init [-p tsconfig.json|folder]`: puts the plugin entry where the project's builds will read it, as a
// person would: into the tsconfig itself (comments and formatting kept); at a monorepo root, into the shared base the
// packages extend (or each package's tsconfig where there is none); nowhere where a build already inherits it. With no
// tsconfig and sources beside it, it writes one in the module format package.json's `type` asks for. Then it says the
// next step for the TypeScript installed, TypeScript 7 (no plugins at all) included.

const ENTRY = { transform: 'autotrace/transformer' };

export function init(project: string): string {
  const target = tsconfigPathOf(project);
  const dir = dirname(target);
  if (!existsSync(dir)) throw new CliError(`${show(dir)} does not exist`);
  const lines: string[] = [];
  let builds: string[];
  if (existsSync(target)) {
    const file = readTsconfigFile(target);
    if (isSolution(file)) {
      lines.push(`${show(target)} is a solution: it builds the projects it references, so the plugin goes where they read it.`);
      addToProjects(referencedPaths(file), lines);
      builds = [`npx tspc -b ${show(target)}`];
    } else {
      addTo(file, lines);
      builds = [`npx tspc${target === tsconfigPathOf('tsconfig.json') ? '' : ` -p ${show(target)}`}`];
      warnOnModuleFormat(file, lines);
    }
  } else {
    const packages = workspaceTsconfigs(dir);
    if (packages) {
      builds = monorepoRoot(dir, packages, lines);
    } else {
      writeNew(target, lines);
      builds = [`npx tspc${target === tsconfigPathOf('tsconfig.json') ? '' : ` -p ${show(target)}`}`];
    }
  }
  lines.push(nextStep(dir, target, builds));
  return lines.map((line) => `autotrace: ${line}\n`).join('');
}

/** Into this tsconfig itself, unless a build from it already gets the plugin. */
function addTo(file: TsconfigFile, lines: string[]): void {
  const effective = effectivePlugins(file);
  if (effective?.plugins.some(isAutotraceEntry)) {
    lines.push(effective.file === file ? `${show(file.path)} already has the plugin: nothing to change.` : `${show(file.path)} already has the plugin, from ${show(effective.file.path)} (through "extends"): nothing to change.`);
    return;
  }
  writeFileSync(file.path, withPluginEntry(file, ENTRY, effective?.plugins ?? []));
  const kept = effective && effective.file !== file ? ` (with the ${effective.plugins.length} plugin entries it inherited from ${show(effective.file.path)}, which a "plugins" of its own replaces)` : '';
  lines.push(`added ${JSON.stringify(ENTRY)} to compilerOptions.plugins in ${show(file.path)}${kept}.`);
}

/**
 * Into the shared base each project extends (the highest tsconfig of the repository in its `extends` chain below any
 * that sets `plugins`), so that one entry serves every package; into the project's own tsconfig where it extends none.
 */
function addToProjects(projects: readonly string[], lines: string[]): void {
  const byTarget = new Map<string, string[]>();
  for (const path of projects) {
    if (!existsSync(path)) {
      lines.push(`${show(path)} does not exist: skipped.`);
      continue;
    }
    const file = readTsconfigFile(path);
    const effective = effectivePlugins(file);
    if (effective?.plugins.some(isAutotraceEntry)) {
      lines.push(`${show(path)} already has the plugin${effective.file === file ? '' : `, from ${show(effective.file.path)}`}.`);
      continue;
    }
    const target = sharedBaseOf(file).path;
    byTarget.set(target, [...(byTarget.get(target) ?? []), path]);
  }
  for (const [target, users] of byTarget) {
    addTo(readTsconfigFile(target), lines);
    const others = users.filter((user) => user !== target);
    if (others.length > 0) lines.push(`  ${others.map(show).join(', ')} extend${others.length === 1 ? 's' : ''} it, and so get${others.length === 1 ? 's' : ''} the plugin.`);
  }
}

function sharedBaseOf(file: TsconfigFile): TsconfigFile {
  if (Array.isArray(file.json.compilerOptions?.plugins)) return file;
  const local = extendedPaths(file).filter((path) => !isInstalledPackage(path));
  return local.length === 0 ? file : sharedBaseOf(readTsconfigFile(local[local.length - 1]!));
}

/** A monorepo root with no tsconfig.json of its own: the packages' tsconfigs, or the base they would extend. */
function monorepoRoot(dir: string, packages: readonly string[], lines: string[]): string[] {
  const base = ['tsconfig.base.json', 'tsconfig.build.json'].map((name) => join(dir, name)).find(existsSync);
  if (packages.length === 0) {
    if (!base) {
      throw new CliError(
        `${show(dir)} is a monorepo root with no tsconfig.json, and none of its packages has one yet: ` +
          'run `npx autotrace init` in each TypeScript package (or `npx autotrace init -p packages/<name>`), where its tsconfig.json is.',
      );
    }
    addTo(readTsconfigFile(base), lines);
    lines.push(`  no package has a tsconfig.json yet: give each one that "extends" ${show(base)}, and they get the plugin.`);
    return ['npx tspc -p <package folder>'];
  }
  lines.push(`${show(dir)} is a monorepo root: the plugin goes where its packages' builds read it (no tsconfig.json is written here).`);
  addToProjects(packages, lines);
  return packages.map((path) => `npx tspc -p ${show(dirname(path))}`);
}

/** The tsconfig.json of every workspace package, when `dir` is a monorepo root; undefined when it is not one. */
function workspaceTsconfigs(dir: string): string[] | undefined {
  const patterns = workspacePatterns(dir);
  const hasBase = existsSync(join(dir, 'tsconfig.base.json'));
  if (!patterns && !hasBase) return undefined;
  const include = picomatch((patterns ?? ['*', '*/*']).filter((p) => !p.startsWith('!')));
  const negated = (patterns ?? []).filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const exclude = negated.length > 0 ? picomatch(negated) : () => false;
  return folders(dir, 3)
    .map((folder) => relative(dir, folder).split('\\').join('/'))
    .filter((folder) => include(folder) && !exclude(folder) && existsSync(join(dir, folder, 'tsconfig.json')))
    .map((folder) => join(dir, folder, 'tsconfig.json'));
}

/** npm/yarn `workspaces` in package.json, or pnpm-workspace.yaml's `packages`. */
function workspacePatterns(dir: string): string[] | undefined {
  const manifest = readJson(join(dir, 'package.json')) as { workspaces?: string[] | { packages?: string[] } } | undefined;
  const workspaces = Array.isArray(manifest?.workspaces) ? manifest.workspaces : manifest?.workspaces?.packages;
  if (workspaces && workspaces.length > 0) return workspaces.map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
  const pnpm = join(dir, 'pnpm-workspace.yaml');
  if (!existsSync(pnpm)) return undefined;
  return [...readFileSync(pnpm, 'utf8').matchAll(/^\s*-\s*['"]?([^'"#\s]+)['"]?\s*$/gm)].map((m) => m[1]!.replace(/^\.\//, '').replace(/\/$/, ''));
}

function folders(dir: string, depth: number): string[] {
  if (depth === 0) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
    .flatMap((entry) => [join(dir, entry.name), ...folders(join(dir, entry.name), depth - 1)]);
}

/** A tsconfig for a service with no tsconfig yet: its sources (src/, else the folder) → dist/, in its module format. */
function writeNew(target: string, lines: string[]): void {
  const dir = dirname(target);
  const hasSrc = existsSync(join(dir, 'src')) && statSync(join(dir, 'src')).isDirectory();
  const hasTs = readdirSync(dir).some((name) => /\.[mc]?tsx?$/.test(name) && !/\.d\.[mc]?tsx?$/.test(name));
  if (!hasSrc && !hasTs) {
    throw new CliError(
      `no ${basename(target)} in ${show(dir)}, and no TypeScript sources (src/ or *.ts) to write one for: run \`npx autotrace init\` ` +
        'in your service\'s folder (where its tsconfig.json is), or point at it with `-p path/to/tsconfig.json`.',
    );
  }
  const base = baseAbove(dir);
  if (base) {
    // A package of a monorepo: it extends the shared base, as its siblings do, and inherits the plugin from there.
    const inherited = effectivePlugins(base);
    const config = {
      extends: relative(dir, base.path).split('\\').join('/'),
      compilerOptions: {
        ...(hasSrc ? { rootDir: 'src' } : {}),
        outDir: 'dist',
        ...(inherited?.plugins.some(isAutotraceEntry) ? {} : { plugins: [...(inherited?.plugins ?? []), ENTRY] }),
      },
      ...(hasSrc ? { include: ['src'] } : {}),
    };
    writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`);
    lines.push(`wrote ${show(target)} (extends ${show(base.path)}; ${hasSrc ? 'src/' : './'} → dist/) with the plugin${config.compilerOptions.plugins ? '' : `, which ${show(base.path)} already gives it`}.`);
    warnOnModuleFormat(readTsconfigFile(target), lines);
    return;
  }
  const esm = packageTypeOf(dir) === 'module';
  const config = {
    compilerOptions: {
      target: 'ES2022',
      // Node decides a .js file's format by package.json's `type`: the emitted format has to be that one.
      ...(esm ? { module: 'nodenext', moduleResolution: 'nodenext' } : { module: 'commonjs' }),
      esModuleInterop: true,
      strict: true,
      skipLibCheck: true,
      types: ['node'],
      ...(hasSrc ? { rootDir: 'src' } : {}),
      outDir: 'dist',
      sourceMap: true,
      plugins: [ENTRY],
    },
    ...(hasSrc ? { include: ['src'] } : {}),
  };
  writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`);
  lines.push(`wrote ${show(target)} (${hasSrc ? 'src/' : './'} → dist/, ${esm ? 'ES modules (nodenext), as package.json\'s "type": "module" asks' : 'CommonJS'}) with the plugin.`);
}

/** The nearest tsconfig.base.json above a package's folder: the base its siblings extend. */
function baseAbove(dir: string): TsconfigFile | undefined {
  for (let here = dirname(dir); ; here = dirname(here)) {
    const base = join(here, 'tsconfig.base.json');
    if (existsSync(base)) return readTsconfigFile(base);
    if (dirname(here) === here) return undefined;
  }
}

/**
 * Settings that make the first build fail or land where nobody looks, whatever the plugin does: say so, change
 * nothing. An ES module package emitting CommonJS (Node refuses the output); `tsc --init`'s verbatimModuleSyntax in a
 * CommonJS package, `npm init`'s default (tsc refuses `import x from 'y'`); no outDir (the .js lands beside the .ts).
 */
function warnOnModuleFormat(file: TsconfigFile, lines: string[]): void {
  const module = String(effectiveOption(file, 'module')?.value ?? '').toLowerCase();
  const type = packageTypeOf(dirname(file.path));
  if (type === 'module' && module === 'commonjs') {
    lines.push(
      `note: package.json says "type": "module" but ${show(file.path)} emits CommonJS ("module": "commonjs"): Node will not run ` +
        'that output ("exports is not defined in ES module scope"); set "module": "nodenext".',
    );
  }
  // The rest is about one service's own build, not a base that packages share or a solution that only references.
  if (basename(file.path) !== 'tsconfig.json' || isSolution(file)) return;
  if (type !== 'module' && /^node(16|18|20|next)$/.test(module) && effectiveOption(file, 'verbatimModuleSyntax')?.value === true) {
    lines.push(
      `note: ${show(file.path)} sets "verbatimModuleSyntax" with "module": "${module}" in a CommonJS package: tsc will reject ` +
        '`import x from \'y\'` (TS1295); set "type": "module" in package.json, or remove "verbatimModuleSyntax".',
    );
  }
  if (effectiveOption(file, 'outDir') === undefined) {
    lines.push(`note: ${show(file.path)} sets no "outDir": each .js is written beside its .ts; set "outDir": "dist" to build into dist/.`);
  }
}

function nextStep(dir: string, target: string, builds: readonly string[]): string {
  const typescript = typescriptOf(dir);
  const build = builds.join(', ');
  if (!typescript) return `next: npm install -D typescript@~5.9 ts-patch@~3.3 @types/node, then build with ${build}.`;
  if (!typescript.api) {
    const single = existsSync(target) && builds.length === 1 && !builds[0]!.includes(' -b ');
    const tsc = `npx tsc${single && target !== tsconfigPathOf('tsconfig.json') ? ` -p ${show(target)}` : ''}`;
    const instrument = single ? `npx autotrace instrument ${outDirOf(readTsconfigFile(target))} -p ${show(target)}` : 'npx autotrace instrument <outDir> -p <tsconfig>';
    const alias = loadTypeScriptAlias(dir) ? '' : 'npm install -D typescript5@npm:typescript@~5.9 (its parser), then ';
    return (
      `TypeScript ${typescript.version} is installed here: its tsc runs no plugins, and ts-patch's tspc fails on it. Next, either build ` +
      `with TypeScript 5.9: npm install -D typescript@~5.9 ts-patch@~3.3, then ${build}; or keep TypeScript ${typescript.version.split('.')[0]} ` +
      `and trace what it emits: ${alias}${tsc} && ${instrument}.`
    );
  }
  const major = Number(typescript.version.split('.')[0]);
  if (!packageVersion('ts-patch', dir)) return `next: npm install -D ts-patch@${major >= 6 ? '~4.0' : '~3.3'}, then build with ${build}.`;
  const report = builds.length === 1 && !builds[0]!.includes(' -b ') ? builds[0]!.replace('npx tspc', 'npx autotrace report') : 'npx autotrace report -p <project folder>';
  return `next: build with ${build} (ts-patch's tsc); \`${report}\` lists every site and whether it is traced.`;
}

function outDirOf(file: TsconfigFile): string {
  const found = effectiveOption(file, 'outDir');
  return typeof found?.value === 'string' ? show(join(dirname(found.file.path), found.value)) : show(dirname(file.path));
}

function packageVersion(name: string, dir: string): string | undefined {
  try {
    return (createRequire(join(dir, 'package.json'))(`${name}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The nearest package.json's `type`, as Node reads it for .js files. */
function packageTypeOf(dir: string): string | undefined {
  for (let here = dir; ; here = dirname(here)) {
    const manifest = readJson(join(here, 'package.json')) as { type?: string } | undefined;
    if (manifest) return manifest.type;
    if (dirname(here) === here) return undefined;
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A path as the user would type it from where they are. */
function show(path: string): string {
  return relative(process.cwd(), path) || '.';
}
