import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// The coverage report: written by every build through the plugin, reproduced by `autotrace report` without building,
// and held against the emitted code by `autotrace check`. fixtures/report holds a site of every status and reason.

interface Site {
  file: string;
  line: number;
  column: number;
  kind: string;
  framework?: string;
  client?: string;
  method?: string;
  route?: string;
  urlTemplate?: string;
  status: string;
  reason?: string;
  recogniser?: string;
}
interface Report {
  summary: Record<string, number | null>;
  sites: Site[];
}

const cli = join(repoRoot, 'dist', 'transformer', 'cli', 'main.js');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * A fresh copy of the fixture inside the repo (so its packages resolve from the repo's node_modules): under .tmp/,
 * or under `under` (compat/ts7/work, where `typescript` resolves to TypeScript 7 first).
 */
function copyFixture(name: string, under = join(repoRoot, '.tmp', 'report')): string {
  const dir = join(under, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(fixturesDir, 'report'), dir, { recursive: true, filter: (src) => !/node_modules|[\\/]out$|autotrace-report\.json$/.test(src) });
  return dir;
}

const readReport = (dir: string, name = 'autotrace-report.json') => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Report;
const autotrace = (dir: string, ...args: string[]) => run(process.execPath, [cli, ...args], dir);

let project = '';
let built: Awaited<ReturnType<typeof tspcBuild>>;

beforeAll(async () => {
  project = copyFixture('main');
  built = await tspcBuild(project);
}, 300_000);

describe('the report a build writes', () => {
  it('lists every site with its status and a reason for each that is not instrumented', () => {
    expect(built.code).toBe(0);
    const report = readReport(project);
    expect(report.summary).toEqual({ files: 6, sites: 27, instrumented: 13, ignored: 2, excluded: 1, unsupported: 11, coverage: 54.1 });
    // The reason's first part names the shape; the rest (after `: `) says why and what to do.
    const row = (s: Site) => `${s.file}:${s.line} ${s.kind} ${s.framework ?? s.client} ${s.status}${s.reason ? `: ${s.reason.split(': ')[0]}` : ''}`;
    expect(report.sites.map(row)).toEqual([
      'src/app.ts:6 app express instrumented',
      'src/app.ts:9 middleware express instrumented',
      'src/app.ts:10 route express instrumented',
      'src/app.ts:11 client fetch instrumented',
      'src/app.ts:14 route express instrumented',
      'src/app.ts:15 client axios instrumented',
      'src/app.ts:20 route express ignored: its statement opts out with // @autotrace-ignore',
      'src/app.ts:23 route express unsupported: dynamic registration app[…](…)',
      'src/app.ts:30 client node:http instrumented',
      'src/app.ts:34 client fetch unsupported: optional call globalThis.fetch?.(…)',
      'src/app.ts:35 client fetch unsupported: fetch passed as a value',
      'src/fastify-routes.ts:3 app fastify instrumented',
      'src/fastify-routes.ts:4 route fastify instrumented',
      'src/fastify-routes.ts:6 route fastify unsupported: server.route(options) with options that are not an object literal',
      'src/ignored.ts:3 client fetch ignored: its file opts out with // @autotrace-ignore-file',
      'src/legacy/old-client.ts:1 client fetch excluded: its file matches the exclude option',
      'src/other-clients.ts:7 client got unsupported: got(…)',
      'src/other-clients.ts:8 client superagent unsupported: superagent.get(…)',
      'src/other-clients.ts:9 client http2 unsupported: http2.connect(…)',
      'src/other-clients.ts:10 client http2 unsupported: http2 session.request(…)',
      'src/other-clients.ts:11 client undici Dispatcher unsupported: new Pool(…)',
      'src/other-clients.ts:12 client undici Dispatcher unsupported: undici Dispatcher pool.request(…)',
      'src/untyped.ts:5 app express instrumented',
      'src/untyped.ts:6 route express instrumented',
      'src/untyped.ts:9 client axios instrumented',
      'src/untyped.ts:15 app express instrumented',
      'src/untyped.ts:16 route express unsupported: server.get(…) on a value typed any (it comes from expressUntyped())',
    ]);
    expect(report.sites.filter((s) => s.recogniser === 'imports').map((s) => `${s.file}:${s.line}`)).toEqual([
      'src/untyped.ts:5',
      'src/untyped.ts:6',
      'src/untyped.ts:9',
      'src/untyped.ts:15',
    ]);
    const users = report.sites.find((s) => s.route === '/users/:id')!;
    expect(users).toMatchObject({ method: 'GET', column: 1 });
    expect(report.sites.find((s) => s.urlTemplate)).toMatchObject({ line: 11, urlTemplate: '/users/{id}' });
  });

  it('matches what was really instrumented, file by file', () => {
    const report = readReport(project);
    for (const name of readdirSync(join(project, 'out')).filter((f) => f.endsWith('.js'))) {
      const source = `src/${name.replace(/\.js$/, '.ts')}`;
      const traced = report.sites.filter((s) => s.file === source && s.status === 'instrumented').length;
      const calls = readFileSync(join(project, 'out', name), 'utf8').match(/__autotrace\.\w+\(/g)?.length ?? 0;
      if (traced === 0) expect(calls, name).toBe(0);
      else expect(calls, name).toBeGreaterThanOrEqual(traced);
    }
  });

  it('says it in one summary line, after the black boxes, and is the same on every build', async () => {
    expect(built.stderr.trim().split('\n').pop()).toBe(
      'autotrace: 27 sites: 13 traced, 3 opted out, 11 black boxes, coverage 54.1% (see autotrace-report.json)',
    );
    expect(built.stderr).toContain('autotrace: src/other-clients.ts:7:9: left untouched: got(…)');
    const first = readFileSync(join(project, 'autotrace-report.json'), 'utf8');
    expect((await tspcBuild(project)).code).toBe(0);
    expect(readFileSync(join(project, 'autotrace-report.json'), 'utf8')).toBe(first);
  });

  it('honours report, quiet and minCoverage', async () => {
    const dir = copyFixture('options');
    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    const plugin = config.compilerOptions.plugins[0];
    Object.assign(plugin, { report: 'reports/coverage.json', quiet: true });
    writeFileSync(join(dir, 'tsconfig.quiet.json'), JSON.stringify(config));
    Object.assign(plugin, { report: false, quiet: false, minCoverage: 90 });
    writeFileSync(join(dir, 'tsconfig.gate.json'), JSON.stringify({ ...config, compilerOptions: { ...config.compilerOptions, outDir: 'out-gate' } }));

    const quiet = await tspcBuild(dir, 'tsconfig.quiet.json');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('coverage');
    expect(readReport(dir, 'reports/coverage.json').summary.sites).toBe(27);
    expect(existsSync(join(dir, 'autotrace-report.json'))).toBe(false);

    const gated = await tspcBuild(dir, 'tsconfig.gate.json');
    expect(gated.code).not.toBe(0);
    const errors = gated.stdout.split('\n').filter((line) => line.includes('error TS990001'));
    expect(errors).toHaveLength(1);
    expect(gated.stdout).toContain('autotrace: coverage 54.1% is below minCoverage 90% (13 traced, 11 gaps):');
    expect(gated.stdout).toContain('src/untyped.ts:16:3 server.get(…) on a value typed any');
    expect(gated.stdout).not.toContain('src/legacy/old-client.ts'); // excluded sites never count against it
  });
});

describe('whole program, whatever is emitted this time', () => {
  it('an incremental rebuild that emits one file still reports every site', async () => {
    const dir = copyFixture('incremental');
    expect((await tspcBuild(dir, 'tsconfig.json', undefined, ['--incremental'])).code).toBe(0);
    writeFileSync(join(dir, 'src', 'fastify-routes.ts'), `${readFileSync(join(dir, 'src', 'fastify-routes.ts'), 'utf8')}\n// touched\n`);
    rmSync(join(dir, 'autotrace-report.json'));
    const rebuilt = await tspcBuild(dir, 'tsconfig.json', undefined, ['--incremental', '--listEmittedFiles']);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout.match(/TSFILE: .*\.js$/gm)).toEqual([expect.stringContaining('fastify-routes.js')]);
    expect(readReport(dir).summary.sites).toBe(27);
  });

  it('a watch build rewrites the whole report after each change', async () => {
    const dir = copyFixture('watch');
    const { spawn } = await import('node:child_process');
    await tspcBuild(dir, 'tsconfig.json', undefined, ['--version']); // links autotrace into the copy
    const child = spawn(process.execPath, [join(repoRoot, 'node_modules', 'ts-patch', 'bin', 'tspc.js'), '-p', 'tsconfig.json', '--watch', '--preserveWatchOutput'], { cwd: dir });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 120_000;
      while ((output.match(/autotrace: \d+ sites/g)?.length ?? 0) < count) {
        if (Date.now() > deadline) throw new Error(`watch build did not report ${count} times:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      await waitFor(1);
      writeFileSync(join(dir, 'src', 'ignored.ts'), 'export const sidecar = () => fetch("http://127.0.0.1:15000/ready");\n');
      await waitFor(2);
      const report = readReport(dir);
      expect(report.summary).toMatchObject({ sites: 27, instrumented: 14, ignored: 1 });
      expect(output.match(/autotrace: \d+ sites.*/g)!.pop()).toContain('27 sites: 14 traced');
    } finally {
      child.kill();
    }
  }, 180_000);
});

describe('autotrace report (the CLI)', () => {
  it('agrees with the build site by site: --json prints the very file the plugin wrote', async () => {
    const result = await autotrace(project, 'report', '--json');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(project, 'autotrace-report.json'), 'utf8'));
  });

  it('prints a table per file, and gates on --min with its exit code', async () => {
    const table = await autotrace(project, 'report', '--min', '54');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('src/app.ts  7/11 traced, coverage 70%');
    expect(table.stdout).toMatch(/23:3 +route express +black box +dynamic registration app\[…\]\(…\)/);
    expect(table.stdout).toContain('autotrace: 27 sites: 13 traced, 3 opted out, 11 black boxes, coverage 54.1% (TypeScript 5.9');
    const below = await autotrace(project, 'report', '--min', '55');
    expect(below.code).toBe(1);
    expect(below.stderr).toContain('coverage 54.1% is below --min 55%');
  });

  it('exits 2 with a message on a missing tsconfig, an unknown command or a bad option', async () => {
    for (const args of [['report', '-p', 'nope.json'], ['reprot'], ['report', '--min', 'lots'], ['report', '--colour']]) {
      const result = await autotrace(project, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^autotrace: /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('writes SARIF 2.1.0 with one warning per black box', async () => {
    const file = join(project, 'autotrace.sarif');
    expect((await autotrace(project, 'report', '--sarif', file)).code).toBe(0);
    const sarif = JSON.parse(readFileSync(file, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(11);
    expect(results[0]).toMatchObject({
      ruleId: 'autotrace/untraced-site',
      level: 'warning',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'src/app.ts' }, region: { startLine: 23, startColumn: 3 } } }],
    });
  });
});

describe('autotrace check', () => {
  it('passes on output built with the plugin', async () => {
    const result = await autotrace(project, 'check');
    expect(result.stdout).toBe('autotrace check: 3 files with 13 traced sites, all emitted traced (TypeScript 5.9.3); 11 black boxes, coverage 54.1%\n');
    expect(result.code).toBe(0);
  });

  it('fails on output built by plain tsc, naming the likely cause', async () => {
    const dir = copyFixture('plain');
    await tspcBuild(dir, 'tsconfig.json', undefined, ['--version']); // links autotrace into the copy
    expect((await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir)).code).toBe(0);
    const result = await autotrace(dir, 'check');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('src/app.ts: 7 traced sites, but out/app.js is untraced');
    expect(result.stderr).toContain('built by a compiler that ran no plugins: TypeScript 7, an unpatched tsc');
  });

  it('fails when nothing was built yet', async () => {
    const dir = copyFixture('unbuilt');
    await tspcBuild(dir, 'tsconfig.json', undefined, ['--version']);
    const result = await autotrace(dir, 'check');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('src/app.ts: no emitted JavaScript at out/app.js: run the build first');
  });
});

describe('with TypeScript 7, whose compiler runs no plugins', () => {
  const ts7 = join(repoRoot, 'compat', 'ts7');

  it('check passes on a traced build and catches an untraced one, naming TypeScript 7; report uses the typescript5 alias', async () => {
    expect(existsSync(join(ts7, 'node_modules', 'typescript')), 'run: npm ci --prefix compat/ts7').toBe(true);
    const dir = copyFixture('report', join(ts7, 'work'));
    expect((await tspcBuild(dir)).code).toBe(0); // TypeScript 5.9 + ts-patch (the repo's): traced, report written
    const traced = await autotrace(dir, 'check');
    expect(traced.stdout).toBe('autotrace check: 3 files with 13 traced sites, all emitted traced (TypeScript 7.0.2); 11 black boxes, coverage 54.1%\n');
    expect(traced.code).toBe(0);

    const native = await run(join(ts7, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir);
    expect(native.stdout + native.stderr).not.toContain('autotrace'); // it never loaded the plugin
    const untraced = await autotrace(dir, 'check');
    expect(untraced.code).toBe(1);
    expect(untraced.stderr).toContain('autotrace check failed (TypeScript 7.0.2)');
    expect(untraced.stderr).toContain('src/app.ts: 7 traced sites, but out/app.js is untraced');
    expect(untraced.stderr).toContain('TypeScript 7.0.2 (');
    expect(untraced.stderr).toContain('has no compiler API and runs no transformer plugins');

    // compat/ts7 has TypeScript 5.9 beside it under the alias typescript5, as the README says: report analyses with it.
    const report = await autotrace(dir, 'report');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('coverage 54.1% (TypeScript 5.9.3, beside TypeScript 7.0.2)');
    expect(report.stderr).toContain('whose tsc runs no plugins: trace its output with `autotrace instrument <outDir>`');
  }, 120_000);
});
