import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { buildReport, coverageGateMessage, formatCoverage, type Report, type RuntimeEntry } from '../report';
import { sitesByFile } from './table';
import { CliError, loadProject, noPluginsAdvice, reportOf, typescriptOf, type TypeScriptInfo } from './project';
import { DEFAULT_REPORT } from '../options';
import { readTsconfig } from '../tsconfig';

// `autotrace check`: did this build really trace? For every source file the report says holds traced sites, the
// emitted JavaScript must call the runtime at least once per site. Meant for CI, right after the build. It also fails
// where there is nothing to vouch for (no HTTP site recognised), and, with --min, below that coverage, counting black
// boxes and traffic traced only at run time (--runtime) as gaps, as `autotrace report --min` does.

export interface CheckResult {
  readonly ok: boolean;
  readonly text: string;
}

/** Emitted code calls the runtime as `__autotrace.<export>(`. */
const RUNTIME_CALL = /__autotrace\.\w+\(/g;

export interface CheckGate {
  readonly min?: number;
  readonly runtime?: readonly RuntimeEntry[];
}

export function check(tsconfig: string, gate: CheckGate = {}): CheckResult {
  const configPath = resolve(tsconfig);
  const typescript = typescriptOf(dirname(configPath));
  const source = typescript?.api ? fromProject(tsconfig) : fromReportFile(configPath, typescript);
  const { outputOf } = source;
  // Rebuilt, so a report file from an older version gets today's summary, and run-time traffic counts.
  const report = buildReport(source.report.sites, source.report.files ?? [], gate.runtime, source.report.directives);
  const problems: string[] = [];
  let files = 0;
  let sites = 0;
  for (const [file, records] of sitesByFile(report)) {
    const traced = records.filter((record) => record.status === 'instrumented').length;
    if (traced === 0) continue;
    files++;
    sites += traced;
    const output = outputOf(file);
    if (!output || !existsSync(output)) {
      problems.push(`${file}: no emitted JavaScript at ${output ? relative(process.cwd(), output) : '(unknown)'}: run the build first`);
      continue;
    }
    const calls = readFileSync(output, 'utf8').match(RUNTIME_CALL)?.length ?? 0;
    if (calls === 0) problems.push(`${file}: ${traced} traced sites, but ${relative(process.cwd(), output)} is untraced`);
    else if (calls < traced) problems.push(`${file}: ${traced} traced sites, but ${relative(process.cwd(), output)} calls the runtime only ${calls} times (an older build?)`);
  }
  const version = typescript ? `TypeScript ${typescript.version}` : 'no TypeScript installed';
  const { summary } = report;
  if (summary.sites === 0 && !summary.runtime) {
    const count = `${summary.files} file${summary.files === 1 ? '' : 's'}`;
    problems.push(`no HTTP site recognised in ${count}: nothing in this build is traced (see \`autotrace report\`)`);
  }
  const minimum = gate.min !== undefined ? coverageGateMessage(report, gate.min, '--min') : undefined;
  if (minimum) problems.push(...minimum.replace(/^autotrace: /, '').split('\n').map((line) => line.trim()));
  const gaps = [`${summary.unsupported} black box${summary.unsupported === 1 ? '' : 'es'}`];
  if (summary.runtime) gaps.push(`${summary.runtime} traced at run time only`);
  const counted = `${gaps.join(', ')}, coverage ${formatCoverage(summary.coverage)}`;
  if (problems.length === 0) {
    return { ok: true, text: `autotrace check: ${files} file${files === 1 ? '' : 's'} with ${sites} traced site${sites === 1 ? '' : 's'}, all emitted traced (${version}); ${counted}\n` };
  }
  const untraced = problems.some((p) => p.includes('is untraced'));
  const cause = untraced
    ? `Likely cause: the output was built by a compiler that ran no plugins: TypeScript 7, an unpatched tsc (reinstalling ` +
      'typescript drops the ts-patch patch: run `ts-patch install` again, or build with tspc), or esbuild/tsx/swc.\n' +
      (typescript && !typescript.api ? `${noPluginsAdvice(typescript)}\n` : '')
    : '';
  return {
    ok: false,
    text: `autotrace check failed (${version}):\n${problems.map((p) => `  ${p}`).join('\n')}\n${cause}`,
  };
}

type Source = { report: Report; outputOf: (file: string) => string | undefined };

/** With the compiler API: the report as the build sees it, and TypeScript's own answer to where each file is emitted. */
function fromProject(tsconfig: string): Source {
  const project = loadProject(tsconfig);
  const api = project.typescript.api;
  const root = dirname(project.configPath);
  return {
    report: reportOf(project),
    outputOf: (file) =>
      api
        .getOutputFileNames(project.parsed, resolve(root, file), !api.sys.useCaseSensitiveFileNames)
        .find((name) => /\.[mc]?js$/.test(name)),
  };
}

/**
 * Without it (TypeScript 7): the committed report, and the outDir/rootDir of the tsconfig itself (a file that
 * `extends` another is read for its own settings only).
 */
function fromReportFile(configPath: string, typescript: TypeScriptInfo | undefined): Source {
  const root = dirname(configPath);
  const reportPath = join(root, DEFAULT_REPORT);
  if (!existsSync(reportPath)) throw new CliError(`${noPluginsAdvice(typescript)}\nNo ${DEFAULT_REPORT} to check against either.`);
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
  const config = readTsconfig(configPath) as { compilerOptions?: { outDir?: string; rootDir?: string } };
  const outDir = config.compilerOptions?.outDir;
  const rootDir = config.compilerOptions?.rootDir ?? commonDir(report.sites.map((site) => dirname(site.file)));
  return {
    report,
    outputOf: (file) => {
      const js = file.replace(/\.([mc]?)tsx?$/, '.$1js');
      return outDir ? resolve(root, outDir, relative(rootDir, js)) : resolve(root, js);
    },
  };
}

function commonDir(dirs: readonly string[]): string {
  if (dirs.length === 0) return '.';
  const parts = dirs.map((dir) => dir.split('/'));
  const common: string[] = [];
  for (let i = 0; parts.every((p) => p[i] !== undefined && p[i] === parts[0]![i]); i++) common.push(parts[0]![i]!);
  return common.join('/') || '.';
}
