import type { Report, SiteRecord } from '../report';

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

/** The coverage of a group of sites, as the summary counts it. */
export function coverageOf(sites: readonly SiteRecord[]): number {
  const instrumented = sites.filter((s) => s.status === 'instrumented').length;
  const traceable = instrumented + sites.filter((s) => s.status === 'unsupported').length;
  return traceable === 0 ? 100 : Math.floor((instrumented / traceable) * 1000) / 10;
}

/** What a site is, in a few words: `route express GET /users/:id`, `client fetch /users/{id}`. */
export function describeSite(site: SiteRecord): string {
  return [site.kind, site.framework ?? site.client, site.method, site.route ?? site.urlTemplate].filter(Boolean).join(' ');
}

export function formatTable(report: Report): string {
  const lines: string[] = [];
  for (const [file, sites] of sitesByFile(report)) {
    const traced = sites.filter((s) => s.status === 'instrumented').length;
    lines.push(`${file}  ${traced}/${sites.length} traced, coverage ${coverageOf(sites)}%`);
    const rows = sites.map((site) => [`${site.line}:${site.column}`, describeSite(site), site.status, site.reason ?? '']);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) {
      lines.push(`  ${row.slice(0, 3).map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${row[3]}`.trimEnd());
    }
    lines.push('');
  }
  if (report.sites.length === 0) lines.push('no sites found: nothing in this project calls a framework or client autotrace knows.', '');
  return lines.join('\n');
}
