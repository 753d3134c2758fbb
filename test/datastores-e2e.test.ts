import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { serveApp } from './helpers/http';
import { assertSpan, installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir, requireFromRepo } from './helpers/paths';
import { startMariadb, startPostgres, startRedis, type RealServer } from './helpers/real-servers';
import { until } from './helpers/wait';

// fixtures/datastores-e2e built by tspc with the plugin and run beside a real SDK, against a real Redis, PostgreSQL
// and MariaDB: an Express service reads products through a Redis cache into each database (a miss: GET, SELECT, SET;
// then a hit: GET alone), writes orders through a pooled client with bound values, and sends a query the database
// refuses. Each call is one CLIENT span under the request's SERVER span with the database conventions' attributes,
// the refused one an error with the database's code; and no bound value, nor what was written to the cache, is on
// any span.

const REDIS_PORT = 21430;
const PG_PORT = 21440;
const MYSQL_PORT = 21450;
const project = join(fixturesDir, 'datastores-e2e');

// Strings that must never reach a span: the products' names (read from the database, written to Redis as the cached
// value) and every value the orders bind as parameters.
const CACHED_VALUES = ['pg-product-name-8823', 'mysql-product-name-6419'];
const PARAMETERS = {
  pgOrder: { ref: 'pg-ref-param-5150', note: 'pg-note-param-3317', quantity: 2 },
  pgBadOrder: { ref: 'pg-ref-param-9042', note: 'pg-note-param-2264', quantity: 'pg-quantity-param-7781' },
  mysqlOrder: { ref: 'mysql-ref-param-4471', note: 'mysql-note-param-6602', quantity: 3 },
  mysqlDuplicate: { ref: 'mysql-ref-param-4471', note: 'mysql-note-param-1939', quantity: 4 },
};

const sdk = installSdk();
let servers: RealServer[] = [];
let base = '';
let closeAll: (() => Promise<void>) | undefined;

type Service = { createService(ports: { redisPort: number; pgPort: number; mysqlPort: number }): Promise<{ app: import('node:http').RequestListener; close(): Promise<void> }> };

beforeAll(async () => {
  rmSync(join(project, 'out'), { recursive: true, force: true });
  const started = await Promise.allSettled([startRedis(REDIS_PORT), startPostgres(PG_PORT), startMariadb(MYSQL_PORT)]);
  servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  const build = await tspcBuild(project);
  expect(build.code, build.stdout + build.stderr).toBe(0);
  expect(build.stdout + build.stderr).toContain('coverage 100%');
  const mysql = requireFromRepo('mysql2/promise') as typeof import('mysql2/promise');
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: MYSQL_PORT, user: 'root' });
  await admin.query('CREATE DATABASE shop');
  await admin.end();
  const { createService } = requireFromRepo(join(project, 'out', 'service.js')) as Service;
  const service = await createService({ redisPort: REDIS_PORT, pgPort: PG_PORT, mysqlPort: MYSQL_PORT });
  const served = await serveApp(service);
  base = served.url;
  closeAll = served.close;
}, 180_000);

afterAll(async () => {
  await closeAll?.();
  await Promise.all(servers.map((server) => server.stop()));
});

/**
 * Sends one request and returns its status, body, its SERVER span and the datastore CLIENT spans of its trace in the
 * order they started. Requests go one at a time, and nothing else here makes spans, so the spans ended since the
 * request was sent are its own (with the test's fetch's CLIENT span, made by the run-time net).
 */
async function request(method: string, path: string, body?: unknown) {
  const before = sdk.spans().length;
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await response.text();
  // The SERVER span ends when the response has finished, which may be after the client has read it.
  const server = await until(`the SERVER span of ${method} ${path}`, () => sdk.spans().slice(before).find((span) => span.kind === SpanKind.SERVER), 15_000);
  const clients = sdk
    .spans()
    .slice(before)
    .filter((span) => span.kind === SpanKind.CLIENT && span.attributes['db.system.name'] !== undefined)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  for (const client of clients) {
    expect(client.spanContext().traceId, client.name).toBe(server.spanContext().traceId);
    expect(parentSpanId(client), client.name).toBe(server.spanContext().spanId);
  }
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, server, clients };
}

const redisAttributes = (operation: string) => ({
  'db.system.name': 'redis',
  'db.operation.name': operation,
  'server.address': '127.0.0.1',
  'server.port': REDIS_PORT,
  'code.file.path': 'src/service.ts',
});

