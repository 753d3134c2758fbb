import { describe, expect, it } from 'vitest';
import { cachedSqlFacts, sqlFacts } from '../runtime/datastores/sql-summary';
import { dbSpanName } from '../runtime/datastores/span';
import { parseOptions } from '../transformer/options';
import { typescript } from './helpers/compile';
import { requireFromRepo } from './helpers/paths';

// The one SQL summariser the build and the runtime share: what it names a statement (db.query.summary, operation,
// table) and what it leaves of its text (db.query.text: every literal a `?`, comments gone).

describe('db.query.summary, db.operation.name and db.collection.name', () => {
  it.each([
    ['SELECT * FROM items WHERE id = $1', 'SELECT items', 'SELECT', 'items'],
    ['select id from public.items i where i.price > 10', 'SELECT public.items', 'SELECT', 'public.items'],
    ['INSERT INTO orders (id, total) VALUES ($1, $2) RETURNING id', 'INSERT orders', 'INSERT', 'orders'],
    ['UPDATE items SET price = 3 WHERE id = 7', 'UPDATE items', 'UPDATE', 'items'],
    ['DELETE FROM items WHERE id = 1', 'DELETE items', 'DELETE', 'items'],
    ['CREATE TABLE IF NOT EXISTS items (id serial, name text)', 'CREATE TABLE items', 'CREATE TABLE', 'items'],
    ['DROP TABLE items', 'DROP TABLE items', 'DROP TABLE', 'items'],
    ['TRUNCATE TABLE items', 'TRUNCATE items', 'TRUNCATE', 'items'],
    ['SELECT * FROM "Items"', 'SELECT "Items"', 'SELECT', '"Items"'],
    ['SELECT * FROM `shop`.`items`', 'SELECT `shop`.`items`', 'SELECT', '`shop`.`items`'],
    ['SELECT extract(year FROM created_at) FROM events', 'SELECT events', 'SELECT', 'events'],
    ['BEGIN', 'BEGIN', 'BEGIN', undefined],
    ['SELECT 1', 'SELECT', 'SELECT', undefined],
  ])('%s → %s', (sql, summary, operation, collection) => {
    const facts = sqlFacts(sql, 'postgresql');
    expect(facts.summary).toBe(summary);
    expect(facts.operation).toBe(operation);
    expect(facts.collection).toBe(collection);
  });

  it('lists every operation and table in order, and then names no single operation or table', () => {
    expect(sqlFacts('INSERT INTO shipping (id, at) SELECT id, at FROM orders', 'postgresql')).toMatchObject({ summary: 'INSERT shipping SELECT orders' });
    expect(sqlFacts('INSERT INTO shipping (id, at) SELECT id, at FROM orders', 'postgresql')).not.toHaveProperty('operation');
    expect(sqlFacts('SELECT * FROM songs, artists WHERE songs.a = artists.id', 'postgresql')).toMatchObject({ summary: 'SELECT songs artists', operation: 'SELECT' });
    expect(sqlFacts('SELECT * FROM songs, artists', 'postgresql')).not.toHaveProperty('collection');
    expect(sqlFacts('SELECT o.id FROM orders o JOIN customers c ON o.c = c.id', 'postgresql').summary).toBe('SELECT orders customers');
    expect(sqlFacts('SELECT d FROM (SELECT * FROM orders) t', 'postgresql').summary).toBe('SELECT SELECT orders');
    expect(sqlFacts('SELECT a FROM t1 UNION SELECT b FROM t2', 'postgresql').summary).toBe('SELECT t1 SELECT t2');
    expect(sqlFacts('DELETE FROM a USING b WHERE a.id = b.id', 'postgresql').summary).toBe('DELETE a b');
  });

  it('takes no function for a table, and no ON DUPLICATE KEY UPDATE for an operation', () => {
    expect(sqlFacts('SELECT * FROM generate_series(1, 3)', 'postgresql').summary).toBe('SELECT');
    expect(sqlFacts("INSERT INTO t (a) VALUES ('x') ON DUPLICATE KEY UPDATE a = 'y'", 'mysql')).toMatchObject({ summary: 'INSERT t', operation: 'INSERT', collection: 't' });
    expect(sqlFacts('INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET a = $1', 'postgresql').summary).toBe('INSERT t');
    expect(sqlFacts('SELECT * FROM jobs WHERE state = $1 FOR UPDATE SKIP LOCKED', 'postgresql').summary).toBe('SELECT jobs');
  });

  it('keeps a summary within 255 characters, cut at a whole word', () => {
    const tables = Array.from({ length: 60 }, (_, i) => `table_number_${i}`);
    const { summary } = sqlFacts(`SELECT * FROM ${tables.join(', ')}`, 'postgresql');
    expect(summary.length).toBeLessThanOrEqual(255);
    expect(summary.startsWith('SELECT table_number_0 table_number_1')).toBe(true);
    expect(tables.some((table) => summary.endsWith(` ${table}`))).toBe(true);
  });

  it('never throws, whatever it is given', () => {
    for (const sql of ['', ';', "'unterminated", '/* open', '$$ open', '"', '((((', ')))', 'FROM', 'SELECT FROM', '\u0000', '$1$']) {
      expect(() => sqlFacts(sql, 'postgresql')).not.toThrow();
      expect(() => sqlFacts(sql, 'mysql')).not.toThrow();
    }
    expect(sqlFacts(undefined as unknown as string, 'mysql')).toEqual({ summary: '', text: '' });
  });
});

