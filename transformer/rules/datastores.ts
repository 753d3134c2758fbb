import type { RuleSet } from './types';

// Datastores: database and cache clients' query and command calls. Each is made through a facade, as axios' calls
// are (`__autotrace.pg(site, pool).query(…)`), and its site carries what the build read from a literal query
// (transformer/sql-facts.ts).

export const DATASTORE_RULES: RuleSet = {
  clientInstances: [
    // pg 8.x: Pool, Client and PoolClient (which extends Client) all declare `query` in @types/pg's Pool or ClientBase.
    { client: 'pg', typesPackage: '@types/pg', declaredIn: ['Pool', 'ClientBase'], methods: ['query'], callableIn: [], wrapWith: 'pg', kind: 'datastore' },
    // mysql2 3.x ships its own types: every Connection, Pool and PoolConnection, callback or promise API, gets `query`
    // and `execute` from the QueryableBase and ExecutableBase mixins.
    { client: 'mysql2', typesPackage: 'mysql2', declaredIn: ['QueryableBase', 'ExecutableBase'], methods: ['query', 'execute'], callableIn: [], wrapWith: 'mysql', kind: 'datastore' },
  ],
  tracedModules: {
    pg: { client: 'pg' },
    mysql2: { client: 'mysql2' },
    'mysql2/promise': { client: 'mysql2' },
  },
};
