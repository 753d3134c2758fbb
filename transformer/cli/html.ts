import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeRuntimeEntry, formatCoverage, STATUS_LABELS, summarise, summaryLine, type Report, type SiteRecord } from '../report';
import { describeSite, sitesByFile } from './table';

// `autotrace report --html DIR`: a static report in the manner of a coverage report. index.html lists every file
// with a coverage bar; files/<path>.html shows the file's source with each site's line marked by its status and the
// status and reason beside it. No scripts, no external assets: it opens from disk and from a CI artifact alike.

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } .summary { color: #59636e; margin-bottom: 1.5rem; }
table { border-collapse: collapse; } th, td { padding: .3rem .7rem; text-align: left; border-bottom: 1px solid #d1d9e0; }
th { font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { width: 160px; height: .8rem; background: #f3d2d2; border-radius: 2px; overflow: hidden; }
.bar > span { display: block; height: 100%; background: #4ba15c; }
.source { font: 12.5px/1.5 ui-monospace, monospace; border-collapse: collapse; width: 100%; }
.source td { border: 0; padding: 0 .6rem; vertical-align: top; white-space: pre; }
.source td.ln { color: #8c959f; text-align: right; user-select: none; width: 1%; }
.source td.note { white-space: normal; font-family: system-ui, sans-serif; font-size: 12.5px; width: 40%; }
tr.instrumented td.code { background: #dafbe1; } tr.unsupported td.code { background: #ffebe9; }
tr.ignored td.code, tr.excluded td.code { background: #eaeef2; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 1rem; font-size: 11.5px; font-weight: 600; margin-right: .3rem; }
.badge.instrumented { background: #4ba15c; color: #fff; } .badge.unsupported { background: #cf222e; color: #fff; }
.badge.ignored, .badge.excluded { background: #6e7781; color: #fff; }
a { color: #0969da; }
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>\n<body>\n${body}\n</body></html>\n`;
}

/** The summary line the build and the CLI print, without its `autotrace: ` prefix: the same words everywhere. */
function summaryText(report: Pick<Report, 'summary'>): string {
  return summaryLine(report.summary, undefined).replace(/^autotrace: /, '');
}

/** The page of one source file, relative to the report's folder. */
export function filePagePath(file: string): string {
  return `files/${file.replace(/\.\.\//g, '__/')}.html`;
}

export function writeHtmlReport(report: Report, outDir: string, projectRoot: string): string {
  const files = sitesByFile(report);
  const rows = [...files].map(([file, sites]) => {
    const { coverage, instrumented, unsupported, ignored, excluded } = summarise(sites);
    return (
      `<tr data-file="${escapeHtml(file)}"><td><a href="${escapeHtml(filePagePath(file))}">${escapeHtml(file)}</a></td>` +
      `<td><div class="bar" title="${formatCoverage(coverage)}"><span style="width:${coverage ?? 0}%"></span></div></td>` +
      `<td class="num coverage">${formatCoverage(coverage)}</td><td class="num">${instrumented}</td><td class="num">${unsupported}</td>` +
      `<td class="num">${ignored + excluded}</td><td class="num">${sites.length}</td></tr>`
    );
  });
  const runtime = (report.runtime ?? []).map(
    (entry) => `<tr><td>${escapeHtml(describeRuntimeEntry(entry))}</td><td class="num">${entry.count}</td></tr>`,
  );
  const runtimeTable =
    runtime.length > 0
      ? `\n<h2>Traced at run time, outside the build</h2><p class="summary">No site in the build traces this traffic: each kind counts as a gap.</p>\n` +
        `<table id="runtime"><thead><tr><th>traffic</th><th>seen</th></tr></thead>\n<tbody>\n${runtime.join('\n')}\n</tbody></table>`
      : '';
  const index = page(
    'autotrace coverage',
    `<h1>autotrace coverage</h1><p class="summary">${escapeHtml(summaryText(report))}</p>\n` +
      `<table id="files"><thead><tr><th>file</th><th>coverage</th><th></th><th>traced</th><th>black boxes</th><th>opted out</th><th>sites</th></tr></thead>\n` +
      `<tbody>\n${rows.join('\n')}\n</tbody></table>${runtimeTable}`,
  );
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'index.html'), index);
  for (const [file, sites] of files) {
    const path = join(outDir, filePagePath(file));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, filePage(file, sites, projectRoot, filePagePath(file)));
  }
  return join(outDir, 'index.html');
}

function filePage(file: string, sites: readonly SiteRecord[], projectRoot: string, pagePath: string): string {
  let source: string[];
  try {
    source = readFileSync(join(projectRoot, file), 'utf8').split(/\r?\n/);
  } catch {
    source = [];
  }
  const byLine = new Map<number, SiteRecord[]>();
  for (const site of sites) byLine.set(site.line, [...(byLine.get(site.line) ?? []), site]);
  const worst = (list: readonly SiteRecord[]) =>
    (['unsupported', 'instrumented', 'ignored', 'excluded'] as const).find((status) => list.some((s) => s.status === status))!;
  const lines = source.map((text, i) => {
    const here = byLine.get(i + 1);
    const notes = (here ?? [])
      .map((site) => `<div class="site" data-status="${site.status}"><span class="badge ${site.status}">${STATUS_LABELS[site.status]}</span>${escapeHtml(`${describeSite(site)} (column ${site.column})`)}${site.reason ? ` — <span class="reason">${escapeHtml(site.reason)}</span>` : ''}</div>`)
      .join('');
    const cls = here ? ` class="${worst(here)}"` : '';
    return `<tr id="L${i + 1}"${cls}><td class="ln">${i + 1}</td><td class="code">${escapeHtml(text)}</td><td class="note">${notes}</td></tr>`;
  });
  const up = '../'.repeat(pagePath.split('/').length - 1);
  return page(
    `${file}: autotrace coverage`,
    `<p><a href="${up}index.html">all files</a></p><h1>${escapeHtml(file)}</h1><p class="summary">${escapeHtml(summaryText({ summary: summarise(sites) }))}</p>\n` +
      `<table class="source"><tbody>\n${lines.join('\n')}\n</tbody></table>`,
  );
}
