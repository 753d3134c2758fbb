import type { RuntimeRecordEntry } from '../runtime/net/record';
import type { NearMiss } from './directives';
import type { CallSiteKind } from './rules/index';

// The coverage report: one record per site autotrace saw, with the truth about it, and a summary. Built by the same
// analysis that decides what the transform rewrites (transformer/analyse.ts), so the report cannot claim a site the
// output does not trace. Deterministic (sorted, no timestamps): teams commit it and review its diff.

export type SiteKind = 'app' | 'route' | 'middleware' | CallSiteKind;
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
  /** The client (HTTP, RPC, broker or datastore) a call site goes through. */
  readonly client?: string;
  /** The HTTP method, where the site names one (`app.get` → GET, `api.post` → POST). */
  readonly method?: string;
  /** The path a route or middleware is registered under, as written. */
  readonly route?: string;
  /** A client call's URL path template. */
  readonly urlTemplate?: string;
  /**
   * Where a producer sends or a consumer receives (a queue, `exchange[:routing key]`, a subject, a BullMQ queue) or a
   * broker request's subject, where the source writes it as a string literal (for BullMQ also the literal given to the
   * `new Queue(…)` or `new Worker(…)` that made the instance).
   */
  readonly destination?: string;
  /**
   * A datastore call's operation (db.operation.name): a SQL query's (`SELECT`, `CREATE TABLE`) where the build read it
   * from a literal query of one operation, a Redis command (`GET`, `HSET`) from the method called.
   */
  readonly operation?: string;
  /** A datastore call's table (db.collection.name), where the build read it from a literal query of one operation on one table. */
  readonly collection?: string;
  /** A datastore call's db.query.summary (`INSERT orders SELECT carts`), where the build read it from a literal query. */
  readonly querySummary?: string;
  readonly status: SiteStatus;
  /** Why a site is not instrumented, for a person to act on. */
  readonly reason?: string;
  /** What recognised it: the type checker, or import tracking (no checker, or one that saw only `any`). */
  readonly recogniser?: 'checker' | 'imports';
}

export interface ReportSummary {
  /** Source files analysed, sites or not. */
  readonly files: number;
  readonly sites: number;
  readonly instrumented: number;
  readonly ignored: number;
  readonly excluded: number;
  readonly unsupported: number;
  /** Kinds of traffic seen at run time outside the build (`autotrace report --runtime`): each one counts as a gap. */
  readonly runtime?: number;
  /**
   * instrumented / (instrumented + unsupported + runtime), in percent with one decimal; `null` when there is nothing
   * to trace (no site recognised, or every one opted out): never 100, so no gate passes on a project it cannot see.
   */
  readonly coverage: number | null;
}

/** Traffic the run-time net saw (the entries of the runtime's AUTOTRACE_RUNTIME_REPORT record, one format for both). */
export type RuntimeEntry = RuntimeRecordEntry;

export interface Report {
  readonly tool: 'autotrace';
  /** The report format's version. */
  readonly format: 1;
  readonly summary: ReportSummary;
  readonly sites: readonly SiteRecord[];
  /** Comments meant as opt-outs that are not obeyed (misspelled or misplaced); present only when there are some. */
  readonly directives?: readonly NearMiss[];
  /** Traffic traced at run time, outside the build: only in `autotrace report --runtime` output. */
  readonly runtime?: readonly RuntimeEntry[];
  /** Every source file analysed, sorted: a build compiling one file at a time merges its files into the report by these. */
  readonly files: readonly string[];
}

/** How a status reads to a person, the same in the summary line, the table and the HTML pages. */
export const STATUS_LABELS: Readonly<Record<SiteStatus, string>> = {
  instrumented: 'traced',
  unsupported: 'black box',
  ignored: 'opted out',
  excluded: 'opted out',
};

const KIND_ORDER: Record<SiteKind, number> = { app: 0, middleware: 1, route: 2, consumer: 3, client: 4, producer: 5, datastore: 6 };

export function compareRecords(a: SiteRecord, b: SiteRecord): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind]
  );
}

/** Counts by status and the coverage, for a whole report or any group of its sites (a file's). */
export function summarise(sites: readonly SiteRecord[], files?: number, runtime?: readonly RuntimeEntry[]): ReportSummary {
  const count = (status: SiteStatus) => sites.filter((site) => site.status === status).length;
  const instrumented = count('instrumented');
  const unsupported = count('unsupported');
  const gaps = unsupported + (runtime?.length ?? 0);
  const traceable = instrumented + gaps;
  return {
    files: files ?? new Set(sites.map((site) => site.file)).size,
    sites: sites.length,
    instrumented,
    ignored: count('ignored'),
    excluded: count('excluded'),
    unsupported,
    ...(runtime && runtime.length > 0 ? { runtime: runtime.length } : {}),
    coverage: traceable === 0 ? null : Math.floor((instrumented / traceable) * 1000) / 10,
  };
}

