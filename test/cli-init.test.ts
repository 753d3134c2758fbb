import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { TOOLCHAINS, tspcBuild } from './helpers/fixture-project';
import { run } from './helpers/processes';
import { autotrace, newProject, runTraced, SERVICE, SERVICE_SPANS } from './helpers/cli-project';
import { repoRoot } from './helpers/paths';

// `autotrace init` in the projects people start from: the file `tsc --init` writes, an ES module package, a monorepo
// with a shared base config, a package that already inherits the plugin. Each ends in a real tspc build whose output
// runs traced, or in one line that says what to do.

const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const pluginsOf = (text: string) => (parse(text, [], { allowTrailingComma: true }) as { compilerOptions?: { plugins?: unknown[] } }).compilerOptions?.plugins;
const ENTRY = { transform: 'autotrace/transformer' };

describe('autotrace init on a single service', () => {
  it("adds the plugin to tsc --init's file with every comment and line kept; tspc's output runs traced", async () => {
    const dir = newProject('tsc-init', { 'package.json': '{ "name": "svc", "type": "module" }\n', 'src/server.ts': SERVICE });
    expect(spawnSync(process.execPath, [tsc, '--init'], { cwd: dir }).status).toBe(0);
    // What its own comment tells a Node service to do ("For nodejs: ... "types": ["node"]").
    writeFileSync(join(dir, 'tsconfig.json'), read(dir, 'tsconfig.json').replace('"types": [],', '"types": ["node"],'));
    const before = read(dir, 'tsconfig.json');
    expect(before).toMatch(/^\s*\/\//m);

    const result = await autotrace(dir, 'init');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('autotrace: added {"transform":"autotrace/transformer"} to compilerOptions.plugins in tsconfig.json.');
    const after = read(dir, 'tsconfig.json');
    expect(pluginsOf(after)).toEqual([ENTRY]);
    // Every line of the original is still there, in order: only the plugins lines were inserted.
    const added = after.split('\n').filter((line) => !before.split('\n').includes(line));
    expect(added.join('\n')).toMatch(/^\s*"plugins": \[\s*\{\s*"transform": "autotrace\/transformer"\s*\}\s*\],?$/);
    expect(after.split('\n').filter((line) => !added.includes(line))).toEqual(before.split('\n'));

    const build = await tspcBuild(dir);
    expect(build.stdout + build.stderr).toContain('autotrace: 3 sites: 3 traced');
    expect(build.code).toBe(0);
    const traced = runTraced(dir, 'src/server.js');
    expect(traced.output).toContain('ok');
    expect(traced.spans).toEqual(SERVICE_SPANS);
    expect(traced.traces).toBe(1);
  }, 120_000);

  it("says why tsc --init's file will not build in npm init's CommonJS package, and where its output would go", async () => {
    const dir = newProject('tsc-init-cjs', { 'package.json': '{ "name": "svc", "type": "commonjs" }\n', 'src/server.ts': SERVICE });
    expect(spawnSync(process.execPath, [tsc, '--init'], { cwd: dir }).status).toBe(0);
    writeFileSync(join(dir, 'tsconfig.json'), read(dir, 'tsconfig.json').replace('"types": [],', '"types": ["node"],'));
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('note: tsconfig.json sets "verbatimModuleSyntax" with "module": "nodenext" in a CommonJS package');
    expect(result.stdout).toContain('note: tsconfig.json sets no "outDir"');
    // What the notes say is so: tspc refuses the file as it stands.
    const build = await tspcBuild(dir);
    expect(build.stdout).toContain('TS1295');
  }, 120_000);

  it('writes a tsconfig that emits ES modules in a "type": "module" package, and the output runs traced', async () => {
    const dir = newProject('esm', { 'package.json': '{ "name": "svc", "type": "module" }\n', 'src/server.ts': SERVICE });
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('wrote tsconfig.json (src/ → dist/, ES modules (nodenext)');
    expect(JSON.parse(read(dir, 'tsconfig.json')).compilerOptions).toMatchObject({ module: 'nodenext', moduleResolution: 'nodenext', plugins: [ENTRY] });
    expect((await tspcBuild(dir)).code).toBe(0);
    const traced = runTraced(dir, 'dist/server.js');
    expect(traced.output).not.toContain('exports is not defined');
    expect(traced.spans).toEqual(SERVICE_SPANS);
  }, 120_000);

  it('says why an ES module package whose tsconfig emits CommonJS will not start, and leaves that setting alone', async () => {
    const own = '{\n  "compilerOptions": { "module": "commonjs", "outDir": "dist" },\n  "include": ["src"]\n}\n';
    const dir = newProject('esm-commonjs', { 'package.json': '{ "name": "svc", "type": "module" }\n', 'tsconfig.json': own, 'src/server.ts': SERVICE });
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('autotrace: note: package.json says "type": "module" but tsconfig.json emits CommonJS ("module": "commonjs"): Node will not run that output ("exports is not defined in ES module scope"); set "module": "nodenext".');
    expect(JSON.parse(read(dir, 'tsconfig.json')).compilerOptions.module).toBe('commonjs');
  }, 60_000);

  it('writes no tsconfig where there are no sources, and says where to run it instead', async () => {
    const dir = newProject('empty', { 'package.json': '{ "name": "nothing-here" }\n' });
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^autotrace: no tsconfig\.json in \., and no TypeScript sources \(src\/ or \*\.ts\) to write one for: run `npx autotrace init` in your service's folder/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'tsconfig.json'))).toBe(false);
  }, 60_000);

  it('sees a plugin inherited from a shared config package, and changes nothing', async () => {
    const shared = `{\n  "compilerOptions": {\n    "strict": true,\n    "plugins": [{ "transform": "autotrace/transformer" }]\n  }\n}\n`;
    const own = `{\n  "extends": "@acme/tsconfig/node.json",\n  "include": ["src"]\n}\n`;
    const dir = newProject('inherited', {
      'package.json': '{ "name": "svc" }\n',
      'node_modules/@acme/tsconfig/package.json': '{ "name": "@acme/tsconfig", "version": "1.0.0" }\n',
      'node_modules/@acme/tsconfig/node.json': shared,
      'tsconfig.json': own,
      'src/server.ts': SERVICE,
    });
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('autotrace: tsconfig.json already has the plugin, from node_modules/@acme/tsconfig/node.json (through "extends"): nothing to change.');
    expect(read(dir, 'tsconfig.json')).toBe(own);
  }, 60_000);

  it("keeps the plugins a tsconfig inherited when it gives it a plugins array of its own", async () => {
    const dir = newProject('inherits-others', {
      'package.json': '{ "name": "svc" }\n',
      'tsconfig.base.json': '{ "compilerOptions": { "plugins": [{ "name": "typescript-plugin-css-modules" }] } }\n',
      'tsconfig.json': '{\n  "extends": "./tsconfig.base.json",\n  "include": ["src"]\n}\n',
      'src/server.ts': SERVICE,
    });
    expect((await autotrace(dir, 'init')).code).toBe(0);
    expect(pluginsOf(read(dir, 'tsconfig.json'))).toEqual([{ name: 'typescript-plugin-css-modules' }, ENTRY]);
  }, 60_000);
});

describe('autotrace init in a monorepo', () => {
  const BASE = `{\n  // shared by every package\n  "compilerOptions": {\n    "target": "ES2022",\n    "module": "commonjs",\n    "strict": true,\n    "types": ["node"],\n    "skipLibCheck": true,\n    "composite": true\n  }\n}\n`;
  const PACKAGE = `{\n  "extends": "../../tsconfig.base.json",\n  "compilerOptions": { "rootDir": "src", "outDir": "dist" },\n  "include": ["src"]\n}\n`;
  const monorepo = (name: string, extra: Record<string, string> = {}) =>
    newProject(name, {
      'package.json': '{ "name": "mono", "private": true, "workspaces": ["packages/*"] }\n',
      'tsconfig.base.json': BASE,
      'packages/a/package.json': '{ "name": "a" }\n',
      'packages/a/tsconfig.json': PACKAGE,
      'packages/a/src/server.ts': SERVICE,
      'packages/b/package.json': '{ "name": "b" }\n',
      'packages/b/tsconfig.json': PACKAGE,
      'packages/b/src/server.ts': SERVICE,
      ...extra,
    });

  it('at the root: puts the plugin in the base both packages extend, writes no tsconfig of its own; each package builds traced', async () => {
    const dir = monorepo('workspaces');
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('autotrace: added {"transform":"autotrace/transformer"} to compilerOptions.plugins in tsconfig.base.json.');
    expect(result.stdout).toContain('packages/a/tsconfig.json, packages/b/tsconfig.json extend it, and so get the plugin.');
    expect(result.stdout).toContain('next: build with npx tspc -p packages/a, npx tspc -p packages/b');
    expect(existsSync(join(dir, 'tsconfig.json'))).toBe(false);
    expect(read(dir, 'tsconfig.base.json')).toContain('// shared by every package');
    expect(pluginsOf(read(dir, 'tsconfig.base.json'))).toEqual([ENTRY]);
    expect(read(dir, 'packages/a/tsconfig.json')).toBe(PACKAGE);

    for (const name of ['a', 'b']) {
      const build = await tspcBuild(dir, `packages/${name}`);
      expect(build.code, build.stdout + build.stderr).toBe(0);
    }
    expect(runTraced(dir, 'packages/b/dist/server.js').spans).toEqual(SERVICE_SPANS);

    // Again, at the root and for one package given as a folder (-p as tsc takes it): nothing added twice.
    const base = read(dir, 'tsconfig.base.json');
    const again = await autotrace(dir, 'init');
    expect(again.stdout).toContain('packages/a/tsconfig.json already has the plugin, from tsconfig.base.json.');
    const one = await autotrace(dir, 'init', '-p', 'packages/b');
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('packages/b/tsconfig.json already has the plugin, from tsconfig.base.json (through "extends"): nothing to change.');
    expect(read(dir, 'tsconfig.base.json')).toBe(base);
    expect(read(dir, 'packages/b/tsconfig.json')).toBe(PACKAGE);

    // A new package with sources and no tsconfig yet: one that extends the base, as its siblings do.
    mkdirSync(join(dir, 'packages/c/src'), { recursive: true });
    writeFileSync(join(dir, 'packages/c/src/server.ts'), SERVICE);
    const created = await autotrace(dir, 'init', '-p', 'packages/c');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('autotrace: wrote packages/c/tsconfig.json (extends tsconfig.base.json; src/ → dist/) with the plugin, which tsconfig.base.json already gives it.');
    expect(JSON.parse(read(dir, 'packages/c/tsconfig.json'))).toEqual({ extends: '../../tsconfig.base.json', compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'] });
    expect((await tspcBuild(dir, 'packages/c')).code).toBe(0);
    expect(runTraced(dir, 'packages/c/dist/server.js').spans).toEqual(SERVICE_SPANS);
  }, 240_000);

  it('with a solution tsconfig (references): the plugin goes to the base, and tspc -b builds both packages traced', async () => {
    const solution = '{\n  "files": [],\n  "references": [{ "path": "packages/a" }, { "path": "./packages/b/tsconfig.json" }]\n}\n';
    const dir = monorepo('solution', { 'tsconfig.json': solution });
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('autotrace: tsconfig.json is a solution');
    expect(result.stdout).toContain('in tsconfig.base.json.');
    expect(read(dir, 'tsconfig.json')).toBe(solution);
    await tspcBuild(dir, 'tsconfig.json', undefined, ['--version']); // links autotrace into the project
    const build = await run(process.execPath, [TOOLCHAINS[0]!.tspc, '-b', 'tsconfig.json'], dir);
    expect(build.code, build.stdout + build.stderr).toBe(0);
    expect(runTraced(dir, 'packages/a/dist/server.js').spans).toEqual(SERVICE_SPANS);
  }, 180_000);

  it('at a workspace root whose packages have no tsconfig yet: no tsconfig for a src/ that is not there, and what to do instead', async () => {
    const dir = newProject('no-package-tsconfigs', {
      'package.json': '{ "name": "mono", "private": true, "workspaces": ["packages/*"] }\n',
      'packages/a/package.json': '{ "name": "a" }\n',
    });
    const result = await autotrace(dir, 'init');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a monorepo root with no tsconfig.json, and none of its packages has one yet: run `npx autotrace init` in each TypeScript package');
    expect(existsSync(join(dir, 'tsconfig.json'))).toBe(false);
  }, 60_000);
});
