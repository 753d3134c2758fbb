import type { RuleSet } from './types';

// Datastores: database and cache clients' query and command calls. Each is made through a facade, as axios' calls
// are (`__autotrace.pg(site, pool).query(…)`), and its site carries what the build read from a literal query
// (transformer/sql-facts.ts).

export const DATASTORE_RULES: RuleSet = {
  clientInstances: [
    // pg 8.x: Pool, Client and PoolClient (which extends Client) all declare `query` in @types/pg's Pool or ClientBase.
    { client: 'pg', typesPackage: '@types/pg', declaredIn: ['Pool', 'ClientBase'], methods: ['query'], callableIn: [], wrapWith: 'pg', kind: 'datastore',
      sql: { dialect: 'postgresql', textProperty: 'text', driver: 'pg', driverMajors: [8] } },
    // mysql2 3.x ships its own types: every Connection, Pool and PoolConnection, callback or promise API, gets `query`
    // and `execute` from the QueryableBase and ExecutableBase mixins.
    { client: 'mysql2', typesPackage: 'mysql2', declaredIn: ['QueryableBase', 'ExecutableBase'], methods: ['query', 'execute'], callableIn: [], wrapWith: 'mysql', kind: 'datastore',
      sql: { dialect: 'mysql', textProperty: 'sql', driver: 'mysql2', driverMajors: [3] } },
  ],
  tracedModules: {
    pg: { client: 'pg' },
    mysql2: { client: 'mysql2' },
    'mysql2/promise': { client: 'mysql2' },
  },
  // Without a checker (one file at a time, bundlers, the load-time hook): `new Pool()`, `new pg.Client()`,
  // `mysql.createPool()` and parameters typed `Pool`, `PoolClient`, `Connection` are followed by their imports.
  valueKinds: {
    pg: { members: { Pool: 'pg.Pool', Client: 'pg.Client' } },
    'pg.Pool': { construct: 'pg.pool' },
    'pg.Client': { construct: 'pg.client' },
    'pg.pool': { is: { typesPackage: '@types/pg', owner: 'Pool' } },
    'pg.client': { is: { typesPackage: '@types/pg', owner: 'ClientBase' } },
    mysql2: { members: { createPool: 'mysql2.create', createConnection: 'mysql2.create' } },
    'mysql2/promise': { members: { createPool: 'mysql2.create' } },
    'mysql2.create': { call: 'mysql2.queryable' },
    'mysql2.queryable': { is: { typesPackage: 'mysql2', owner: 'QueryableBase' } },
  },
  moduleKinds: {
    pg: {
      values: { '*': 'pg', default: 'pg', Pool: 'pg.Pool', Client: 'pg.Client' },
      types: { Pool: 'pg.pool', Client: 'pg.client', PoolClient: 'pg.client', ClientBase: 'pg.client' },
    },
    mysql2: {
      values: { '*': 'mysql2', default: 'mysql2', createPool: 'mysql2.create', createConnection: 'mysql2.create' },
      types: { Pool: 'mysql2.queryable', Connection: 'mysql2.queryable', PoolConnection: 'mysql2.queryable' },
    },
    // mysql2/promise's createConnection returns a promise: only pools and typed parameters are followed.
    'mysql2/promise': {
      values: { '*': 'mysql2/promise', default: 'mysql2/promise', createPool: 'mysql2.create' },
      types: { Pool: 'mysql2.queryable', Connection: 'mysql2.queryable', PoolConnection: 'mysql2.queryable' },
    },
  },
};
