import { formatNearMiss } from '../directives';
import { describeRuntimeEntry, formatCoverage, STATUS_LABELS, summarise, type Report, type SiteRecord } from '../report';

// `autotrace report` on a terminal: a table per file, black boxes with their reasons, then the summary.

export function sitesByFile(report: Report): Map<string, SiteRecord[]> {
  const files = new Map<string, SiteRecord[]>();
  for (const site of report.sites) {
    const list = files.get(site.file) ?? [];
    list.push(site);
    files.set(site.file, list);
  }
  return files;
}

/** What a site is, in a few words: `route express GET /users/:id`, `client fetch /users/{id}`. */
export function describeSite(site: SiteRecord): string {
  return [site.kind, site.framework ?? site.client, site.method, site.route ?? site.urlTemplate ?? site.destination].filter(Boolean).join(' ');
}

export function formatTable(report: Report): string {
  const lines: string[] = [];
  for (const [file, sites] of sitesByFile(report)) {
    const summary = summarise(sites);
    lines.push(`${file}  ${summary.instrumented}/${summary.sites} traced, coverage ${formatCoverage(summary.coverage)}`);
    const rows = sites.map((site) => [`${site.line}:${site.column}`, describeSite(site), STATUS_LABELS[site.status], site.reason ?? '']);
    lines.push(...aligned(rows), '');
  }
  if (report.runtime && report.runtime.length > 0) {
    lines.push('traced at run time, outside the build (gaps: no site in the build traces them)');
    const rows = report.runtime.map((entry) => [describeRuntimeEntry(entry), `${entry.count} time${entry.count === 1 ? '' : 's'}`, '', '']);
    lines.push(...aligned(rows), '');
  }
  if (report.sites.length === 0) {
    lines.push(`no HTTP site recognised in ${report.summary.files} file${report.summary.files === 1 ? '' : 's'}: nothing in this project calls a framework or client autotrace knows.`, '');
  }
  // Opt-out comments that are not obeyed, worded as the build words them.
  if (report.directives?.length) lines.push(...report.directives.map(formatNearMiss), '');
  return lines.join('\n');
}

/** Rows of four cells: the first three padded to their widest, the last (a reason) as it is. */
function aligned(rows: readonly string[][]): string[] {
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `  ${row.slice(0, 3).map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${row[3]}`.trimEnd());
}