/** `54.1%`, or `n/a` when there is nothing to trace. */
export function formatCoverage(coverage: number | null): string {
  return coverage === null ? 'n/a' : `${coverage}%`;
}

/** Whether coverage meets a minimum (`--min`, minCoverage): unknown coverage meets only a minimum of 0. */
export function meetsMinimum(summary: ReportSummary, minimum: number): boolean {
  return minimum <= 0 || (summary.coverage !== null && summary.coverage >= minimum);
}

/** `files` defaults to the files the records name (a caller that knows the files without sites passes them). */
export function buildReport(
  records: readonly SiteRecord[],
  files?: Iterable<string>,
  runtime?: readonly RuntimeEntry[],
  nearMisses: readonly NearMiss[] = [],
): Report {
  const sites = [...records].sort(compareRecords);
  const fileList = [...new Set([...(files ?? []), ...sites.map((site) => site.file)])].sort();
  const extra = runtime && runtime.length > 0 ? { runtime } : {};
  const directives = nearMisses.length > 0 ? { directives: [...nearMisses].sort(compareNearMisses) } : {};
  return { tool: 'autotrace', format: 1, summary: summarise(sites, fileList.length, runtime), sites, ...directives, ...extra, files: fileList };
}

function compareNearMisses(a: NearMiss, b: NearMiss): number {
  return (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column;
}

export function reportJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const plural = (count: number, word: string, many = `${word}s`) => `${count} ${count === 1 ? word : many}`;

/**
 * `autotrace: 212 sites: 208 traced, 2 opted out, 2 black boxes, coverage 98.1% (see autotrace-report.json)`, or
 * `autotrace: no HTTP site recognised in 14 files, coverage n/a (…)` for a project autotrace sees nothing in.
 */
export function summaryLine(summary: ReportSummary, reportName: string | undefined): string {
  const where = reportName ? ` (see ${reportName})` : '';
  if (summary.sites === 0 && !summary.runtime) {
    return `autotrace: no HTTP site recognised in ${plural(summary.files, 'file')}, coverage n/a${where}`;
  }
  const optedOut = summary.ignored + summary.excluded;
  const parts = [`${summary.instrumented} traced`];
  if (optedOut > 0) parts.push(`${optedOut} opted out`);
  parts.push(plural(summary.unsupported, 'black box', 'black boxes'));
  if (summary.runtime) parts.push(`${summary.runtime} traced at run time only`);
  return `autotrace: ${plural(summary.sites, 'site')}: ${parts.join(', ')}, coverage ${formatCoverage(summary.coverage)}${where}`;
}

/**
 * The one error a build or `autotrace report` below a minimum fails with (`minimum` names it: "minCoverage 80%",
 * "--min 80%"): every gap as `file:line:column reason`, traffic seen only at run time as `method host/route (source)`.
 */
export function coverageGateMessage(report: Report, minimum: number, name = 'minCoverage'): string | undefined {
  const { summary } = report;
  if (meetsMinimum(summary, minimum)) return undefined;
  const head =
    summary.coverage === null
      ? `autotrace: coverage n/a is below ${name} ${minimum}%: ${summary.sites === 0 ? `no HTTP site recognised in ${plural(summary.files, 'file')}` : 'every site opted out'}`
      : `autotrace: coverage ${summary.coverage}% is below ${name} ${minimum}% (${summary.instrumented} traced, ` +
        `${plural(summary.unsupported + (summary.runtime ?? 0), 'gap')})`;
  const gaps = [
    ...report.sites.filter((site) => site.status === 'unsupported').map((site) => `  ${site.file}:${site.line}:${site.column} ${site.reason ?? ''}`),
    ...(report.runtime ?? []).map((entry) => `  ${describeRuntimeEntry(entry)}: traced at run time, outside the build`),
  ];
  return gaps.length > 0 ? [`${head}:`, ...gaps].join('\n') : head;
}

/** `server GET /users/:id (@nestjs/core)`, `client POST api.example.com (got)`: one run-time entry in a few words. */
export function describeRuntimeEntry(entry: RuntimeEntry): string {
  const target = entry.kind === 'server' ? entry.route : [entry.host, entry.route].filter(Boolean).join('');
  return [entry.kind, entry.method, target, entry.source ? `(${entry.source})` : undefined].filter(Boolean).join(' ');
}
