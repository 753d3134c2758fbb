import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';

const project = join(fixturesDir, 'plugin-config');

describe('the tsconfig plugin entry', () => {
  it('builds, and warns (without failing) when autotrace is only a devDependency', async () => {
    const build = await tspcBuild(project, 'tsconfig.ok.json');
    expect(build.code).toBe(0);
    expect(build.stderr).toMatch(/autotrace: warning: .*package\.json lists "autotrace" only under devDependencies/);
    // A site it could not trace is reported as file:line:column, and left as it was.
    expect(build.stderr).toContain('autotrace: src/app.ts:3:28: left untouched: optional call globalThis.fetch?.(…)');
    expect(readFileSync(join(project, 'out', 'ok', 'app.js'), 'utf8')).toContain('__autotrace.fetch(');
  });

  it.each([
    ['unknown', /error TS990001: autotrace: invalid plugin option "exlude" .*unknown option \(autotrace knows: exclude, propagateTo, redactQueryParams, report, quiet, minCoverage, datastoreSpans, redactRedisKeys\)/],
    ['badvalue', /error TS990001: autotrace: invalid plugin option "exclude" .*expected an array of non-empty glob strings, got string "src\/\*\*"/],
    ['badredact', /error TS990001: autotrace: invalid plugin option "redactQueryParams" .*expected an array of query parameter names .*got an array containing "session id"/],
  ])('fails the build on a %s option with a message naming it', async (variant, message) => {
    const build = await tspcBuild(project, `tsconfig.${variant}.json`);
    expect(build.code).not.toBe(0);
    expect(build.stdout + build.stderr).toMatch(message);
    expect(build.stdout + build.stderr).not.toMatch(/\n\s+at /); // a compiler error, not a crash with a stack
  });

  it('throws the same error from the programmatic entry', () => {
    const { createTransformers } = requireFromRepo('autotrace/transformer') as typeof import('../transformer/index');
    expect(() => createTransformers({} as never, { exclude: [''] } as never)).toThrow(/invalid plugin option "exclude"/);
  });
});

describe('the runtime package', () => {
  it('loads without typescript or anything heavy', () => {
    const probe = `
      require('autotrace/runtime');
      const loaded = Object.keys(require.cache).map((f) => f.replace(/\\\\/g, '/'));
      const packages = [...new Set(loaded.map((f) => (f.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/) || [])[1]).filter(Boolean))];
      console.log(JSON.stringify(packages.sort()));`;
    const result = spawnSync(process.execPath, ['-e', probe], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    // semantic-conventions waits for the first span that records (runtime/semconv.ts): startup without an SDK.
    expect(JSON.parse(result.stdout)).toEqual(['@opentelemetry/api']);
  });

  it('declares typescript so that a production install leaves the compiler out', () => {
    // A range in peerDependencies makes npm mark the service's dev typescript `devOptional`, kept by --omit=dev.
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(pkg.peerDependencies).not.toHaveProperty('typescript');
    expect(pkg.dependencies).not.toHaveProperty('typescript');
    expect(pkg.peerDependenciesMeta).toMatchObject({ typescript: { optional: true } });
    // Likewise the SDK and exporter autotrace/otel looks for: optional, and never installed for the service.
    for (const name of Object.keys(pkg.peerDependenciesMeta!)) {
      expect(pkg.peerDependenciesMeta![name]).toEqual({ optional: true });
      expect(pkg.peerDependencies).not.toHaveProperty(name);
      expect(pkg.dependencies).not.toHaveProperty(name);
    }
  });

  it('reports the package version as its instrumentation scope version', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect((requireFromRepo('autotrace/runtime') as { VERSION: string }).VERSION).toBe(pkg.version);
  });
});
