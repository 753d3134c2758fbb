import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { fixturesDir, repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// Opt-out comments that are not obeyed: misspelled, miscased, without @, with a suffix autotrace does not know, or
// where no directive counts. A tspc build of fixtures/directives says so once each, with the spelling or the place
// that would be obeyed, lists them in the report, and traces those sites as if the comments were not there.

interface Report {
  sites: { file: string; line: number; status: string; urlTemplate?: string }[];
  directives?: { file: string; line: number; column: number; found: string; expected: string; reason: string }[];
}

let project = '';
let built: Awaited<ReturnType<typeof tspcBuild>>;
let report: Report;

beforeAll(async () => {
  project = join(repoRoot, '.tmp', 'directives', 'build');
  rmSync(project, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  cpSync(join(fixturesDir, 'directives'), project, { recursive: true, filter: (src) => !/node_modules|[\\/]out$|autotrace-report\.json$/.test(src) });
  built = await tspcBuild(project);
  report = JSON.parse(readFileSync(join(project, 'autotrace-report.json'), 'utf8')) as Report;
}, 120_000);

const WARNINGS = [
  'src/late-file-directive.ts:3:4: @autotrace-ignore-file is not obeyed (not at the top of the file), so nothing is opted out: put @autotrace-ignore-file among the comments before the file\'s first code',
  'src/near-misses.ts:4:6: autotrace-ignore is not obeyed (missing @), so nothing is opted out: write @autotrace-ignore',
  'src/near-misses.ts:6:6: @autotrace-ingore is not obeyed (misspelled), so nothing is opted out: write @autotrace-ignore',
  'src/near-misses.ts:8:6: @AutoTrace-Ignore is not obeyed (wrong case), so nothing is opted out: write @autotrace-ignore',
  'src/near-misses.ts:10:40: @autotrace-ignore is not obeyed (after code on its line), so nothing is opted out: put @autotrace-ignore on a line of its own above the statement',
  'src/near-misses.ts:11:6: @autotrace-ignore-next-line is not obeyed (unknown suffix), so nothing is opted out: write @autotrace-ignore (the directives are @autotrace-ignore and @autotrace-ignore-file)',
  'src/near-misses.ts:13:6: @autotrace-ignore-files is not obeyed (unknown suffix), so nothing is opted out: write @autotrace-ignore-file (the directives are @autotrace-ignore and @autotrace-ignore-file)',
  'src/near-misses.ts:16:8: @autotrace-ignore is not obeyed (not before a statement), so nothing is opted out: put @autotrace-ignore on a line of its own above the statement',
].map((line) => `autotrace: ${line}`);

describe('opt-out comments that are not obeyed', () => {
  it('are each told once during the build, with file:line:column and what would be obeyed', () => {
    expect(built.code).toBe(0);
    const told = built.stderr.split('\n').filter((line) => line.includes('is not obeyed'));
    expect(told).toEqual(WARNINGS);
  });

  it('are listed in the report, sorted, with what was found and what was meant', () => {
    expect(report.directives?.map((d) => `${d.file}:${d.line}:${d.column} ${d.found} → ${d.expected} (${d.reason})`)).toEqual([
      'src/late-file-directive.ts:3:4 @autotrace-ignore-file → @autotrace-ignore-file (not at the top of the file)',
      'src/near-misses.ts:4:6 autotrace-ignore → @autotrace-ignore (missing @)',
      'src/near-misses.ts:6:6 @autotrace-ingore → @autotrace-ignore (misspelled)',
      'src/near-misses.ts:8:6 @AutoTrace-Ignore → @autotrace-ignore (wrong case)',
      'src/near-misses.ts:10:40 @autotrace-ignore → @autotrace-ignore (after code on its line)',
      'src/near-misses.ts:11:6 @autotrace-ignore-next-line → @autotrace-ignore (unknown suffix)',
      'src/near-misses.ts:13:6 @autotrace-ignore-files → @autotrace-ignore-file (unknown suffix)',
      'src/near-misses.ts:16:8 @autotrace-ignore → @autotrace-ignore (not before a statement)',
    ]);
  });

  it('change nothing: every site near one is traced, in the report and in the emitted code', () => {
    const near = report.sites.filter((s) => s.file === 'src/near-misses.ts' || s.file === 'src/late-file-directive.ts');
    expect(near.map((s) => `${s.file}:${s.line} ${s.status}`)).toEqual([
      'src/late-file-directive.ts:1 instrumented',
      'src/near-misses.ts:5 instrumented',
      'src/near-misses.ts:7 instrumented',
      'src/near-misses.ts:9 instrumented',
      'src/near-misses.ts:10 instrumented',
      'src/near-misses.ts:12 instrumented',
      'src/near-misses.ts:14 instrumented',
      'src/near-misses.ts:17 instrumented',
    ]);
    const emitted = readFileSync(join(project, 'out', 'near-misses.js'), 'utf8');
    expect(emitted.match(/__autotrace\.fetch\(/g)).toHaveLength(7);
    expect(readFileSync(join(project, 'out', 'late-file-directive.js'), 'utf8')).toContain('__autotrace.fetch(');
  });

  it('directives spelled right where they count, and mere mentions in strings and code, say nothing', () => {
    expect(built.stderr).not.toContain('src/obeyed.ts');
    expect(built.stderr).not.toContain('src/ignored-file.ts');
    expect(report.sites.filter((s) => s.file === 'src/obeyed.ts' || s.file === 'src/ignored-file.ts').map((s) => `${s.file}:${s.line} ${s.status}`)).toEqual([
      'src/ignored-file.ts:5 ignored',
      'src/obeyed.ts:5 ignored',
      'src/obeyed.ts:7 ignored',
      'src/obeyed.ts:10 instrumented',
    ]);
  });

  it('autotrace report shows them too, and its --json is the file the build wrote', async () => {
    const cli = join(repoRoot, 'dist', 'transformer', 'cli', 'main.js');
    const table = await run(process.execPath, [cli, 'report'], project);
    expect(table.code).toBe(0);
    for (const warning of WARNINGS) expect(table.stdout).toContain(warning);
    const json = await run(process.execPath, [cli, 'report', '--json'], project);
    expect(json.stdout).toBe(readFileSync(join(project, 'autotrace-report.json'), 'utf8'));
  }, 120_000);
});
