import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NearMiss } from './directives';

// The coverage report: one record per site autotrace saw, with the truth about it, and a summary. Built by the same
// analysis that decides what the transform rewrites (transformer/analyse.ts), so the report cannot claim a site the
// output does not trace. Deterministic (sorted, no timestamps): teams commit it and review its diff.

export type SiteKind = 'app' | 'route' | 'middleware' | 'client';
export type SiteStatus = 'instrumented' | 'ignored' | 'excluded' | 'unsupported';

export interface SiteRecord {
  /** Relative to the project root, `/` separators. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  readonly kind: SiteKind;
  /** The server framework, for app/route/middleware sites. */
  readonly framework?: string;
  /** The HTTP client, for client sites. */
  readonly client?: string;
  /** The HTTP method, where the site names one (`app.get` → GET, `api.post` → POST). */
  readonly method?: string;
  /** The path a route or middleware is registered under, as written. */
  readonly route?: string;
  /** A client call's URL path template. */
  readonly urlTemplate?: string;
  readonly status: SiteStatus;
  /** Why a site is not instrumented, for a person to act on. */
  readonly reason?: string;
  /** What recognised it: the type checker, or import tracking (no checker, or one that saw only `any`). */
  readonly recogniser?: 'checker' | 'imports';
}

export interface ReportSummary {
  readonly sites: number;
  readonly instrumented: number;
  readonly ignored: number;
  readonly excluded: number;
  readonly unsupported: number;
  /** instrumented / (instrumented + unsupported), in percent with one decimal; 100 when there is nothing to trace. */
  readonly coverage: number;
}

export interface Report {
  readonly tool: 'autotrace';
  /** The report format's version. */
  readonly format: 1;
  readonly summary: ReportSummary;
  readonly sites: readonly SiteRecord[];
  /** Comments meant as opt-outs that are not obeyed (misspelled or misplaced); present only when there are some. */
  readonly directives?: readonly NearMiss[];
}

const KIND_ORDER: Record<SiteKind, number> = { app: 0, middleware: 1, route: 2, client: 3 };

export function compareRecords(a: SiteRecord, b: SiteRecord): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind]
  );
}

/** Counts by status and the coverage, for a whole report or any group of its sites (a file's). */
export function summarise(sites: readonly SiteRecord[]): ReportSummary {
  const count = (status: SiteStatus) => sites.filter((site) => site.status === status).length;
  const instrumented = count('instrumented');
  const unsupported = count('unsupported');
  const traceable = instrumented + unsupported;
  return {
    sites: sites.length,
    instrumented,
    ignored: count('ignored'),
    excluded: count('excluded'),
    unsupported,
    coverage: traceable === 0 ? 100 : Math.floor((instrumented / traceable) * 1000) / 10,
  };
}

export function buildReport(records: readonly SiteRecord[], nearMisses: readonly NearMiss[] = []): Report {
  const sites = [...records].sort(compareRecords);
  const report: Report = { tool: 'autotrace', format: 1, summary: summarise(sites), sites };
  if (nearMisses.length === 0) return report;
  const byPlace = (a: NearMiss, b: NearMiss) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column;
  return { ...report, directives: [...nearMisses].sort(byPlace) };
}

export function reportJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Writes the report unless the file already holds exactly this text (a watch rebuild then touches nothing). */
export function writeReport(path: string, report: Report): void {
  const text = reportJson(report);
  try {
    if (readFileSync(path, 'utf8') === text) return;
  } catch {
    // not there yet
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** `autotrace: 212 sites: 208 traced, 2 opted out, 2 black boxes (see autotrace-report.json)`. */
export function summaryLine(summary: ReportSummary, reportName: string | undefined): string {
  const optedOut = summary.ignored + summary.excluded;
  const parts = [`${summary.instrumented} traced`];
  if (optedOut > 0) parts.push(`${optedOut} opted out`);
  parts.push(`${summary.unsupported} black box${summary.unsupported === 1 ? '' : 'es'}`);
  const where = reportName ? ` (see ${reportName})` : '';
  return `autotrace: ${summary.sites} site${summary.sites === 1 ? '' : 's'}: ${parts.join(', ')}, coverage ${summary.coverage}%${where}`;
}

/** The one error a build below `minCoverage` fails with: every uncovered site as `file:line:column reason`. */
export function coverageGateMessage(report: Report, minCoverage: number): string | undefined {
  if (report.summary.coverage >= minCoverage) return undefined;
  const uncovered = report.sites
    .filter((site) => site.status === 'unsupported')
    .map((site) => `  ${site.file}:${site.line}:${site.column} ${site.reason ?? ''}`);
  return [
    `autotrace: coverage ${report.summary.coverage}% is below minCoverage ${minCoverage}% ` +
      `(${report.summary.instrumented} traced, ${report.summary.unsupported} black boxes):`,
    ...uncovered,
  ].join('\n');
}
