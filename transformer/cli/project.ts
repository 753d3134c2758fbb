import type * as ts from 'typescript';
import { createRequire } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { analyseProgram, createCore, projectFiles } from '../core';
import { parseOptions, type AutotraceOptions } from '../options';
import type { Report } from '../report';
import { loadTypeScriptAlias } from '../load-typescript';

// The CLI's view of a project: its tsconfig read by the project's own TypeScript (the compiler its build runs), the
// autotrace entry of its `plugins`, and the same analysis the plugin runs during that build. Using the project's
// compiler rather than a second one keeps the CLI and the build from disagreeing about a single site.

export class CliError extends Error {}

/** The `typescript` a project builds with: its version, and whether it has the JavaScript API autotrace runs on. */
export interface TypeScriptInfo {
  readonly version: string;
  readonly path: string;
  /** TypeScript 7 (native) ships no compiler API and runs no transformer plugins. */
  readonly api: typeof ts | undefined;
}

export function typescriptOf(projectDir: string): TypeScriptInfo | undefined {
  const require = createRequire(resolve(projectDir, 'package.json'));
  let path: string;
  try {
    path = require.resolve('typescript');
  } catch {
    return undefined;
  }
  const loaded = require(path) as Partial<typeof ts> & { version?: string };
  const manifest = require(resolve(dirname(path), '..', 'package.json')) as { version?: string };
  const version = String(loaded.version ?? manifest.version ?? 'unknown');
  return { version, path, api: typeof loaded.createProgram === 'function' ? (loaded as typeof ts) : undefined };
}

/** What to do when the installed TypeScript cannot run autotrace: said by `report` and `check` alike. */
export function noPluginsAdvice(info: TypeScriptInfo | undefined): string {
  if (!info) return 'no typescript package is installed for this project: install typescript@~5.9 (or 6) and ts-patch.';
  return (
    `TypeScript ${info.version} (${info.path}) has no compiler API and runs no transformer plugins, so a build with ` +
    `its tsc emits untraced JavaScript. Build with TypeScript 5.9 or 6 and ts-patch (tspc), or run ` +
    '`autotrace instrument <outDir>` on its output, with TypeScript 5.9 installed beside it (npm install -D ' +
    'typescript5@npm:typescript@~5.9), which `autotrace report` then analyses with.'
  );
}

export interface LoadedProject {
  /** With `beside`: TypeScript 5.9 or 6 under an alias, standing in for the TypeScript 7 the project builds with. */
  readonly typescript: TypeScriptInfo & { readonly api: typeof ts; readonly beside?: TypeScriptInfo };
  readonly configPath: string;
  readonly parsed: ts.ParsedCommandLine;
  readonly program: ts.Program;
  readonly options: AutotraceOptions;
  /** False when the tsconfig names no autotrace plugin: its builds are not traced at all. */
  readonly hasPluginEntry: boolean;
}

export function loadProject(tsconfig: string): LoadedProject {
  const configPath = resolve(tsconfig);
  const native = typescriptOf(dirname(configPath));
  const alias = native?.api ? undefined : loadTypeScriptAlias(dirname(configPath));
  const typescript = alias ? { version: alias.api.version, path: alias.path, api: alias.api, beside: native } : native;
  if (!typescript?.api) throw new CliError(noPluginsAdvice(native));
  const api = typescript.api;
  const problems: string[] = [];
  const parsed = api.getParsedCommandLineOfConfigFile(configPath, undefined, {
    ...api.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => problems.push(api.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  if (!parsed) throw new CliError(`cannot read ${tsconfig}: ${problems.join('; ')}`);
  const entry = ((parsed.options.plugins ?? []) as unknown as Record<string, unknown>[]).find((plugin) =>
    String(plugin.transform ?? '').startsWith('autotrace'),
  );
  let options: AutotraceOptions;
  try {
    options = parseOptions(entry);
  } catch (error) {
    // The option error already says `autotrace: `, as the build prints it; the CLI adds its own.
    throw new CliError((error as Error).message.replace(/^autotrace: /, ''));
  }
  const program = api.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences ?? [] });
  return { typescript: { ...typescript, api }, configPath, parsed, program, options, hasPluginEntry: entry !== undefined };
}

/** The report the plugin would write for this project, without emitting anything. */
export function reportOf(project: LoadedProject): Report {
  return analyseProgram(createCore(project.typescript.api, project.program, project.options)).report;
}

/**
 * The project's files TypeScript cannot parse, each with its first syntax error (`src/a.ts:3:7: ';' expected.`):
 * their sites may be missing from the report, so `autotrace report` names them.
 */
export function syntaxErrorsOf(project: LoadedProject): string[] {
  const { api } = project.typescript;
  const core = createCore(api, project.program, project.options);
  const root = dirname(project.configPath);
  return projectFiles(core).flatMap((file) => {
    const [first] = project.program.getSyntacticDiagnostics(file);
    if (!first) return [];
    const { line, character } = file.getLineAndCharacterOfPosition(first.start ?? 0);
    const name = relative(root, file.fileName).split(sep).join('/');
    return [`${name}:${line + 1}:${character + 1}: ${api.flattenDiagnosticMessageText(first.messageText, ' ')}`];
  });
}
