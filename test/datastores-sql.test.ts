import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from './helpers/compile';
import { tspcBuild } from './helpers/fixture-project';
import { serveApp } from './helpers/http';
import { assertSpan, installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir, requireFromRepo } from './helpers/paths';
import { startMariadb, startPostgres, type RealServer } from './helpers/real-servers';

// pg and mysql2 calls of an Express service with no tracing code, built by tspc with the plugin, against a real
// PostgreSQL and a real MariaDB: one CLIENT span per query under the request's SERVER span, named by the query
// summary, with the database conventions' attributes, errors with their SQLSTATE / error number, and no bound value
// or literal on any span.

const PG_PORT = 21200;
const MYSQL_PORT = 21210;
const project = join(fixturesDir, 'datastores-sql');
const SECRET = 'bound-secret-value-7731';

const sdk = installSdk();
let pgServer: RealServer | undefined;
let mysqlServer: RealServer | undefined;
let base = '';
let closeAll: (() => Promise<void>) | undefined;
let setupSpans: readonly ReadableSpan[] = [];

type Service = { createService(ports: { pgPort: number; mysqlPort: number }): Promise<{ app: import('node:http').RequestListener; close(): Promise<void> }> };

beforeAll(async () => {
  const [build, pgStarted, mysqlStarted] = await Promise.all([tspcBuild(project), startPostgres(PG_PORT), startMariadb(MYSQL_PORT)]);
  pgServer = pgStarted;
  mysqlServer = mysqlStarted;
  expect(build.code, build.stdout + build.stderr).toBe(0);
  const mysql = requireFromRepo('mysql2/promise') as typeof import('mysql2/promise');
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: MYSQL_PORT, user: 'root' });
  await admin.query('CREATE DATABASE shop');
  await admin.end();
  const { createService } = requireFromRepo(join(project, 'out', 'service.js')) as Service;
  const service = await createService({ pgPort: PG_PORT, mysqlPort: MYSQL_PORT });
  setupSpans = sdk.spans();
  const served = await serveApp(service);
  base = served.url;
  closeAll = served.close;
}, 120_000);

afterAll(async () => {
  await closeAll?.();
  await Promise.all([pgServer?.stop(), mysqlServer?.stop()]);
});

/** Sends one request and returns its status, body, and the spans of its trace (SERVER first). */
async function request(method: string, path: string, body?: unknown) {
  sdk.reset();
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await response.text();
  const spans = await sdk.waitForSpans(2);
  // The SERVER span ends on the response's finish: wait for it if the CLIENT span came first.
  const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
  // The test's own fetch gets a CLIENT span from the run-time net: only the datastore spans are the service's.
  const clients = spans.filter((span) => span.kind === SpanKind.CLIENT && span.attributes['db.system.name'] !== undefined);
  return { status: response.status, text, server, clients, spans };
}

/** No datastore span carries any of `values` (the request's own URL, on the HTTP spans, is not ours to judge). */
function expectNoValues(spans: readonly ReadableSpan[], ...values: string[]) {
  for (const span of spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes['db.system.name'] !== undefined)) {
    const seen = JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events });
    for (const value of values) expect(seen, `${span.name} carries ${value}`).not.toContain(value);
  }
}

