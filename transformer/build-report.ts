import type * as ts from 'typescript';
import { relative, resolve } from 'node:path';
import { analyseProgram, type Core } from './core';
import { printNearMiss, type NearMiss } from './directives';
import type { GapSink } from './gaps';
import { buildReport, coverageGateMessage, summaryLine, type Report, type SiteRecord } from './report';
import { mergeIntoReport, writeReport } from './report-file';
import { onceAtExit } from './summary-at-exit';

// What a build says about coverage, once per program and options: the black boxes (one line each), the report file
// beside the tsconfig, one summary line, and the minCoverage gate.
//
// A program that is the whole project (tsc, tspc, a watch rebuild) writes the whole report, prints its summary and
// applies the gate. A program of one file or a few (transpileModule under ts-jest, ts-node, ts-patch's
// transpileModule; a language service that holds only the files asked for so far) merges its files into the report,
// and the process prints the merged summary once, at exit; the gate is left to whole builds and `autotrace report
// --min`, since a file's own coverage says nothing of the project's.

export interface BuildSinks {
  readonly onGap: GapSink;
  /** Where the summary line goes (stderr for a build). */
  readonly onSummary: (line: string) => void;
  /** Fails the build with this message (a compiler error diagnostic for the tsconfig plugin). */
  readonly onGateFailure: (message: string) => void;
  /** Where opt-out comments that are not obeyed are told of (stderr unless given). */
  readonly onNearMiss?: (miss: NearMiss) => void;
}

const reported = new WeakMap<Core, Report>();

/** Analyses the whole program (every file, emitted this time or not) and reports it; the same program only once. */
export function reportBuild(core: Core, sinks: BuildSinks): Report {
  const done = reported.get(core);
  if (done) return done;
  const { report, gaps } = analyseProgram(core);
  reported.set(core, report);
  for (const gap of gaps) sinks.onGap(gap);
  for (const miss of report.directives ?? []) (sinks.onNearMiss ?? printNearMiss)(miss);
  const configFile = core.program?.getCompilerOptions().configFilePath;
  if (typeof configFile !== 'string') return report;
  const path = core.options.report !== false ? resolve(core.projectRoot, core.options.report) : undefined;
  const shown = path && relative(process.cwd(), path);
  if (!isWholeProject(core, configFile)) {
    const merged = path ? mergeIntoReport(path, { files: report.files, records: report.sites, directives: report.directives ?? [] }, core.projectRoot) : mergeInMemory(configFile, report);
    if (!core.options.quiet) onceAtExit(path ?? configFile, merged, shown, sinks.onSummary);
    return report;
  }
  // A report that could not be written was warned about: the summary then points nowhere.
  const written = path !== undefined && writeReport(path, report);
  if (!core.options.quiet) sinks.onSummary(summaryLine(report.summary, written ? shown : undefined));
  const gate = core.options.minCoverage !== undefined ? coverageGateMessage(report, core.options.minCoverage) : undefined;
  if (gate) sinks.onGateFailure(gate);
  return report;
}

// With `"report": false`, the files this process compiled, by tsconfig: what its summary line adds up.
const compiled = new Map<string, Map<string, readonly SiteRecord[]>>();

function mergeInMemory(configFile: string, report: Report): Report {
  const byFile = compiled.get(configFile) ?? new Map<string, readonly SiteRecord[]>();
  compiled.set(configFile, byFile);
  for (const file of report.files) byFile.set(file, report.sites.filter((site) => site.file === file));
  return buildReport([...byFile.values()].flat(), byFile.keys());
}

// The files each tsconfig names, read once per process.
const configFiles = new Map<string, readonly string[] | undefined>();

/**
 * Whether the program holds every file its tsconfig names. A transpileModule program (no checker) never does; a
 * language service's program (ts-jest, ts-node) holds only the files asked for so far. A tsconfig that cannot be
 * read counts as whole, as before there was a difference.
 */
function isWholeProject(core: Core, configFile: string): boolean {
  if (!core.checker || !core.program) return false;
  if (!configFiles.has(configFile)) configFiles.set(configFile, filesOf(core.ts, configFile));
  const names = configFiles.get(configFile);
  return names === undefined || names.every((name) => core.program!.getSourceFile(name) !== undefined);
}

function filesOf(ts_: typeof ts, configFile: string): readonly string[] | undefined {
  try {
    const parsed = ts_.getParsedCommandLineOfConfigFile(configFile, undefined, { ...ts_.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    return parsed?.fileNames.filter((name) => !/\.d\.[mc]?ts$/.test(name));
  } catch {
    return undefined;
  }
}
