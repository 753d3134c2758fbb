import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// The report never says 100% when it is not: compiles of one file at a time add up to one report (and one summary
// line per process), a project with no site reads "n/a" and fails every gate, imports of untraced packages are black
// boxes, traffic seen only at run time counts as gaps, and a report that cannot be written never fails the build.

interface Site {
  file: string;
  line: number;
  kind: string;
  framework?: string;
  client?: string;
  route?: string;
  status: string;
  reason?: string;
  recogniser?: string;
}
interface Report {
  summary: { files: number; sites: number; instrumented: number; unsupported: number; runtime?: number; coverage: number | null };
  sites: Site[];
  files: string[];
  runtime?: { kind: string; source?: string; method: string; host?: string; route?: string; count: number }[];
}

const cli = join(repoRoot, 'dist', 'transformer', 'cli', 'main.js');
const work = join(repoRoot, '.tmp', 'report-honesty');

/** A fresh copy of fixtures/report (or one of its projects), with autotrace linked in as after `npm install`. */
function copyFixture(name: string, from = ''): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(fixturesDir, 'report', from), dir, { recursive: true, filter: (src) => !/node_modules|[\\/]out$|autotrace-report\.json$/.test(src) });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  return dir;
}
const link = async (dir: string) => (await tspcBuild(dir, 'tsconfig.json', undefined, ['--version'])).code;

const readReport = (dir: string, name = 'autotrace-report.json') => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Report;
const autotrace = (dir: string, ...args: string[]) => run(process.execPath, [cli, ...args], dir);
const compileEach = (dir: string, ...files: string[]) => run(process.execPath, ['compile-each.cjs', ...files], dir);
const summaries = (stderr: string) => stderr.split('\n').filter((line) => /^autotrace: (\d+ sites?|no HTTP site)/.test(line));

describe('compiles of one file at a time (transpileModule: ts-jest, ts-node, ts-patch)', () => {
  it('merge into one report by file, with one summary line per process, even from parallel workers', async () => {
    const dir = copyFixture('per-file');
    expect(await link(dir)).toBe(0);
    const first = await compileEach(dir, 'src/app.ts', 'src/fastify-routes.ts', 'src/untyped.ts');
    expect(first.code).toBe(0);
    expect(summaries(first.stderr)).toEqual(['autotrace: 17 sites: 13 traced, 1 opted out, 3 black boxes, coverage 81.2% (see autotrace-report.json)']);
    const second = await compileEach(dir, 'src/other-clients.ts', 'src/ignored.ts', 'src/legacy/old-client.ts');
    // The second process's summary is the merged report's, not its own three files'.
    expect(summaries(second.stderr)).toEqual(['autotrace: 23 sites: 13 traced, 3 opted out, 7 black boxes, coverage 65% (see autotrace-report.json)']);
    const merged = readReport(dir);
    expect(merged.files).toEqual(['src/app.ts', 'src/fastify-routes.ts', 'src/ignored.ts', 'src/legacy/old-client.ts', 'src/other-clients.ts', 'src/untyped.ts']);

    // Compiling a file again replaces its records only.
    writeFileSync(join(dir, 'src', 'ignored.ts'), 'export const ready = () => fetch("http://127.0.0.1:15000/ready");\n');
    await compileEach(dir, 'src/ignored.ts');
    const again = readReport(dir);
    expect(again.summary).toMatchObject({ files: 6, sites: 23, instrumented: 14 });

    // Eight writers at once (as jest workers are), 25 merges each of a file of their own: no file lost, no torn read.
    rmSync(join(dir, 'autotrace-report.json'));
    const writer = `
      const { mergeIntoReport } = require(${JSON.stringify(join(repoRoot, 'dist', 'transformer', 'report-file.js'))});
      const worker = process.argv[1];
      for (let i = 0; i < 25; i++) {
        const file = 'src/worker-' + worker + '-' + i + '.ts';
        require('node:fs').writeFileSync(file, '');
        mergeIntoReport('autotrace-report.json', { files: [file], records: [{ file, line: 1, column: 1, kind: 'client', client: 'fetch', status: 'instrumented' }] }, '.');
      }`;
    const workers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => run(process.execPath, ['-e', writer, String(n)], dir)));
    expect(workers.map((w) => w.code + w.stderr)).toEqual(workers.map(() => '0'));
    expect(readReport(dir).summary).toMatchObject({ files: 200, sites: 200 });
    expect(existsSync(join(dir, 'autotrace-report.json.lock'))).toBe(false);
  }, 120_000);

  it('a whole-program build still writes the whole report, dropping files no longer in the program', async () => {
    const dir = copyFixture('whole');
    expect((await tspcBuild(dir)).code).toBe(0);
    expect(readReport(dir).files).toContain('src/ignored.ts');
    rmSync(join(dir, 'src', 'ignored.ts'));
    const rebuilt = await tspcBuild(dir);
    expect(rebuilt.code).toBe(0);
    expect(summaries(rebuilt.stderr)).toHaveLength(1);
    expect(readReport(dir).files).not.toContain('src/ignored.ts');
    expect(readReport(dir).summary).toMatchObject({ files: 5, sites: 26 });
  }, 120_000);
});

