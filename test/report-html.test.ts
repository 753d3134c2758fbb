import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// `autotrace report --html` opened as a person would: in a real browser (Debian's chromium, headless). The
// screenshots are kept in .tmp/artifacts/ for a look.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = join(repoRoot, '.tmp', 'artifacts');
const out = join(repoRoot, '.tmp', 'report-html');
let browser: Browser;

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const result = await run(process.execPath, [join(repoRoot, 'dist', 'transformer', 'cli', 'main.js'), 'report', '--html', out], join(fixturesDir, 'report'));
  expect(result.code).toBe(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}, 120_000);
afterAll(() => browser?.close());

describe('the HTML report in a browser', () => {
  it('lists every file with its coverage on the index', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(out, 'index.html')).href);
    const rows = await page.$$eval('#files tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-file'), tr.querySelector('.coverage')?.textContent, (tr.querySelector('.bar > span') as HTMLElement | null)?.style.width]),
    );
    expect(rows).toEqual([
      ['src/app.ts', '70%', '70%'],
      ['src/fastify-routes.ts', '66.6%', '66.6%'],
      ['src/ignored.ts', 'n/a', '0%'], // only opted-out sites: nothing to trace, never 100%
      ['src/legacy/old-client.ts', 'n/a', '0%'],
      ['src/other-clients.ts', '0%', '0%'],
      ['src/untyped.ts', '80%', '80%'],
    ]);
    expect(await page.textContent('.summary')).toContain('27 sites: 13 traced, 3 opted out, 11 black boxes, coverage 54.1%'); // as the CLI says it
    await page.screenshot({ path: join(artifacts, 'report-index.png'), fullPage: true });
  });

  it('shows a file\'s source with each site marked by status and its reason beside it', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(out, 'index.html')).href);
    await page.click('a[href="files/src/app.ts.html"]');
    expect(await page.textContent('h1')).toBe('src/app.ts');
    const marked = await page.$$eval('tr[class]', (trs) => trs.map((tr) => `${tr.id} ${tr.className}`));
    expect(marked).toEqual(['L6 instrumented', 'L9 instrumented', 'L10 instrumented', 'L11 instrumented', 'L14 instrumented', 'L15 instrumented', 'L20 ignored', 'L23 unsupported', 'L30 instrumented', 'L34 unsupported', 'L35 unsupported']);
    expect(await page.textContent('#L23 .code')).toContain("app[method]('/orders/:id'");
    expect(await page.textContent('#L23 .reason')).toContain('the method is chosen at run time');
    expect(await page.textContent('#L20 .site')).toContain('its statement opts out with // @autotrace-ignore');
    expect(await page.textContent('#L20 .badge')).toBe('opted out');
    const colours = await page.$$eval('#L23 td.code, #L10 td.code', (cells) => cells.map((cell) => getComputedStyle(cell).backgroundColor));
    expect(colours[0]).not.toBe(colours[1]); // a black box does not look like a traced site
    await page.screenshot({ path: join(artifacts, 'report-file.png'), fullPage: true });
  });
});
