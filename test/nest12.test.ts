import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { echoServer } from './helpers/http';
import { EXPECTED_ROUTE_SITES, expectNestRequestsTraced, startNestService, stopNestServices } from './helpers/nest-service';
import { fixturesDir, repoRoot } from './helpers/paths';

// fixtures/nest's service built against Nest 12, which lives in its own npm project (compat/nest12) because the repo
// installs Nest 11. Nest 12 is published as ES modules only; the build's CommonJS output loads it with `require`.
// The sources are copied into compat/nest12/build/src so that every import (types at build time, modules at run
// time) resolves from that project; compat/nest12/tsconfig.json extends the fixture's, the plugin included.

const compat = join(repoRoot, 'compat', 'nest12');
const temp = mkdtempSync(join(tmpdir(), 'autotrace-nest12-'));
const spansPreload = join(repoRoot, 'test/helpers/spans-to-file.cjs');
let build: Awaited<ReturnType<typeof tspcBuild>>;
let downstream: Awaited<ReturnType<typeof echoServer>>;

beforeAll(async () => {
  expect(existsSync(join(compat, 'node_modules', '@nestjs', 'core')), 'run: npm ci --prefix compat/nest12').toBe(true);
  downstream = await echoServer();
  rmSync(join(compat, 'build'), { recursive: true, force: true });
  rmSync(join(compat, 'autotrace-report.json'), { force: true });
  cpSync(join(fixturesDir, 'nest', 'src'), join(compat, 'build', 'src'), { recursive: true });
  build = await tspcBuild(compat);
}, 300_000);

afterAll(async () => {
  stopNestServices();
  await downstream?.close();
});

describe('a NestJS 12 service built with the plugin', () => {
  it('builds against Nest 12, and its report lists the controller routes with their templates and the client calls', () => {
    const fromOutput = createRequire(join(compat, 'build', 'dist', 'main.js'));
    const core = fromOutput.resolve('@nestjs/core');
    expect(core.startsWith(join(compat, 'node_modules'))).toBe(true);
    expect(JSON.parse(readFileSync(join(compat, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8'))).toMatchObject({ version: expect.stringMatching(/^12\./), type: 'module' });

    expect(build.stderr + build.stdout).toContain('coverage 100%');
    expect(build.code).toBe(0);
    const report = JSON.parse(readFileSync(join(compat, 'autotrace-report.json'), 'utf8')) as {
      summary: { coverage: number; unsupported: number };
      sites: { kind: string; framework?: string; client?: string; method?: string; route?: string; urlTemplate?: string; file: string; line: number }[];
    };
    expect(report.summary).toMatchObject({ coverage: 100, unsupported: 0 });
    const routes = report.sites.filter((site) => site.kind === 'route' && site.framework === 'nest').map((site) => [site.method, site.route, `${site.file}:${site.line}`]);
    expect(routes).toEqual(EXPECTED_ROUTE_SITES.map(([method, route, at]) => [method, route, `build/src/${at}`]));
    expect(report.sites.filter((site) => site.kind === 'client').map((site) => [site.client, site.urlTemplate])).toEqual([
      ['fetch', '/owners/{id}'],
      ['@nestjs/axios', '/friends/{id}'],
    ]);
  });

  for (const [adapter, entry] of [
    ['Express', 'build/dist/main.js'],
    ['Fastify', 'build/dist/main-fastify.js'],
  ] as const) {
    it(`on ${adapter}: one SERVER span per request, named by the full route template, clients as its children`, async () => {
      const spansFile = join(temp, `${adapter}.jsonl`);
      const { base } = await startNestService(compat, entry, ['-r', spansPreload], { SPANS_FILE: spansFile, DOWNSTREAM_URL: downstream.url }, 60_000);
      await expectNestRequestsTraced(base, spansFile, downstream);
    }, 120_000);
  }
});