describe('a project with no HTTP site', () => {
  it('says so everywhere, and passes no gate', async () => {
    const dir = copyFixture('no-sites', 'no-sites');
    const build = await tspcBuild(dir);
    expect(build.code).toBe(0);
    expect(build.stderr).toBe('autotrace: no HTTP site recognised in 2 files, coverage n/a (see autotrace-report.json)\n');
    expect(readReport(dir).summary).toMatchObject({ files: 2, sites: 0, coverage: null });

    const table = await autotrace(dir, 'report');
    expect(table.stdout).toContain('no HTTP site recognised in 2 files');
    expect(table.stdout).not.toContain('100%');
    const gated = await autotrace(dir, 'report', '--min', '80');
    expect(gated.code).toBe(1);
    expect(gated.stderr).toContain('autotrace: coverage n/a is below --min 80%: no HTTP site recognised in 2 files');
    expect((await autotrace(dir, 'report', '--min', '0')).code).toBe(0);

    const check = await autotrace(dir, 'check');
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('no HTTP site recognised in 2 files: nothing in this build is traced');

    const html = await autotrace(dir, 'report', '--html', 'html');
    expect(html.code).toBe(0);
    expect(readFileSync(join(dir, 'html', 'index.html'), 'utf8')).toContain('no HTTP site recognised in 2 files, coverage n/a');

    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    config.compilerOptions.plugins[0].minCoverage = 80;
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    const failed = await tspcBuild(dir);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).toContain('autotrace: coverage n/a is below minCoverage 80%: no HTTP site recognised in 2 files');
  }, 120_000);
});

describe('imports of frameworks and clients autotrace does not trace yet', () => {
  it('are black boxes naming the package, one per import declaration, counted by --min and check', async () => {
    const dir = copyFixture('untraced', 'untraced');
    const build = await tspcBuild(dir);
    expect(build.code).toBe(0);
    const report = readReport(dir);
    const boxes = report.sites.filter((s) => s.status === 'unsupported').map((s) => `${s.file}:${s.line} ${s.framework ?? s.client}`);
    expect(boxes).toEqual([
      'src/calls.ts:2 kafkajs', // `import kafka = require('kafkajs')`
      'src/calls.ts:5 got', // the call; its import adds no second black box
      // Nest (declared loosely here) is traced by its imports: its app and its controller's route are sites, and no
      // import of it is a black box (the type-only import on line 3 brings nothing in either).
      'src/main.ts:4 kafkajs',
      'src/main.ts:5 got',
    ]);
    expect(report.sites.filter((s) => s.framework === 'nest').map((s) => `${s.kind} ${s.route ?? ''} ${s.recogniser}`)).toEqual(['route /users/:id imports', 'app  imports']);
    expect(report.sites.find((s) => s.client === 'kafkajs' && s.file === 'src/main.ts')!.reason).toBe(
      'kafkajs is not traced yet: Kafka is not HTTP: produced and consumed messages get no spans and carry no trace context',
    );
    expect(build.stderr).toContain('autotrace: src/main.ts:4:1: left untouched: kafkajs is not traced yet');
    expect(report.summary).toMatchObject({ sites: 8, instrumented: 4, unsupported: 4, coverage: 50 });
    expect((await autotrace(dir, 'report', '--min', '80')).code).toBe(1);
    const check = await autotrace(dir, 'check', '--min', '80');
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('src/main.ts:4:1 kafkajs is not traced yet');
    expect((await autotrace(dir, 'check')).stdout).toContain('; 4 black boxes, coverage 50%');
  }, 120_000);
});

