import { safely } from '../safe';
import type { DatastoreSite } from './span';
import { endpointFrom, tracedQuery, wantsFacade, type Endpoint, type SqlDriver } from './sql-call';

// pg 8.x. Emitted code calls `__autotrace.pg(site, pool).query(…)` for `pool.query(…)` on a Pool, a Client or a
// PoolClient: the facade runs the same `query` on the same receiver with the same arguments (text, text + values,
// a config object `{ text, values, name }`, a callback or a promise), with one CLIENT span around it.

interface Queryable {
  query(...args: unknown[]): unknown;
}

const driver: SqlDriver = {
  system: 'postgresql', // DB_SYSTEM_NAME_VALUE_POSTGRESQL, written out: the conventions' package loads on the first recorded span
  dialect: 'postgresql',
  endpoint,
  // An error the server sent (pg's DatabaseError, with its `severity`) carries its SQLSTATE as `code` (`42P01`); a
  // connection error's `code` is Node's (`ECONNREFUSED`), which error.type then says.
  statusCodeOf: (error) => {
    const e = error as { code?: unknown; severity?: unknown } | null;
    return typeof e?.code === 'string' && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  },
};

class PgFacade {
  constructor(
    private readonly site: DatastoreSite | undefined,
    private readonly receiver: Queryable,
  ) {}

  query(...args: unknown[]): unknown {
    const receiver = this.receiver;
    const first = args[0] as { text?: unknown; submit?: unknown; callback?: unknown } | string | null | undefined;
    // A Submittable (pg-cursor, pg-query-stream) reports through its own events, and a config object carrying its
    // own `callback` could only be traced through a copy of it: both go to pg as given, untraced.
    if (first !== null && typeof first === 'object' && (typeof first.submit === 'function' || typeof first.callback === 'function')) {
      return receiver.query(...args);
    }
    const text = typeof first === 'string' ? first : first !== null && typeof first === 'object' ? safely(() => first.text, undefined) : undefined;
    return tracedQuery(driver, this.site, receiver, 'query', args, text);
  }
}

/** The facade for one call on a pg Pool, Client or PoolClient; anything else (or any receiver, without an SDK) is returned as it is. */
export function pg<R>(site: DatastoreSite | undefined, receiver: R): R {
  // Without an SDK the call is made on the receiver itself: one check, nothing else.
  if (!wantsFacade(receiver)) return receiver;
  return new PgFacade(site, receiver as unknown as Queryable) as unknown as R;
}

/** A Client knows its resolved parameters; a Pool only the options it was made with (or a connection string). */
function endpoint(receiver: object): Endpoint {
  const client = receiver as { host?: unknown; port?: unknown; database?: unknown; options?: Record<string, unknown> };
  if (typeof client.host === 'string') {
    return endpointFrom(client.host, client.port, client.database);
  }
  const options = client.options ?? {};
  if (typeof options.connectionString === 'string') {
    const url = safely(() => new URL(options.connectionString as string), undefined);
    if (url) return endpointFrom(decodeURIComponent(url.hostname) || options.host, url.port || options.port, url.pathname.slice(1) || options.database);
  }
  return endpointFrom(options.host ?? process.env.PGHOST ?? 'localhost', options.port ?? process.env.PGPORT ?? 5432, options.database ?? process.env.PGDATABASE ?? options.user);
}