describe('pg and mysql2 through a tspc build, against real servers', () => {
  it('starts no span for set-up queries outside a trace (datastoreSpans "in-trace")', () => {
    expect(setupSpans.map((span) => span.name)).toEqual([]);
  });

  it('reports every datastore site with its operation and table', () => {
    const report = JSON.parse(readFileSync(join(project, 'autotrace-report.json'), 'utf8')) as { sites: Record<string, unknown>[] };
    const datastores = report.sites.filter((site) => site.kind === 'datastore');
    expect(datastores).toHaveLength(13);
    expect(datastores.every((site) => site.status === 'instrumented')).toBe(true);
    expect(datastores.filter((site) => site.client === 'pg')).toHaveLength(7);
    expect(datastores.filter((site) => site.client === 'mysql2')).toHaveLength(6);
    expect(datastores.find((site) => site.line === 32)).toMatchObject({ client: 'pg', operation: 'SELECT', collection: 'items', querySummary: 'SELECT items' });
    expect(datastores.find((site) => site.line === 81)).toMatchObject({ client: 'mysql2', operation: 'INSERT', collection: 'items' });
    // SQL built at run time: the build does not know it.
    expect(datastores.find((site) => site.line === 53)).not.toHaveProperty('operation');
  });

  it('pg: a literal query with a bound value is one CLIENT span under the SERVER span, named by its summary', async () => {
    const { status, server, clients } = await request('GET', '/pg/items/1');
    expect(status).toBe(200);
    expect(clients.map((span) => span.name)).toEqual(['SELECT items']);
    assertSpan(clients[0], {
      name: 'SELECT items',
      kind: SpanKind.CLIENT,
      parent: server.spanContext().spanId,
      traceId: server.spanContext().traceId,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'postgres',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'items',
        'db.query.summary': 'SELECT items',
        'db.query.text': 'SELECT id, name FROM items WHERE id = $1',
        'server.address': '127.0.0.1',
        'server.port': PG_PORT,
        'code.file.path': 'src/service.ts',
        'code.line.number': 32,
      },
    });
  });

  it('pg: a pooled client runs a named prepared statement; its values never reach the span', async () => {
    const { status, clients, spans } = await request('POST', '/pg/items', { name: 'chair', secret: SECRET });
    expect(status).toBe(201);
    assertSpan(clients[0], {
      name: 'INSERT items',
      kind: SpanKind.CLIENT,
      attributes: { 'db.operation.name': 'INSERT', 'db.query.text': 'INSERT INTO items (name, secret) VALUES ($1, $2) RETURNING id' },
    });
    expectNoValues(spans, SECRET, 'chair');
  });

  it('pg: SQL built at run time is summarised and sanitised by the runtime', async () => {
    const { status, clients, spans } = await request('GET', '/pg/search?by=name');
    expect(status).toBe(200);
    assertSpan(clients[0], {
      name: 'SELECT items',
      kind: SpanKind.CLIENT,
      attributes: { 'db.query.summary': 'SELECT items', 'db.query.text': 'SELECT name FROM items WHERE name <> ? ORDER BY name', 'db.collection.name': 'items' },
    });
    expectNoValues(spans, 'inline-literal-secret');
  });

  it('pg: the callback form gets its span and its answer', async () => {
    const { status, text, clients } = await request('GET', '/pg/count');
    expect(status).toBe(200);
    expect(Number(JSON.parse(text).n)).toBeGreaterThan(0);
    assertSpan(clients[0], { name: 'SELECT items', kind: SpanKind.CLIENT, attributes: { 'code.line.number': 58 } });
  });

  it('pg: a failing query is an error span with its SQLSTATE, and the caller gets the error as pg gave it', async () => {
    const { status, text, clients, spans } = await request('GET', `/pg/fail?id=${SECRET}`);
    expect(status).toBe(500);
    expect(JSON.parse(text)).toEqual({ code: '42P01' });
    assertSpan(clients[0], {
      name: 'SELECT missing_table',
      kind: SpanKind.CLIENT,
      status: SpanStatusCode.ERROR,
      attributes: { 'error.type': '42P01', 'db.response.status_code': '42P01', 'db.query.text': 'SELECT * FROM missing_table WHERE id = $1' },
    });
    expect(clients[0]!.events.map((event) => event.name)).toContain('exception');
    expectNoValues(spans, SECRET);
  });

  it('mysql2 promise pool: a query with a bound value', async () => {
    const { status, server, clients } = await request('GET', '/mysql/items/1');
    expect(status).toBe(200);
    expect(clients.map((span) => span.name)).toEqual(['SELECT items']);
    assertSpan(clients[0], {
      name: 'SELECT items',
      kind: SpanKind.CLIENT,
      parent: server.spanContext().spanId,
      attributes: {
        'db.system.name': 'mysql',
        'db.namespace': 'shop',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'items',
        'db.query.text': 'SELECT id, name FROM items WHERE id = ?',
        'server.address': '127.0.0.1',
        'server.port': MYSQL_PORT,
      },
    });
  });

  it('mysql2: execute on a pooled connection; its values never reach the span', async () => {
    const { status, clients, spans } = await request('POST', '/mysql/items', { name: 'stool', secret: SECRET });
    expect(status).toBe(201);
    assertSpan(clients[0], { name: 'INSERT items', kind: SpanKind.CLIENT, attributes: { 'db.query.text': 'INSERT INTO items (name, secret) VALUES (?, ?)' } });
    expectNoValues(spans, SECRET, 'stool');
  });

  it('mysql2 callback pool: the callback form gets its span and its answer', async () => {
    const { status, text, clients } = await request('GET', '/mysql/count');
    expect(status).toBe(200);
    expect(JSON.parse(text)[0].n).toBeGreaterThan(0);
    assertSpan(clients[0], { name: 'SELECT items', kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'mysql' } });
  });

  it('mysql2: a failing query (options object, callback) is an error span with its error number', async () => {
    const { status, text, clients, spans } = await request('GET', `/mysql/fail?id=${SECRET}`);
    expect(status).toBe(500);
    expect(JSON.parse(text).errno).toBe(1146);
    assertSpan(clients[0], {
      name: 'SELECT missing_table',
      kind: SpanKind.CLIENT,
      status: SpanStatusCode.ERROR,
      attributes: { 'error.type': '1146', 'db.response.status_code': '1146' },
    });
    expectNoValues(spans, SECRET);
  });
});