describe('autotrace report --runtime', () => {
  const record = (entries: unknown[]) => JSON.stringify({ tool: 'autotrace', runtimeRecord: 1, entries });

  it('merges run-time records into the table, JSON, HTML and SARIF, counted as gaps', async () => {
    const dir = copyFixture('runtime', 'untraced');
    expect((await tspcBuild(dir)).code).toBe(0);
    writeFileSync(join(dir, 'a.json'), record([
      { kind: 'server', source: '@nestjs/core', method: 'GET', route: '/users/:id', count: 3 },
      { kind: 'client', source: 'got', method: 'GET', host: 'users.internal', count: 1 },
    ]));
    writeFileSync(join(dir, 'b.json'), record([{ kind: 'server', source: '@nestjs/core', method: 'GET', route: '/users/:id', count: 4 }]));
    const json = await autotrace(dir, 'report', '--json', '--runtime', 'a.json', 'b.json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.runtime).toEqual([
      { kind: 'client', source: 'got', method: 'GET', host: 'users.internal', count: 1 },
      { kind: 'server', source: '@nestjs/core', method: 'GET', route: '/users/:id', count: 7 },
    ]);
    // 4 traced against 4 black boxes and 2 kinds of traffic seen only at run time.
    expect(report.summary).toMatchObject({ runtime: 2, coverage: 40 });

    const table = await autotrace(dir, 'report', '--runtime', 'a.json', '--runtime', 'b.json', '--html', 'html', '--sarif', 'out.sarif', '--min', '41');
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('traced at run time, outside the build');
    expect(table.stdout).toMatch(/server GET \/users\/:id \(@nestjs\/core\) +7 times/);
    expect(table.stdout).toContain('autotrace: 8 sites: 4 traced, 4 black boxes, 2 traced at run time only, coverage 40%');
    expect(table.stderr).toContain('  server GET /users/:id (@nestjs/core): traced at run time, outside the build');
    expect(readFileSync(join(dir, 'html', 'index.html'), 'utf8')).toContain('server GET /users/:id (@nestjs/core)');
    const sarif = JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8'));
    const runtimeResults = sarif.runs[0].results.filter((r: { ruleId: string }) => r.ruleId === 'autotrace/traced-at-run-time-only');
    expect(runtimeResults).toHaveLength(2);

    const check = await autotrace(dir, 'check', '--runtime', 'a.json', 'b.json');
    expect(check.stdout).toContain('4 black boxes, 2 traced at run time only, coverage 40%');
  }, 120_000);

  it('a malformed record is one clear error naming the file, exit 2', async () => {
    const dir = join(work, 'runtime');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ tool: 'autotrace', runtimeRecord: 1, entries: [{ kind: 'server', method: 'GET', count: 'many' }] }));
    writeFileSync(join(dir, 'broken.json'), '{ "tool": "autotrace", ');
    for (const file of ['bad.json', 'broken.json', 'missing.json']) {
      const result = await autotrace(dir, 'report', '--runtime', file);
      expect(result.code, file).toBe(2);
      expect(result.stderr.trim().split('\n'), file).toHaveLength(1);
      expect(result.stderr, file).toMatch(new RegExp(`^autotrace: ${file.replace('.', '\\.')} is not a run-time record`));
    }
  });
});

