import { formatNearMiss } from '../directives';
import { summarise, type Report, type SiteRecord } from '../report';

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
  return [site.kind, site.framework ?? site.client, site.method, site.route ?? site.urlTemplate].filter(Boolean).join(' ');
}

export function formatTable(report: Report): string {
  const lines: string[] = [];
  for (const [file, sites] of sitesByFile(report)) {
    const summary = summarise(sites);
    lines.push(`${file}  ${summary.instrumented}/${summary.sites} traced, coverage ${summary.coverage}%`);
    const rows = sites.map((site) => [`${site.line}:${site.column}`, describeSite(site), site.status, site.reason ?? '']);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) {
      lines.push(`  ${row.slice(0, 3).map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${row[3]}`.trimEnd());
    }
    lines.push('');
  }
  if (report.sites.length === 0) lines.push('no sites found: nothing in this project calls a framework or client autotrace knows.', '');
  // Opt-out comments that are not obeyed, worded as the build words them.
  if (report.directives?.length) lines.push(...report.directives.map(formatNearMiss), '');
  return lines.join('\n');
}