describe('the pg and mysql2 facades, called directly', () => {
  const runtime = requireFromRepo('./dist/runtime/index.js') as typeof import('../runtime/index');
  const { Pool } = requireFromRepo('pg') as typeof import('pg');
  const mysql = requireFromRepo('mysql2') as typeof import('mysql2');

  it('makes root spans only when the site asks (datastoreSpans "always"), and none outside a trace otherwise', async () => {
    const pool = new Pool({ host: '127.0.0.1', port: PG_PORT, user: 'postgres', database: 'postgres' });
    try {
      sdk.reset();
      await runtime.pg({ file: 'a.ts', line: 1, column: 1 }, pool).query('SELECT 1');
      expect(sdk.spans()).toHaveLength(0);
      await runtime.pg({ file: 'a.ts', line: 2, column: 1, rootSpans: true } as never, pool).query('SELECT 1');
      const [span] = await sdk.waitForSpans(1);
      assertSpan(span, { name: 'SELECT', kind: SpanKind.CLIENT, parent: null, attributes: { 'db.query.text': 'SELECT ?' } });
    } finally {
      await pool.end();
    }
  });

  it("hands the caller the driver's error, by callback and by rejection, under the active span", async () => {
    const pool = mysql.createPool({ host: '127.0.0.1', port: MYSQL_PORT, user: 'root', database: 'shop' });
    const pgPool = new Pool({ host: '127.0.0.1', port: PG_PORT, user: 'postgres', database: 'postgres' });
    try {
      sdk.reset();
      const parent = trace.getTracer('test').startSpan('parent');
      await context.with(trace.setSpan(context.active(), parent), async () => {
        const seen = await new Promise<{ args: unknown[]; active: string | undefined }>((resolve) => {
          const callback = (...args: unknown[]) => resolve({ args, active: trace.getActiveSpan()?.spanContext().spanId });
          runtime.mysql(undefined, pool).query('SELECT * FROM nowhere', callback as never);
        });
        expect((seen.args[0] as { errno?: number }).errno).toBe(1146);
        // The callback runs in the caller's context (mysql2 calls back from its connection's), so its own queries
        // are the request's children.
        expect(seen.active).toBe(parent.spanContext().spanId);
        const rejected = await (runtime.pg(undefined, pgPool).query('SELECT * FROM nowhere') as Promise<unknown>).catch((error: unknown) => error);
        expect(rejected).toBeInstanceOf(Error);
        expect((rejected as { code?: string }).code).toBe('42P01');
        // The span names that very object's type, not its message (a database may quote bound values in it).
        const spans = await sdk.waitForSpans(2);
        const pgSpan = spans.find((span) => span.attributes['db.system.name'] === 'postgresql')!;
        expect(pgSpan.events[0]!.attributes).toEqual({ 'exception.type': (rejected as Error).constructor.name });
        expect(parentSpanId(pgSpan)).toBe(parent.spanContext().spanId);
      });
      parent.end();
    } finally {
      await pgPool.end();
      await new Promise<void>((resolve) => pool.end(() => resolve()));
    }
  });
});

describe('a driver version autotrace does not know', () => {
  it('is left as written and reported as a black box', () => {
    const dir = join(project, 'versions');
    mkdirSync(join(dir, 'node_modules', 'pg'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'pg', 'package.json'), JSON.stringify({ name: 'pg', version: '9.0.0' }));
    const { outputs, gaps, diagnostics } = compile([join(dir, 'old-pg.ts')]);
    expect(diagnostics).toEqual([]);
    expect(outputs.get('old-pg.js')).not.toContain('__autotrace.pg');
    expect(gaps.map((gap) => `${gap.what}: ${gap.why}`)).toEqual([
      'pg 9.0.0: a version autotrace does not know (it traces 8.x); its calls are left as written',
    ]);
  });
});
