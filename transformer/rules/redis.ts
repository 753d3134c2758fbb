import { IOREDIS_COMMANDS, NODE_REDIS_COMMANDS, NODE_REDIS_SENDS } from './redis-commands';
import type { RuleSet } from './types';

// Redis: ioredis and node-redis 4 to 6 (`redis`, `@redis/client`). Every command is a method, so the rows list the
// command methods of each client, generated from the clients' own command tables (scripts/redis-commands.cjs writes
// redis-commands.ts), and recognise a call by the declaration behind the method as for any client: ioredis declares
// its commands in the RedisCommander interface, node-redis in its command table (`_default`, the object
// `export default` of commands/index.d.ts declares). A pipeline or MULTI is made and run through the same facade: its
// `exec` is the span, the commands queued on it are sites that make none.

/** The methods that make and run a batch, beside the commands. */
const IOREDIS_BATCH = ['pipeline', 'multi', 'exec'];
const NODE_REDIS_BATCH = ['multi', 'MULTI', 'exec', 'EXEC', 'execAsPipeline'];

export const REDIS_RULES: RuleSet = {
  clientInstances: [
    {
      client: 'ioredis',
      typesPackage: 'ioredis',
      declaredIn: ['RedisCommander', 'Transaction'],
      methods: [...IOREDIS_COMMANDS, ...IOREDIS_BATCH],
      callableIn: [],
      wrapWith: 'ioredis',
      kind: 'datastore',
      majors: [5, 6],
      notOn: ['Cluster'],
      operationOf: (method) => redisOperation('ioredis', method),
    },
    {
      client: 'redis',
      typesPackage: '@redis/client',
      declaredIn: ['_default', 'RedisClient', 'RedisClientMultiCommand'],
      methods: [...NODE_REDIS_COMMANDS, ...NODE_REDIS_BATCH],
      callableIn: [],
      wrapWith: 'nodeRedis',
      kind: 'datastore',
      // node-redis 4 is @redis/client 1.x; node-redis 5 and 6 ship @redis/client 5 and 6.
      majors: [1, 5, 6],
      notOn: ['RedisCluster', 'RedisClusterMultiCommand', 'RedisSentinel', 'RedisClientPool'],
      operationOf: (method) => redisOperation('redis', method),
    },
  ],
  unsupportedClients: [
    { client: 'ioredis Cluster', modules: ['ioredis'], exports: ['Cluster'] },
    { client: 'redis cluster', modules: ['redis', '@redis/client'], exports: ['createCluster', 'createSentinel', 'createClientPool'] },
  ],
  tracedModules: {
    ioredis: { client: 'ioredis' },
    redis: { client: 'redis' },
    '@redis/client': { client: 'redis' },
  },
  valueKinds: {
    ioredis: { members: { default: 'ioredis.Redis', Redis: 'ioredis.Redis' }, construct: 'ioredis.client' },
    'ioredis.Redis': { construct: 'ioredis.client' },
    'ioredis.client': { is: { typesPackage: 'ioredis', owner: 'RedisCommander' }, members: { pipeline: 'ioredis.makeBatch', multi: 'ioredis.makeBatch' } },
    'ioredis.makeBatch': { call: 'ioredis.batch' },
    // A command queued on a batch answers with the batch: `redis.pipeline().set(…).get(…).exec()`.
    'ioredis.batch': { is: { typesPackage: 'ioredis', owner: 'RedisCommander' }, memberOf: chained(IOREDIS_COMMANDS, 'ioredis.queue') },
    'ioredis.queue': { call: 'ioredis.batch' },
    redis: { members: { createClient: 'redis.createClient' } },
    'redis.createClient': { call: 'redis.client' },
    'redis.client': { is: { typesPackage: '@redis/client', owner: '_default' }, members: { multi: 'redis.makeBatch', MULTI: 'redis.makeBatch' } },
    'redis.makeBatch': { call: 'redis.batch' },
    'redis.batch': { is: { typesPackage: '@redis/client', owner: '_default' }, memberOf: chained(NODE_REDIS_COMMANDS, 'redis.queue') },
    'redis.queue': { call: 'redis.batch' },
  },
  moduleKinds: {
    ioredis: { values: { '*': 'ioredis', default: 'ioredis.Redis', Redis: 'ioredis.Redis' }, types: { Redis: 'ioredis.client' } },
    redis: { values: { '*': 'redis', createClient: 'redis.createClient' }, types: { RedisClientType: 'redis.client' } },
    '@redis/client': { values: { '*': 'redis', createClient: 'redis.createClient' }, types: { RedisClientType: 'redis.client' } },
  },
};

/**
 * A batch's commands, each answering with `kind`: asked by name, the set made on first use (a table of a thousand
 * names made when the plugin loads was a quarter of its load time, and only import tracking of a batch asks).
 */
function chained(commands: readonly string[], kind: string): (name: string) => string | undefined {
  let names: ReadonlySet<string> | undefined;
  return (name) => ((names ??= new Set(commands)).has(name) ? kind : undefined);
}

/** The command a Redis method sends, for the report and the span (`hSet` → HSET, `zRangeWithScores` → ZRANGE). */
export function redisOperation(client: string, method: string): string | undefined {
  if (client === 'ioredis') {
    if (IOREDIS_BATCH.includes(method)) return undefined;
    return method.replace(/Buffer$/, '').toUpperCase();
  }
  if (client === 'redis') {
    if (NODE_REDIS_BATCH.includes(method)) return undefined;
    return NODE_REDIS_SENDS[method] ?? method.toUpperCase();
  }
  return undefined;
}
