#!/usr/bin/env node
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildReport, coverageGateMessage, reportJson, summaryLine, type RuntimeEntry } from '../report';
import { check } from './check';
import { init } from './init';
import { instrument } from './instrument';
import { writeHtmlReport } from './html';
import { CliError, loadProject, reportOf, syntaxErrorsOf } from './project';
import { readRuntimeRecords } from './runtime-records';
import { tsconfigPathOf } from './tsconfig-files';
import { AutotraceOptionError } from '../options';
import { toSarif } from './sarif';
import { formatTable } from './table';

// The `autotrace` command. Exit codes: 0 fine, 1 the check or the --min gate failed, 2 the command could not run.

const USAGE = `usage:
  autotrace init [-p tsconfig.json]
      adds the plugin to the tsconfig, comments kept (at a monorepo root: to the base its packages extend),
      or writes one for a new service (src/ → dist/, in the module format of package.json's "type")
  autotrace report [-p tsconfig.json] [--json] [--html DIR] [--sarif FILE] [--min N] [--runtime FILE...]
      every HTTP site of the project and whether it is traced, without building; --runtime adds the traffic the
      runtime recorded (AUTOTRACE_RUNTIME_REPORT) that no site traces, counted as gaps
  autotrace check [-p tsconfig.json] [--min N] [--runtime FILE...]
      after a build: fails when a file with traced sites was emitted untraced
  autotrace instrument <outDir> [-p tsconfig.json]
      traces JavaScript a compiler that runs no plugins emitted (TypeScript 7, swc, Babel), in place
-p takes a tsconfig file or the folder that holds its tsconfig.json, as tsc does.
`;

const COMMANDS = ['init', 'report', 'check', 'instrument'];

/** One command's lines of the usage text. */
function usageOf(command: string): string {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  autotrace ${command} `));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('      '));
  return `usage:\n${lines.slice(start, end).join('\n')}\n${lines.at(-2)}\n`;
}

/** `-p` as tsc takes it, kept relative for messages: a folder means the tsconfig.json in it. */
function projectOf(project: string): string {
  return tsconfigPathOf(project) === resolve(project) ? project : join(project, 'tsconfig.json');
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!COMMANDS.includes(command)) throw new CliError(`unknown command "${command}"\n${USAGE}`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: command === 'instrument' || command === 'report' || command === 'check',
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      project: { type: 'string', short: 'p', default: 'tsconfig.json' },
      json: { type: 'boolean', default: false },
      html: { type: 'string' },
      sarif: { type: 'string' },
      min: { type: 'string' },
      runtime: { type: 'string', multiple: true },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usageOf(command));
    return 0;
  }
  values.project = projectOf(values.project);
  if (command === 'init') {
    process.stdout.write(init(values.project));
    return 0;
  }
  const min = values.min === undefined ? undefined : Number(values.min);
  if (min !== undefined && !(min >= 0 && min <= 100)) throw new CliError(`--min expects a percentage from 0 to 100, got "${values.min}"`);
  let runtime: RuntimeEntry[] | undefined;
  if (command === 'report' || command === 'check') {
    // `--runtime a.json b.json`: the files after the first come as positionals.
    if (positionals.length > 0 && !values.runtime) throw new CliError(`unexpected ${positionals.join(' ')}: record files follow --runtime\n${usageOf(command)}`);
    runtime = values.runtime ? readRuntimeRecords([...values.runtime, ...positionals].map((file) => resolve(file))) : undefined;
  }
  if (command === 'check') {
    const result = check(values.project, { ...(min !== undefined ? { min } : {}), ...(runtime ? { runtime } : {}) });
    (result.ok ? process.stdout : process.stderr).write(result.text);
    return result.ok ? 0 : 1;
  }
  if (command === 'instrument') {
    if (positionals.length !== 1) throw new CliError(`instrument takes one folder: autotrace instrument <outDir>\n${USAGE}`);
    const tsconfig = rest.some((arg) => arg === '-p' || arg.startsWith('--project')) ? values.project : existsSync(values.project) ? values.project : undefined;
    process.stderr.write(instrument(positionals[0]!, tsconfig).text);
    return 0;
  }
  const project = loadProject(values.project);
  const built = reportOf(project);
  const report = runtime ? buildReport(built.sites, built.files, runtime, built.directives) : built;
  if (!project.hasPluginEntry) {
    process.stderr.write(`autotrace: ${values.project} has no "autotrace/transformer" entry in compilerOptions.plugins: builds from it are not traced.\n`);
  }
  const { version, beside } = project.typescript;
  if (beside) {
    process.stderr.write(`autotrace: analysed with TypeScript ${version}, installed beside TypeScript ${beside.version}, whose tsc runs no plugins: trace its output with \`autotrace instrument <outDir>\`.\n`);
  }
  if (values.json) process.stdout.write(reportJson(report));
  else process.stdout.write(`${formatTable(report)}${summaryLine(report.summary, undefined)} (TypeScript ${version}${beside ? `, beside TypeScript ${beside.version}` : ''})\n`);
  const root = dirname(project.configPath);
  if (values.html) {
    const index = writeHtmlReport(report, resolve(values.html), root);
    process.stderr.write(`autotrace: HTML report at ${relative(process.cwd(), index)}\n`);
  }
  if (values.sarif) writeFileSync(resolve(values.sarif), `${JSON.stringify(toSarif(report), null, 2)}\n`);
  // Files that do not parse: their sites may be missing, so the report cannot vouch for coverage (exit 1, as a gate).
  const unparsed = syntaxErrorsOf(project);
  for (const error of unparsed) process.stderr.write(`autotrace: ${error} (syntax error: this file's sites may be missing from the report)\n`);
  const gate = min !== undefined ? coverageGateMessage(report, min, '--min') : undefined;
  if (gate) process.stderr.write(`${gate}\n`);
  return gate || unparsed.length > 0 ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const message = understood(error) ? (error as Error).message.replace(/^autotrace: /, '') : String((error as Error).stack ?? error);
  process.stderr.write(`autotrace: ${message}\n`);
  process.exitCode = 2;
}

/**
 * Conditions the command can name in one line: its own, bad arguments, bad plugin options, and a file the system
 * would not read or write (EISDIR, ENOENT, EACCES). Anything else is a bug, and its stack is what a report needs.
 */
function understood(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    error instanceof CliError ||
    error instanceof AutotraceOptionError ||
    (typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS') || typeof (error as { syscall?: unknown }).syscall === 'string'))
  );
}
