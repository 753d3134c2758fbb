import { relative, resolve } from 'node:path';
import { analyseProgram, type Core } from './core';
import { printNearMiss, type NearMiss } from './directives';
import type { GapSink } from './gaps';
import { coverageGateMessage, summaryLine, writeReport, type Report } from './report';

// What a build says about coverage, once per program and options: the black boxes (one line each), the report file beside the
// tsconfig, one summary line, and the minCoverage gate. Shared by every door that builds a whole program.

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
  const hasProject = typeof core.program?.getCompilerOptions().configFilePath === 'string';
  const path = hasProject && core.options.report !== false ? resolve(core.projectRoot, core.options.report) : undefined;
  if (path) writeReport(path, report);
  if (!core.options.quiet && hasProject) sinks.onSummary(summaryLine(report.summary, path && relative(process.cwd(), path)));
  const gate = core.options.minCoverage !== undefined ? coverageGateMessage(report, core.options.minCoverage) : undefined;
  if (gate) sinks.onGateFailure(gate);
  return report;
}