describe('db.query.text: literals replaced by ?', () => {
  it.each<[string, 'postgresql' | 'mysql', string]>([
    ["SELECT * FROM t WHERE name = 'it''s secret' AND n = 42", 'postgresql', 'SELECT * FROM t WHERE name = ? AND n = ?'],
    ['SELECT * FROM t WHERE id = $1 AND x = :name AND y::text = $2', 'postgresql', 'SELECT * FROM t WHERE id = $1 AND x = :name AND y::text = $2'],
    ["SELECT $$dollar secret$$, $tag$tagged secret$tag$, E'esc\\'aped secret' FROM t", 'postgresql', 'SELECT ?, ?, ? FROM t'],
    ['SELECT 1.5e10, .5, 0x1F, -3 FROM t', 'postgresql', 'SELECT ?, ?, ?, -? FROM t'],
    ["SELECT x'DEADBEEF', b'0101', N'nat' FROM t", 'mysql', 'SELECT ?, ?, ? FROM t'],
    ['SELECT * FROM t WHERE a = "double secret" AND b = ?', 'mysql', 'SELECT * FROM t WHERE a = ? AND b = ?'],
    ["SELECT * FROM t WHERE a = 'back\\'slash secret'", 'mysql', 'SELECT * FROM t WHERE a = ?'],
    ['SELECT "Col" FROM "Table" WHERE id IN (1, 2, 3)', 'postgresql', 'SELECT "Col" FROM "Table" WHERE id IN (?, ?, ?)'],
    ["SELECT a -- the user's secret\nFROM t /* secret */ WHERE b = 2", 'postgresql', 'SELECT a FROM t WHERE b = ?'],
    ["SELECT a FROM t # secret 'x'\nWHERE c = 1", 'mysql', 'SELECT a FROM t WHERE c = ?'],
    ['SELECT a # b FROM t', 'postgresql', 'SELECT a # b FROM t'],
    ['SELECT col1, t2.col_3 FROM t2', 'postgresql', 'SELECT col1, t2.col_3 FROM t2'],
  ])('%s', (sql, dialect, text) => {
    expect(sqlFacts(sql, dialect).text).toBe(text);
  });

  it('replaces an unterminated literal to the end rather than showing it', () => {
    expect(sqlFacts("SELECT * FROM t WHERE a = 'never closed secret", 'postgresql').text).toBe('SELECT * FROM t WHERE a = ?');
  });
});

describe('the run-time cache', () => {
  it('answers the same text with the same facts, per dialect', () => {
    const first = cachedSqlFacts('SELECT * FROM t WHERE a = "x"', 'mysql');
    expect(cachedSqlFacts('SELECT * FROM t WHERE a = "x"', 'mysql')).toBe(first);
    expect(cachedSqlFacts('SELECT * FROM t WHERE a = "x"', 'postgresql').text).toBe('SELECT * FROM t WHERE a = "x"');
    expect(first.text).toBe('SELECT * FROM t WHERE a = ?');
  });

  it('stays bounded: old texts are dropped once it is full', () => {
    const first = cachedSqlFacts('SELECT * FROM bounded_0', 'postgresql');
    for (let i = 1; i <= 600; i++) cachedSqlFacts(`SELECT * FROM bounded_${i}`, 'postgresql');
    expect(cachedSqlFacts('SELECT * FROM bounded_0', 'postgresql')).not.toBe(first);
  });
});

describe('span names and the datastoreSpans option', () => {
  it('names a span by the summary, else operation and target, else target, else the system', () => {
    expect(dbSpanName('SELECT items', 'SELECT', 'items', 'postgresql')).toBe('SELECT items');
    expect(dbSpanName('', 'SELECT', 'shop', 'mysql')).toBe('SELECT shop');
    expect(dbSpanName(undefined, undefined, 'shop', 'mysql')).toBe('shop');
    expect(dbSpanName(undefined, undefined, undefined, 'postgresql')).toBe('postgresql');
  });

  it('takes "in-trace" (the default) or "always", and names a malformed value', () => {
    expect(parseOptions({}).datastoreSpans).toBe('in-trace');
    expect(parseOptions({ datastoreSpans: 'always' }).datastoreSpans).toBe('always');
    expect(() => parseOptions({ datastoreSpans: true })).toThrow(
      'autotrace: invalid plugin option "datastoreSpans" in compilerOptions.plugins: expected "in-trace" (the default: only inside a trace) or "always", got boolean true',
    );
  });
});

describe('datastore sites without a type checker (import tracking)', () => {
  const { transformModule } = requireFromRepo('./dist/transformer/javascript.js') as typeof import('../transformer/javascript');

  it('follows pg and mysql2 from their imports, with the build facts of literal SQL', () => {
    const output = transformModule(typescript, {
      fileName: '/project/src/module.ts',
      projectRoot: '/project',
      code: `
import { Pool, type PoolClient } from 'pg';
import mysql from 'mysql2/promise';
const pool = new Pool();
const my = mysql.createPool({});
export async function load(client: PoolClient, id: number) {
  await pool.query('SELECT * FROM items WHERE id = $1', [id]);
  await client.query({ text: "UPDATE items SET seen = 'yes'" });
  await my.execute('DELETE FROM carts WHERE id = ?', [id]);
}
`,
    });
    const sites = (output?.records ?? []).filter((r) => r.kind === 'datastore').map((r) => `${r.line} ${r.client} ${r.querySummary} ${r.status}`);
    expect(sites).toEqual(['7 pg SELECT items instrumented', '8 pg UPDATE items instrumented', '9 mysql2 DELETE carts instrumented']);
    expect(output?.code).toContain('__autotrace.pg({ file: "src/module.ts", line: 8, column: 9, function: "load", querySummary: "UPDATE items", queryOperation: "UPDATE", queryCollection: "items", queryText: "UPDATE items SET seen = ?" }, client).query(');
    expect(output?.code).toContain('__autotrace.mysql({');
  });
});
