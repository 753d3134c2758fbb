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
    // Not even @opentelemetry/api: it waits until something registers with OpenTelemetry or a request brings trace
    // context (runtime/api.ts), and semantic-conventions for the first span that records (runtime/semconv.ts).
    expect(JSON.parse(result.stdout)).toEqual([]);
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

  // One export of each area of the runtime, with arguments it leaves alone, and the file it lives in (dist/runtime/).
  const AREA_CALLS: Record<string, string> = {
    'express.js': 'rt.expressApp(given)',
    'fastify.js': 'rt.fastifyApp(given)',
    'hono.js': 'rt.honoApp(given)',
    'koa.js': 'rt.koaApp(given)',
    'node-http.js': 'rt.httpHandler(given)',
    'nest.js': 'rt.nestApp(given)',
    'axios.js': 'rt.axios(undefined, given)',
    'nest-http.js': 'rt.nestHttp(undefined, given)',
    'fetch.js': 'rt.undiciFetch(undefined, counted, "http://127.0.0.1:9/")',
    'http-client.js': 'rt.httpRequest(undefined, counted, "http://127.0.0.1:9/", () => {})',
    'undici.js': 'rt.undiciRequest(undefined, () => given, "http://127.0.0.1:9/")',
    'messaging/amqp.js': 'rt.amqpChannel(undefined, given)',
    'messaging/nats.js': 'rt.natsConnection(undefined, given)',
    'messaging/bullmq.js': 'rt.bullmqProcessor(given)',
    'rpc/grpc.js': 'rt.grpcClientOptions(given)',
    'datastores/pg.js': 'rt.pg(undefined, given)',
    'datastores/mysql.js': 'rt.mysql(undefined, given)',
    'datastores/redis.js': 'rt.ioredis(undefined, given)',
  };
  const runtimeFiles = `() => Object.keys(require.cache).map((f) => f.replace(/\\\\/g, '/')).filter((f) => f.includes('/dist/runtime/')).map((f) => f.split('/dist/runtime/')[1])`;

  it('loads an area of the runtime on the first call of one of its exports, and none at startup; the net starts at once', () => {
    const probe = `
      const rt = require('autotrace/runtime');
      const runtimeFiles = ${runtimeFiles};
      const loaded = { startup: runtimeFiles(), net: globalThis[Symbol.for('autotrace.net')] === true, https: process.moduleLoadList.includes('NativeModule https') };
      const given = {};
      // The real client gets the arguments the call was written with, no more (a stub counts them).
      const counted = function () { loaded.arity.push(arguments.length); return given; };
      loaded.arity = [];
      for (const [file, call] of ${JSON.stringify(Object.entries(AREA_CALLS))}) {
        if (eval(call) === undefined) throw new Error(call + ' returned nothing');
        loaded[file] = runtimeFiles();
      }
      console.log(JSON.stringify(loaded));`;
    const result = spawnSync(process.execPath, ['-e', probe], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const loaded = JSON.parse(result.stdout) as Record<string, string[]> & { startup: string[]; net: boolean; https: boolean; arity: number[] };
    expect(loaded.net).toBe(true);
    // node:https (and TLS under it) waits for the first question that needs it: a plain-HTTP service never asks.
    expect(loaded.https).toBe(false);
    expect(loaded.arity).toEqual([1, 2]);
    expect(loaded.startup).toContain('net/index.js');
    // The net subscribes at once, but its handlers and the span code they use wait for an SDK (runtime/net/index.ts).
    for (const file of ['net/server.js', 'net/http-client.js', 'net/undici.js', 'server.js', 'client.js']) expect(loaded.startup).not.toContain(file);
    expect(loaded.startup.filter((file) => file in AREA_CALLS)).toEqual([]);
    for (const file of Object.keys(AREA_CALLS)) expect(loaded[file], file).toContain(file);
    // Express's area brings only what it needs: no broker, RPC or datastore code, no other framework.
    expect(loaded['express.js']!.filter((file) => file in AREA_CALLS)).toEqual(['express.js']);
    // Nor, with no SDK, the span code: the span's start and end and the HTTP conventions wait for a request that
    // needs a span (runtime/server.ts), the site's lists for a site that carries one (runtime/site.ts).
    for (const file of ['server-span.js', 'http-semconv.js', 'net/propagate.js']) expect(loaded['express.js'], file).not.toContain(file);
  });

  it('gives ESM every export the rule table names, as a function, without loading an area', () => {
    // Every runtime name a rule can emit (RuntimeExport): wrapWith, callThrough, callInstead, wherever they appear.
    const rules = requireFromRepo(join(repoRoot, 'dist', 'transformer', 'rules', 'index.js')) as Record<string, unknown>;
    const names = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value !== null && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (['wrapWith', 'callThrough', 'callInstead'].includes(key) && typeof inner === 'string') names.add(inner);
          else collect(inner);
        }
      }
    };
    collect(rules);
    expect(names.size).toBeGreaterThan(20);
    // Named imports fail to link unless cjs-module-lexer finds each name in the CommonJS build.
    const probe = `
      import * as rt from 'autotrace/runtime';
      import { ${[...names].join(', ')} } from 'autotrace/runtime';
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const runtimeFiles = ${runtimeFiles};
      const named = { ${[...names].join(', ')} };
      console.log(JSON.stringify({
        namespace: Object.fromEntries(${JSON.stringify([...names])}.map((name) => [name, typeof rt[name]])),
        named: Object.fromEntries(Object.entries(named).map(([name, value]) => [name, typeof value])),
        loaded: runtimeFiles(),
      }));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const seen = JSON.parse(result.stdout) as { namespace: Record<string, string>; named: Record<string, string>; loaded: string[] };
    const functions = Object.fromEntries([...names].map((name) => [name, 'function']));
    expect(seen.namespace).toEqual(functions);
    expect(seen.named).toEqual(functions);
    expect(seen.loaded.filter((file) => file in AREA_CALLS)).toEqual([]);
  });

  it('reports the package version as its instrumentation scope version', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect((requireFromRepo('autotrace/runtime') as { VERSION: string }).VERSION).toBe(pkg.version);
  });
});
