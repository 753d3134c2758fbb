import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { autotrace, newProject, SERVICE } from './helpers/cli-project';
import { repoRoot, requireFromRepo } from './helpers/paths';

// Every command as a new user first types it: --help, -p with a folder (as tsc takes it), and mistakes that the
// command understands, each answered in one line with exit code 2 and no stack trace.

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, types: ['node'], skipLibCheck: true, rootDir: 'src', outDir: 'dist', plugins: [{ transform: 'autotrace/transformer' }] },
  include: ['src'],
});

let dir = '';
beforeAll(async () => {
  dir = newProject('commands', { 'package.json': '{ "name": "svc" }\n', 'service/tsconfig.json': TSCONFIG, 'service/src/server.ts': SERVICE });
  expect((await tspcBuild(dir, 'service')).code).toBe(0);
}, 120_000);

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |^Error/m);

describe('the autotrace command', () => {
  it.each(['init', 'report', 'check', 'instrument'])('%s --help (and -h) prints its usage and exits 0', async (command) => {
    for (const flag of ['--help', '-h']) {
      const result = await autotrace(dir, command, flag);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage:\\n  autotrace ${command} `));
      expect(result.stdout).toContain('-p takes a tsconfig file or the folder');
    }
  }, 60_000);

  it('takes a folder for -p, as tsc does, in every command', async () => {
    const report = await autotrace(dir, 'report', '-p', 'service');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('autotrace: 3 sites: 3 traced');
    const check = await autotrace(dir, 'check', '-p', 'service');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('1 file with 3 traced sites, all emitted traced');
    const init = await autotrace(dir, 'init', '-p', 'service');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('service/tsconfig.json already has the plugin: nothing to change.');
    const instrument = await autotrace(dir, 'instrument', 'service/dist', '-p', 'service');
    expect(instrument.code, instrument.stderr).toBe(0);
    expect(instrument.stderr).toContain('3 sites: 3 traced');
  }, 180_000);

  it('answers what it understands in one line with exit 2: a bad plugin option, a folder without a tsconfig, a missing one', async () => {
    const bad = newProject('bad-option', {
      'tsconfig.json': JSON.stringify({ compilerOptions: { outDir: 'dist', plugins: [{ transform: 'autotrace/transformer', exclude: 'src' }] } }),
      'dist/server.js': 'module.exports = 1;\n',
    });
    const cases: [string, string[], RegExp][] = [
      [bad, ['instrument', 'dist'], /^autotrace: invalid plugin option "exclude" in compilerOptions\.plugins: expected an array/],
      [dir, ['check', '-p', 'service/src'], /^autotrace: cannot read/],
      [dir, ['report', '-p', 'nowhere'], /^autotrace: cannot read/],
      [dir, ['init', '-p', 'nowhere/tsconfig.json'], /^autotrace: nowhere does not exist/],
    ];
    for (const [cwd, args, message] of cases) {
      const result = await autotrace(cwd, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      noStack(result.stderr);
    }
  }, 120_000);
});

describe('the bundler plugins', () => {
  /** The bundler's own call: esbuild, Vite and Rollup read the options when autotrace() runs, webpack when its compiler applies the plugin. */
  const load = (bundler: string) => {
    const exported = requireFromRepo(join(repoRoot, 'dist', 'transformer', 'doors', `${bundler}.js`)) as { default?: (options: object) => unknown };
    const autotraceFor = exported.default ?? (exported as unknown as (options: object) => unknown);
    if (bundler !== 'webpack') return autotraceFor;
    const webpack = requireFromRepo('webpack') as (config: object) => unknown;
    return (options: object) => webpack({ mode: 'none', entry: join(repoRoot, 'package.json'), plugins: [autotraceFor(options)] });
  };

  it.each(['esbuild', 'vite', 'rollup', 'webpack'])("%s: an option error names autotrace() from the bundler plugin, not a tsconfig's compilerOptions.plugins", (bundler) => {
    const build = load(bundler);
    expect(() => build({ exclude: 'src/generated' })).toThrow(
      `autotrace: invalid plugin option "exclude" in autotrace({ … }) from autotrace/${bundler}: expected an array of non-empty glob strings, got string "src/generated"`,
    );
    expect(() => build({ rooot: '.' })).toThrow(`"rooot" in autotrace({ … }) from autotrace/${bundler}: unknown option (autotrace() knows: root, exclude,`);
  }, 60_000);
});