const DATABASES = [
  { name: 'PostgreSQL (pg)', prefix: 'pg', system: 'postgresql', port: PG_PORT, product: CACHED_VALUES[0] },
  { name: 'MariaDB (mysql2)', prefix: 'mysql', system: 'mysql', port: MYSQL_PORT, product: CACHED_VALUES[1] },
] as const;

describe.each(DATABASES)('an Express service through Redis and $name', ({ prefix, system, port, product }) => {
  const sql = (operation: string, table: string) => ({
    'db.system.name': system,
    'db.operation.name': operation,
    'db.collection.name': table,
    'db.query.summary': `${operation} ${table}`,
    'server.address': '127.0.0.1',
    'server.port': port,
    'code.file.path': 'src/service.ts',
  });

  it('reads through the cache: a miss is GET, SELECT, SET under the SERVER span; the next read is one GET', async () => {
    const miss = await request('GET', `/${prefix}/products/1`);
    expect(miss.status).toBe(200);
    expect(miss.json).toEqual({ cached: false, product: { id: 1, name: product } });
    expect(miss.clients.map((span) => span.name)).toEqual(['GET', 'SELECT products', 'SET']);
    assertSpan(miss.clients[0], { name: 'GET', kind: SpanKind.CLIENT, attributes: redisAttributes('GET') });
    assertSpan(miss.clients[1], { name: 'SELECT products', kind: SpanKind.CLIENT, attributes: sql('SELECT', 'products') });
    assertSpan(miss.clients[2], { name: 'SET', kind: SpanKind.CLIENT, attributes: redisAttributes('SET') });

    const hit = await request('GET', `/${prefix}/products/1`);
    expect(hit.json).toEqual({ cached: true, product: { id: 1, name: product } });
    expect(hit.clients.map((span) => span.name)).toEqual(['GET']);
    assertSpan(hit.clients[0], { name: 'GET', kind: SpanKind.CLIENT, attributes: redisAttributes('GET') });
  }, 60_000);

  it('writes through a client taken from the pool: one INSERT span with its values bound apart', async () => {
    const order = prefix === 'pg' ? PARAMETERS.pgOrder : PARAMETERS.mysqlOrder;
    const { status, clients } = await request('POST', `/${prefix}/orders`, order);
    expect(status).toBe(201);
    expect(clients.map((span) => span.name)).toEqual(['INSERT orders']);
    assertSpan(clients[0], { name: 'INSERT orders', kind: SpanKind.CLIENT, attributes: sql('INSERT', 'orders') });
  }, 60_000);

  it('a query the database refuses is an error span with its code, and the service gets the error as before', async () => {
    const order = prefix === 'pg' ? PARAMETERS.pgBadOrder : PARAMETERS.mysqlDuplicate;
    const { status, json, clients } = await request('POST', `/${prefix}/orders`, order);
    expect(status).toBe(400);
    // PostgreSQL: invalid_text_representation (a quantity that is no integer); MySQL: the duplicate order's error
    // number, which its conventions give as db.response.status_code (its SQLSTATE, 23000, names only the class).
    const code = prefix === 'pg' ? '22P02' : '1062';
    expect(json).toMatchObject(prefix === 'pg' ? { code } : { code: 'ER_DUP_ENTRY', errno: 1062 });
    expect(clients.map((span) => span.name)).toEqual(['INSERT orders']);
    assertSpan(clients[0], {
      name: 'INSERT orders',
      kind: SpanKind.CLIENT,
      status: SpanStatusCode.ERROR,
      attributes: { ...sql('INSERT', 'orders'), 'db.response.status_code': code, 'error.type': code },
    });
    expect(clients[0]!.events.map((event) => event.name)).toEqual(['exception']);
  }, 60_000);
});

describe('what no span carries', () => {
  it('neither a bound parameter nor the value written to Redis, in any attribute, event or status of any span', () => {
    const spans: readonly ReadableSpan[] = sdk.spans();
    // Every request above made its spans: 2 reads, 1 write and 1 refused write per database.
    expect(spans.filter((span) => span.kind === SpanKind.SERVER)).toHaveLength(8);
    const secrets = [...CACHED_VALUES, ...Object.values(PARAMETERS).flatMap((order) => [order.ref, order.note, String(order.quantity)].filter((value) => value.includes('-')))];
    expect(secrets).toHaveLength(2 + 8 + 1);
    for (const span of spans) {
      const seen = JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links });
      for (const secret of secrets) expect.soft(seen, `${SpanKind[span.kind]} ${span.name} carries ${secret}`).not.toContain(secret);
    }
  });
});
