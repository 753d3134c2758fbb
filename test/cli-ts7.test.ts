import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autotrace, cli, newProject, runTraced, SERVICE, SERVICE_SPANS } from './helpers/cli-project';
import { repoRoot } from './helpers/paths';

// A new user on TypeScript 7 (npm's default `typescript`), whose tsc runs no plugins and under which ts-patch's tspc
// fails: init says exactly what to do, and doing it as printed gives a traced build; check and report say what they
// know in one message, and report analyses with the typescript5 alias the README has them install.
// compat/ts7 (installed by `npm run compat:install`) has typescript 7 and the alias; projects under compat/ts7/work
// resolve `typescript` to TypeScript 7.

const ts7 = join(repoRoot, 'compat', 'ts7');

describe('autotrace with TypeScript 7 installed', () => {
  it('init names the next step; followed as printed, it gives a build that runs traced', async () => {
    expect(existsSync(join(ts7, 'node_modules', 'typescript5')), 'run: npm ci --prefix compat/ts7').toBe(true);
    const dir = newProject('cli-init', { 'package.json': '{ "name": "svc" }\n', 'src/server.ts': SERVICE }, join(ts7, 'work'));
    const init = await autotrace(dir, 'init');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('autotrace: wrote tsconfig.json (src/ → dist/, CommonJS) with the plugin.');
    const next = /TypeScript 7\.0\.2 is installed here: its tsc runs no plugins, and ts-patch's tspc fails on it\. Next, either build with TypeScript 5\.9: npm install -D typescript@~5\.9 ts-patch@~3\.3, then npx tspc; or keep TypeScript 7 and trace what it emits: (.*)\.\n$/.exec(init.stdout);
    expect(next, init.stdout).not.toBeNull();
    expect(next![1]).toBe('npx tsc && npx autotrace instrument dist -p tsconfig.json');

    // Before a build: check knows why it cannot check, and says it in one message.
    const early = await autotrace(dir, 'check');
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/^autotrace: TypeScript 7\.0\.2 \(.*\) has no compiler API and runs no transformer plugins/);
    expect(early.stderr).toContain(`No autotrace-report.json to check against either.`);
    expect(early.stderr).not.toMatch(/Error:|\n\s+at /);

    // The printed commands, with npx's lookups spelled out: TypeScript 7's tsc, and this autotrace.
    const command = next![1]!.replace('npx tsc', join(ts7, 'node_modules', '.bin', 'tsc')).replace('npx autotrace', `${process.execPath} ${cli}`);
    const built = spawnSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8' });
    expect(built.status, built.stdout + built.stderr).toBe(0);
    expect(built.stderr).toContain('autotrace: 3 sites: 3 traced, 0 black boxes, coverage 100% (1 file instrumented in dist)');
    const traced = runTraced(dir, 'dist/server.js');
    expect(traced.spans).toEqual(SERVICE_SPANS);
    expect(traced.traces).toBe(1);

    const check = await autotrace(dir, 'check');
    expect(check.stdout).toBe('autotrace check: 1 file with 3 traced sites, all emitted traced (TypeScript 7.0.2); 0 black boxes, coverage 100%\n');
    expect(check.code).toBe(0);
  }, 120_000);

  it('report analyses with the typescript5 alias installed beside it, and says so', async () => {
    const dir = newProject('cli-report', {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', types: ['node'], outDir: 'dist', plugins: [{ transform: 'autotrace/transformer' }] }, include: ['src'] }),
      'src/server.ts': SERVICE,
    }, join(ts7, 'work'));
    const report = await autotrace(dir, 'report');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('autotrace: 3 sites: 3 traced, 0 black boxes, coverage 100% (TypeScript 5.9.3, beside TypeScript 7.0.2)');
    expect(report.stderr).toContain('autotrace: analysed with TypeScript 5.9.3, installed beside TypeScript 7.0.2, whose tsc runs no plugins: trace its output with `autotrace instrument <outDir>`.');
  }, 120_000);
});
