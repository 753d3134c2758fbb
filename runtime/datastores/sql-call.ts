import type { Attributes } from '@opentelemetry/api';
import { canRecord } from '../bootstrap';
import { safely } from '../safe';
import { dbSpanName, runDbCall, startDbCall, type DatastoreSite, type StatusCodeOf } from './span';
import { cachedSqlFacts, type SqlDialect, type SqlFacts } from './sql-summary';
import { semconv } from '../semconv';

// One SQL query through a driver's facade (pg.ts, mysql.ts): its facts (from the build for a literal, else from the
// run-time summariser), its attributes, its span, and the real call on the real receiver with the same arguments.

export interface SqlDriver {
  readonly system: string;
  readonly dialect: SqlDialect;
  /** Where the receiver connects: read once per receiver. */
  readonly endpoint: (receiver: object) => Endpoint;
  readonly statusCodeOf: StatusCodeOf;
}

export interface Endpoint {
  readonly namespace?: string;
  readonly address?: string;
  readonly port?: number;
}

const endpoints = new WeakMap<object, Endpoint>();

/**
 * Runs `receiver[method](...args)` with a CLIENT span around it when one is wanted (see startDbCall). `text` is the
 * query's SQL as the driver will send it, or undefined when the build's facts stand for it or it is not known.
 */
export function tracedQuery(
  driver: SqlDriver,
  site: DatastoreSite | undefined,
  receiver: object,
  method: string,
  args: readonly unknown[],
  text: unknown,
): unknown {
  const real = (receiver as Record<string, unknown>)[method] as (...a: unknown[]) => unknown;
  const call = startDbCall(site, () => describe(driver, site, receiver, text));
  if (!call) return real.apply(receiver, args as unknown[]);
  return runDbCall(call, args, (list) => real.apply(receiver, list), driver.statusCodeOf);
}

function describe(driver: SqlDriver, site: DatastoreSite | undefined, receiver: object, text: unknown): { name: string; attributes: Attributes } {
  const keys = semconv();
  const facts = factsOf(driver, site, text);
  let endpoint = endpoints.get(receiver);
  if (!endpoint) endpoints.set(receiver, (endpoint = safely(() => driver.endpoint(receiver), {})));
  const attributes: Attributes = { [keys.ATTR_DB_SYSTEM_NAME]: driver.system };
  if (endpoint.namespace) attributes[keys.ATTR_DB_NAMESPACE] = endpoint.namespace;
  if (facts?.summary) attributes[keys.ATTR_DB_QUERY_SUMMARY] = facts.summary;
  if (facts?.operation) attributes[keys.ATTR_DB_OPERATION_NAME] = facts.operation;
  if (facts?.collection) attributes[keys.ATTR_DB_COLLECTION_NAME] = facts.collection;
  if (facts?.text) attributes[keys.ATTR_DB_QUERY_TEXT] = facts.text;
  if (endpoint.address) attributes[keys.ATTR_SERVER_ADDRESS] = endpoint.address;
  if (endpoint.port !== undefined) attributes[keys.ATTR_SERVER_PORT] = endpoint.port;
  const name = dbSpanName(facts?.summary, facts?.operation, facts?.collection ?? endpoint.namespace, driver.system);
  return { name, attributes };
}

/** The build's facts for SQL written as a literal; the run-time summariser's (cached by text) for the rest. */
function factsOf(driver: SqlDriver, site: DatastoreSite | undefined, text: unknown): SqlFacts | undefined {
  if (typeof site?.querySummary === 'string') {
    return {
      summary: site.querySummary,
      text: typeof site.queryText === 'string' ? site.queryText : typeof text === 'string' ? text : '',
      ...(typeof site.queryOperation === 'string' ? { operation: site.queryOperation } : {}),
      ...(typeof site.queryCollection === 'string' ? { collection: site.queryCollection } : {}),
    };
  }
  return typeof text === 'string' ? cachedSqlFacts(text, driver.dialect) : undefined;
}

/** Whether a driver's facade is wanted for this receiver: an SDK records, and the receiver has a `query` method. */
export function wantsFacade(receiver: unknown): receiver is object {
  return canRecord() && receiver !== null && typeof receiver === 'object' && typeof (receiver as { query?: unknown }).query === 'function';
}

/** An endpoint from the parts a driver's options give: only those that are there and well-formed. */
export function endpointFrom(host: unknown, port: unknown, database: unknown): Endpoint {
  return {
    ...(typeof host === 'string' && host ? { address: host } : {}),
    ...(portOf(port) !== undefined ? { port: portOf(port) } : {}),
    ...(typeof database === 'string' && database ? { namespace: database } : {}),
  };
}

/** A port as a number, when it is one. */
export function portOf(value: unknown): number | undefined {
  const port = typeof value === 'string' ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port > 0 ? port : undefined;
}
