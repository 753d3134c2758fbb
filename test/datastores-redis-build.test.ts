import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, typescript as ts } from './helpers/compile';
import { repoRoot, requireFromRepo } from './helpers/paths';

// Redis at build time: the generated command tables, the options, import tracking for files compiled alone, and a
// client version autotrace does not know.

const { transformModule } = requireFromRepo('./dist/transformer/javascript.js') as typeof import('../transformer/javascript');
const { parseOptions } = requireFromRepo('./dist/transformer/options.js') as typeof import('../transformer/options');

describe('the command tables', () => {
  it('are what scripts/redis-commands.cjs writes from the installed clients (run it after updating them)', () => {
    const { render } = requireFromRepo('./scripts/redis-commands.cjs') as { render(): { rules: string; runtime: string } };
    const { rules, runtime } = render();
    expect(readFileSync(join(repoRoot, 'transformer/rules/redis-commands.ts'), 'utf8')).toBe(rules);
    expect(readFileSync(join(repoRoot, 'runtime/datastores/redis-keys.ts'), 'utf8')).toBe(runtime);
  });
});

describe('options', () => {
  it('accept datastoreSpans "in-trace" (the default) or "always", and redactRedisKeys true or false', () => {
    expect(parseOptions({}).datastoreSpans).toBe('in-trace');
    expect(parseOptions({ datastoreSpans: 'always', redactRedisKeys: true })).toMatchObject({ datastoreSpans: 'always', redactRedisKeys: true });
  });

  it('reject a malformed value, naming the option and what it expects', () => {
    expect(() => parseOptions({ datastoreSpans: 'sometimes' })).toThrow(
      'autotrace: invalid plugin option "datastoreSpans" in compilerOptions.plugins: expected "in-trace" (the default: only inside a trace) or "always", got string "sometimes"',
    );
    expect(() => parseOptions({ redactRedisKeys: 'yes' })).toThrow('invalid plugin option "redactRedisKeys" in compilerOptions.plugins: expected true');
  });
});

/** `line client operation` of each instrumented site of a module compiled alone, and the emitted code. */
function alone(code: string) {
  const output = transformModule(ts, { code, fileName: '/project/src/cache.ts', projectRoot: '/project' });
  const sites = (output?.records ?? []).filter((r) => r.status === 'instrumented').map((r) => `${r.line} ${r.kind} ${r.client} ${r.operation ?? '-'} ${r.recogniser}`);
  return { sites, code: output?.code ?? '' };
}

describe('import tracking, for files compiled alone', () => {
  it('follows ioredis from its import or require to commands, pipelines and MULTIs', () => {
    const { sites, code } = alone(`import Redis from 'ioredis';
const redis = new Redis();
const Other = require('ioredis');
const other = new Other(6380);
export async function load(id: string) {
  await redis.get('user:' + id);
  await other.hset('h', 'f', 'v');
  return redis.pipeline().set('a', '1').exec();
}
`);
    expect(sites).toEqual([
      '6 datastore ioredis GET imports',
      '7 datastore ioredis HSET imports',
      '8 datastore ioredis - imports',
      '8 datastore ioredis SET imports',
      '8 datastore ioredis - imports',
    ]);
    expect(code).toContain('__autotrace.ioredis(');
  });

  it('follows node-redis from createClient to camelCase and UPPERCASE commands and a MULTI', () => {
    const { sites } = alone(`import { createClient } from 'redis';
const client = createClient();
export async function load(id: string) {
  await client.hGet('user:' + id, 'name');
  await client.SET('k', 'v');
  await client.zRangeWithScores('z', 0, -1);
  return client.multi().get('a').exec();
}
`);
    expect(sites).toEqual([
      '4 datastore redis HGET imports',
      '5 datastore redis SET imports',
      '6 datastore redis ZRANGE imports',
      '7 datastore redis - imports',
      '7 datastore redis GET imports',
      '7 datastore redis - imports',
    ]);
  });
});

describe('a client version autotrace does not know', () => {
  it('is left as written and reported as a black box naming the version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autotrace-ioredis-next-'));
    const pkg = join(dir, 'node_modules', 'ioredis');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'ioredis', version: '9.0.0', types: 'index.d.ts' }));
    writeFileSync(
      join(pkg, 'index.d.ts'),
      'interface RedisCommander { get(key: string): Promise<string | null>; }\n' +
        'declare class Redis { constructor(port?: number); }\ninterface Redis extends RedisCommander {}\nexport default Redis;\n',
    );
    writeFileSync(join(dir, 'cache.ts'), "import Redis from 'ioredis';\nexport const read = (redis: Redis) => redis.get('k');\n");
    const { outputs, gaps, diagnostics } = compile([join(dir, 'cache.ts')]);
    expect(diagnostics).toEqual([]);
    expect(outputs.get('cache.js')).not.toContain('__autotrace');
    expect(gaps.map((gap) => `${gap.line} ${gap.what}: ${gap.why}`)).toEqual([
      '2 redis.get(…) on ioredis 9.x: autotrace knows ioredis 5.x, 6.x; a call through another version is left as written',
    ]);
  });
});

describe('without an SDK', () => {
  it('hands back the client itself: one check, no facade', () => {
    const script = `
      const runtime = require('autotrace/runtime');
      const Redis = require('ioredis');
      const io = new Redis({ lazyConnect: true });
      const nodeRedis = require('redis').createClient();
      const site = { file: 'src/cache.ts', line: 1, column: 1, queryOperation: 'GET' };
      process.stdout.write(JSON.stringify([runtime.ioredis(site, io) === io, runtime.nodeRedis(site, nodeRedis) === nodeRedis]));
      io.disconnect();
    `;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([true, true]);
  });
});

describe('clusters', () => {
  it('are black boxes: their calls are left as written and reported, a client beside them is traced', () => {
    const dir = join(repoRoot, '.tmp', 'datastores-redis-clusters');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'clusters.ts'),
      `import Redis, { Cluster } from 'ioredis';
import { createClient, createCluster } from 'redis';
const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }]);
const nodes = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] });
const single = new Redis();
const client = createClient();
export const read = () => Promise.all([cluster.get('a'), nodes.get('b'), single.get('c'), client.get('d')]);
`,
    );
    const { outputs, gaps, diagnostics } = compile([join(dir, 'clusters.ts')]);
    expect(diagnostics).toEqual([]);
    expect(gaps.map((gap) => `${gap.line} ${gap.what}`)).toEqual([
      '3 new Cluster(…)',
      '4 createCluster(…)',
      '7 cluster.get(…) on a Cluster of ioredis',
      // node-redis types a cluster's commands apart from a client's: no row matches them, the black box is its creation.
    ]);
    const code = outputs.get('clusters.js')!;
    expect(code).toContain('__autotrace.ioredis({');
    expect(code).toContain('__autotrace.nodeRedis({');
    expect(code).toContain('cluster.get(');
    expect(code).toContain('nodes.get(');
  });
});