describe('a report that cannot be written', () => {
  const setReport = (dir: string, report: string) => {
    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    config.compilerOptions.plugins[0].report = report;
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
  };

  it('is one warning naming the path and the reason; the JavaScript is emitted as always', async () => {
    const dir = copyFixture('unwritable', 'no-sites');
    setReport(dir, 'src');
    const folder = await tspcBuild(dir);
    expect(folder.code).toBe(0);
    expect(folder.stderr).toContain('autotrace: cannot write the report src: it is a folder (the build goes on without it)\n');
    expect(folder.stderr).not.toMatch(/\n\s+at /);
    // The summary does not send anyone to the report that was not written.
    expect(folder.stdout + folder.stderr).not.toContain('(see src)');
    expect(existsSync(join(dir, 'out', 'math.js'))).toBe(true);

    // A read-only place: a folder without write permission, or (as root, who may write anywhere) /sys.
    rmSync(join(dir, 'out'), { recursive: true });
    const readOnly = process.getuid?.() === 0 ? '/sys/autotrace-report.json' : join(dir, 'locked', 'autotrace-report.json');
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, 'locked'));
      chmodSync(join(dir, 'locked'), 0o555);
    }
    setReport(dir, readOnly);
    const locked = await tspcBuild(dir);
    expect(locked.code).toBe(0);
    expect(locked.stderr).toMatch(/autotrace: cannot write the report \S+autotrace-report\.json: permission denied \(the build goes on without it\)\n/);
    expect(locked.stderr.match(/cannot write/g)).toHaveLength(1);
    expect(existsSync(join(dir, 'out', 'words.js'))).toBe(true);
  }, 120_000);
});

describe('the load-time hook (node --import autotrace/register)', () => {
  it('writes the report merged by file, and prints its summary once, at exit', async () => {
    const dir = join(work, 'load-time');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    await tspcBuild(dir, 'tsconfig.json', undefined, ['--version']);
    writeFileSync(join(dir, 'routes.cjs'), "const express = require('express');\nconst app = express();\napp.get('/a', (_req, res) => res.send('a'));\nmodule.exports = app;\n");
    writeFileSync(join(dir, 'main.mjs'), "import app from './routes.cjs';\nimport express from 'express';\nconst other = express();\nother.get('/b', (_req, res) => res.send('b'));\nconsole.log(typeof app);\n");
    writeFileSync(join(dir, 'other.cjs'), "try { require('kafkajs'); } catch {}\nconsole.log('other');\n");
    const main = await run(process.execPath, ['--import', 'autotrace/register', 'main.mjs'], dir);
    expect(main.code).toBe(0);
    expect(main.stderr).toBe('autotrace: 4 sites: 4 traced, 0 black boxes, coverage 100% (see autotrace-report.json)\n');
    expect(readReport(dir).files).toEqual(['main.mjs', 'routes.cjs']);
    const other = await run(process.execPath, ['--import', 'autotrace/register', 'other.cjs'], dir);
    expect(other.stderr).toBe('autotrace: 5 sites: 4 traced, 1 black box, coverage 80% (see autotrace-report.json)\n');
    expect(readReport(dir).sites.find((s) => s.file === 'other.cjs')).toMatchObject({ client: 'kafkajs', status: 'unsupported' });
  }, 60_000);
});

describe('autotrace report, smaller things', () => {
  it('names files with syntax errors and exits 1; says "autotrace:" once; the HTML says "opted out" as the CLI does', async () => {
    const dir = copyFixture('smaller');
    await link(dir);
    writeFileSync(join(dir, 'src', 'broken.ts'), "import express from 'express';\nconst app = express(;\n");
    const broken = await autotrace(dir, 'report');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("autotrace: src/broken.ts:2:21: ')' expected. (syntax error: this file's sites may be missing from the report)");
    rmSync(join(dir, 'src', 'broken.ts'));

    const html = await autotrace(dir, 'report', '--html', 'html');
    expect(html.code).toBe(0);
    const index = readFileSync(join(dir, 'html', 'index.html'), 'utf8');
    expect(index).toContain('27 sites: 13 traced, 3 opted out, 11 black boxes, coverage 54.1%');
    expect(index).not.toMatch(/\d+ ignored/);
    expect(readFileSync(join(dir, 'html', 'files', 'src', 'ignored.ts.html'), 'utf8')).toContain('>opted out</span>');

    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    config.compilerOptions.plugins[0].quiet = 'yes';
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    const bad = await autotrace(dir, 'report');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^autotrace: invalid plugin option "quiet"/);
    expect(bad.stderr).not.toContain('autotrace: autotrace:');
  }, 60_000);
});
