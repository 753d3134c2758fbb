import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// `npm run demo` as a new user runs it (its build included), then its HTML waterfall in a real browser.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the demo', () => {
  it('builds, exports over OTLP through autotrace/otel, prints three waterfalls and writes them as a page', async () => {
    const started = Date.now();
    const demo = await run(process.execPath, [join(repoRoot, 'fixtures', 'e2e', 'demo.mjs')], repoRoot);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(demo.stdout).toContain('autotrace: 16 sites: 16 traced, 0 black boxes, coverage 100%');
    expect(demo.stdout).toContain('• 23 spans in 3 traces arrived over OTLP');
    expect(demo.stdout).toMatch(/stock +SERVER GET \/stock\/:sku +\|[ █]+\| +[\d.]+ ms {2}503 ERROR/);
    const page = /the same traces as a page: (.*)$/m.exec(demo.stdout)?.[1];
    expect(page && existsSync(join(repoRoot, page))).toBe(true);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(join(repoRoot, page!)).href);
      expect(await tab.$$eval('section.trace', (sections) => sections.map((s) => s.querySelectorAll('tr.span').length))).toEqual([9, 9, 5]);
      const failing = await tab.$$eval('tr.span.error td.service', (cells) => cells.map((cell) => cell.textContent));
      expect(failing).toEqual(['gateway', 'gateway', 'orders', 'orders', 'stock']);
      const colour = await tab.$eval('tr.span.error .bar', (bar) => getComputedStyle(bar).backgroundColor);
      expect(colour).toBe('rgb(207, 34, 46)');
      mkdirSync(join(repoRoot, '.tmp', 'artifacts'), { recursive: true });
      await tab.screenshot({ path: join(repoRoot, '.tmp', 'artifacts', 'demo-waterfall.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
