import { safely } from '../safe';
import type { DatastoreSite } from './span';
import { endpointFrom, tracedQuery, wantsFacade, type Endpoint, type SqlDriver } from './sql-call';

// mysql2 3.x, callback and promise APIs alike. Emitted code calls `__autotrace.mysql(site, conn).query(…)` and
// `.execute(…)` for calls on a Connection, Pool or PoolConnection (from 'mysql2' or 'mysql2/promise'): the facade runs
// the same method on the same receiver with the same arguments, with one CLIENT span around it.
//
// db.system.name is `mysql` for MariaDB servers too: the conventions name the product "as identified by the client
// instrumentation" (a PostgreSQL client talking to CockroachDB says `postgresql`), and mysql2 is a MySQL client.
// Telling MariaDB apart would mean reading the server's handshake from mysql2's private fields, and a pool has no
// connection yet when its span starts, so pool and connection spans of one server would disagree.

interface Queryable {
  query(...args: unknown[]): unknown;
  execute(...args: unknown[]): unknown;
}

const driver: SqlDriver = {
  system: 'mysql', // DB_SYSTEM_NAME_VALUE_MYSQL, written out: the conventions' package loads on the first recorded span
  dialect: 'mysql',
  endpoint,
  // The server's error number (`1146`) as the conventions ask; a connection error has none (error.type then says).
  statusCodeOf: (error) => {
    const errno = (error as { errno?: unknown; sqlState?: unknown } | null)?.errno;
    return typeof errno === 'number' && (error as { sqlState?: unknown }).sqlState !== undefined ? String(errno) : undefined;
  },
};

class MysqlFacade {
  constructor(
    private readonly site: DatastoreSite | undefined,
    private readonly receiver: Queryable,
  ) {}

  query(...args: unknown[]): unknown {
    return tracedQuery(driver, this.site, this.receiver, 'query', args, sqlOf(args[0]));
  }

  execute(...args: unknown[]): unknown {
    return tracedQuery(driver, this.site, this.receiver, 'execute', args, sqlOf(args[0]));
  }
}

/** `query(sql)` or `query({ sql, … })`. */
function sqlOf(first: unknown): unknown {
  if (typeof first === 'string') return first;
  return first !== null && typeof first === 'object' ? safely(() => (first as { sql?: unknown }).sql, undefined) : undefined;
}

/** The facade for one call on a mysql2 Connection, Pool or PoolConnection; anything else (or any receiver, without an SDK) is returned as it is. */
export function mysql<R>(site: DatastoreSite | undefined, receiver: R): R {
  // Without an SDK the call is made on the receiver itself: one check, nothing else.
  if (!wantsFacade(receiver)) return receiver;
  return new MysqlFacade(site, receiver as unknown as Queryable) as unknown as R;
}

/** A connection's config, a pool's connection config, or the callback object's behind a promise wrapper. */
function endpoint(receiver: object): Endpoint {
  const r = receiver as { config?: { connectionConfig?: unknown }; pool?: { config?: { connectionConfig?: unknown } } };
  const config = (r.config?.connectionConfig ?? r.pool?.config?.connectionConfig ?? r.config) as
    | { host?: unknown; port?: unknown; database?: unknown; socketPath?: unknown }
    | undefined;
  if (!config) return {};
  // Over a Unix socket there is no network address to name.
  const socket = Boolean(config.socketPath);
  return endpointFrom(socket ? undefined : config.host, socket ? undefined : config.port, config.database);
}
