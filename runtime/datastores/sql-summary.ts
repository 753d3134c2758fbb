// What a SQL statement is, without its values: the text with every literal replaced by `?` (db.query.text), and a
// low-cardinality summary of its operations and tables in the order they appear (db.query.summary: `SELECT items`,
// `INSERT orders SELECT carts`). One small tokenizer, no parser: the same code runs in the build (transformer/
// sql-facts.ts, for SQL written as a literal) and at run time (for SQL built at run time, cached by text), so both
// name a query alike. It understands what the drivers autotrace traces send: PostgreSQL and MySQL/MariaDB dialects.

export interface SqlFacts {
  /** `SELECT items`; empty when no operation was recognised. */
  readonly summary: string;
  /** The text with literals (strings, numbers, hex/bit literals) replaced by `?` and comments removed. */
  readonly text: string;
  /** The statement's operation, when it is one operation (`SELECT`, `INSERT`, `CREATE TABLE`). */
  readonly operation?: string;
  /** The table, when the statement is one operation on one table, as written (`public.items`, `"Items"`). */
  readonly collection?: string;
}

type TokenType = 'word' | 'quoted' | 'literal' | 'placeholder' | 'punct' | 'comment';
interface Token {
  readonly type: TokenType;
  readonly start: number;
  readonly end: number;
}

const SUMMARY_LIMIT = 255;

/** Plain operations: the keyword is the operation. */
const OPERATIONS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE', 'UPSERT', 'CALL', 'TRUNCATE', 'COPY', 'VALUES', 'SHOW', 'EXPLAIN', 'LOCK', 'VACUUM', 'ANALYZE', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'SET', 'USE', 'GRANT', 'REVOKE', 'DO', 'LISTEN', 'NOTIFY', 'PREPARE', 'EXECUTE', 'DEALLOCATE', 'START']);
/** Operations named with the kind of object they act on: `CREATE TABLE`, `DROP INDEX`. */
const DDL = new Set(['CREATE', 'ALTER', 'DROP']);
const DDL_OBJECTS = new Set(['TABLE', 'INDEX', 'VIEW', 'SEQUENCE', 'SCHEMA', 'DATABASE', 'FUNCTION', 'PROCEDURE', 'TRIGGER', 'TYPE', 'EXTENSION', 'MATERIALIZED']);
/** After these, the next name is a table. */
const TABLE_BEFORE = new Set(['FROM', 'JOIN', 'INTO', 'UPDATE', 'TABLE', 'TRUNCATE', 'USING', 'COPY', 'LOCK']);
/** Words that may stand between a table keyword and the table. */
const SKIPPED_BEFORE_TABLE = new Set(['ONLY', 'LATERAL', 'IF', 'NOT', 'EXISTS', 'IGNORE', 'LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'QUICK', 'TABLE', 'CONCURRENTLY', 'TEMPORARY', 'TEMP', 'UNLOGGED', 'OR', 'VIEW', 'INDEX']);
/** Words that end a FROM list (`FROM a, b WHERE …`) or cannot be a table's alias. */
const CLAUSES = new Set(['WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT', 'OFFSET', 'UNION', 'INTERSECT', 'EXCEPT', 'ON', 'USING', 'SET', 'VALUES', 'RETURNING', 'WINDOW', 'FOR', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'NATURAL', 'OUTER', 'SELECT', 'FETCH', 'DEFAULT', 'AS', 'WHEN', 'STRAIGHT_JOIN', 'PARTITION', 'WITH', 'DUPLICATE']);

/** Splits SQL into tokens; never throws, whatever the input (an unterminated string runs to the end). */
function tokenize(sql: string, dialect: SqlDialect): Token[] {
  const mysql = dialect === 'mysql';
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  const push = (type: TokenType, start: number, end: number) => tokens.push({ type, start, end });
  while (i < n) {
    const c = sql.charCodeAt(i);
    const start = i;
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++;
    } else if ((c === 45 && sql.charCodeAt(i + 1) === 45) || (c === 35 && mysql)) {
      // `-- comment` (both dialects), `# comment` (MySQL; an operator in PostgreSQL)
      while (i < n && sql.charCodeAt(i) !== 10) i++;
      push('comment', start, i);
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
      push('comment', start, i);
    } else if (c === 39 || c === 34) {
      // '…' strings; "…" is a PostgreSQL identifier, and a MySQL string (unless ANSI_QUOTES, rare: then a name
      // becomes `?`, which hides a name but never shows a value).
      i = quotedEnd(sql, i, c, mysql);
      push(c === 39 || mysql ? 'literal' : 'quoted', start, i);
    } else if (c === 96) {
      i = quotedEnd(sql, i, 96, false);
      push('quoted', start, i);
    } else if ((c === 69 || c === 101 || c === 88 || c === 120 || c === 66 || c === 98 || c === 78 || c === 110) && sql.charCodeAt(i + 1) === 39) {
      // E'…' (backslash escapes in PostgreSQL too), X'…', B'…', N'…'
      i = quotedEnd(sql, i + 1, 39, mysql || c === 69 || c === 101);
      push('literal', start, i);
    } else if (c === 36 && !mysql) {
      // $1 (a placeholder), or $tag$…$tag$ / $$…$$ (a dollar-quoted string)
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      if (j > i + 1) {
        i = j;
        push('placeholder', start, i);
        continue;
      }
      j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++;
      if (sql.charCodeAt(j) === 36) {
        const tag = sql.slice(i, j + 1);
        const close = sql.indexOf(tag, j + 1);
        i = close === -1 ? n : close + tag.length;
        push('literal', start, i);
      } else {
        i = j;
        push('word', start, i);
      }
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      i = numberEnd(sql, i);
      push('literal', start, i);
    } else if (c === 63) {
      i++;
      push('placeholder', start, i);
    } else if (c === 58 && isWordStart(sql.charCodeAt(i + 1)) && sql.charCodeAt(i - 1) !== 58) {
      // :name (named placeholders); `::type` casts are punctuation
      i++;
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
      push('placeholder', start, i);
    } else if (isWordStart(c)) {
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
      push('word', start, i);
    } else {
      i++;
      push('punct', start, i);
    }
  }
  return tokens;
}

function quotedEnd(sql: string, open: number, quote: number, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 92 && backslashEscapes) {
      i += 2;
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i += 2; // '' inside '…'
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}

function numberEnd(sql: string, i: number): number {
  const n = sql.length;
  if (sql.charCodeAt(i) === 48 && (sql[i + 1] === 'x' || sql[i + 1] === 'X' || sql[i + 1] === 'b' || sql[i + 1] === 'B')) {
    i += 2;
    while (i < n && isWordChar(sql.charCodeAt(i))) i++;
    return i;
  }
  while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 46 || sql.charCodeAt(i) === 95)) i++;
  if (sql[i] === 'e' || sql[i] === 'E') {
    let j = i + 1;
    if (sql[j] === '+' || sql[j] === '-') j++;
    if (isDigit(sql.charCodeAt(j))) {
      i = j;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
    }
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}
function isWordChar(c: number): boolean {
  return isWordStart(c) || isDigit(c) || c === 36;
}

/** The SQL dialect a driver speaks: it decides what a `"`, a `#`, a `$` and a backslash are. */
export type SqlDialect = 'postgresql' | 'mysql';

/** The statement's facts; a text that is not a string gives an empty summary and text. */
export function sqlFacts(sql: string, dialect: SqlDialect): SqlFacts {
  if (typeof sql !== 'string') return { summary: '', text: '' };
  const tokens = tokenize(sql, dialect);
  return { ...summarise(sql, tokens), text: sanitise(sql, tokens) };
}

/** Literals become `?`, comments go (they may hold anything), everything else stays as written. */
function sanitise(sql: string, tokens: readonly Token[]): string {
  let out = '';
  let at = 0;
  for (const token of tokens) {
    if (token.type === 'literal' || token.type === 'comment') {
      out += sql.slice(at, token.start) + (token.type === 'literal' ? '?' : ' ');
      at = token.end;
    }
  }
  out += sql.slice(at);
  return out.replace(/\s+/g, ' ').trim();
}

/** Stands for "a name just went by" as the previous word: `UPDATE items SET` is no SET statement. */
const NAME = '(name)';

interface Frame {
  /** Parentheses holding a query (`(SELECT …)`), where table keywords count; not a function's arguments. */
  readonly query: boolean;
}

function summarise(sql: string, tokens: readonly Token[]): Pick<SqlFacts, 'summary' | 'operation' | 'collection'> {
  const parts: string[] = [];
  const operations: string[] = [];
  const tables: string[] = [];
  const frames: Frame[] = [{ query: true }];
  let expectTable = false;
  /** The keyword that made a table expected: after FROM or JOIN, `name(` is a function; after INTO, a column list. */
  let tableKeyword = '';
  let inFromList = false;
  let previousWord = '';
  const significant = tokens.filter((token) => token.type !== 'comment');
  for (let i = 0; i < significant.length; i++) {
    const token = significant[i]!;
    const raw = sql.slice(token.start, token.end);
    const frame = frames[frames.length - 1]!;
    if (token.type === 'punct') {
      if (raw === '(') {
        const next = significant[i + 1];
        const nextWord = next?.type === 'word' ? sql.slice(next.start, next.end).toUpperCase() : '';
        frames.push({ query: nextWord === 'SELECT' || nextWord === 'WITH' || nextWord === 'VALUES' });
        expectTable = false;
      } else if (raw === ')') {
        if (frames.length > 1) frames.pop();
        inFromList = false;
      } else if (raw === ',') {
        expectTable = inFromList && frame.query;
      } else if (raw === ';') {
        expectTable = inFromList = false;
      } else if (raw !== '.') {
        expectTable = false;
      }
      previousWord = raw;
      continue;
    }
    if (token.type !== 'word' && token.type !== 'quoted') {
      expectTable = false;
      previousWord = '';
      continue;
    }
    const word = token.type === 'word' ? raw.toUpperCase() : '';
    if (expectTable && frame.query) {
      if (word !== '' && SKIPPED_BEFORE_TABLE.has(word) && !(word === 'TABLE' && previousWord === 'TABLE')) {
        previousWord = word;
        continue;
      }
      if (word === '' || !CLAUSES.has(word)) {
        const name = qualifiedName(sql, significant, i);
        i = name.last;
        const after = significant[i + 1];
        // A function in FROM (`generate_series(1, 3)`) is no table.
        if (!(after && sql.slice(after.start, after.end) === '(' && (tableKeyword === 'FROM' || tableKeyword === 'JOIN' || tableKeyword === 'USING'))) {
          tables.push(name.text);
          parts.push(name.text);
        }
        expectTable = false;
        previousWord = NAME;
        continue;
      }
      expectTable = false;
    }
    if (word === '') {
      previousWord = '';
      continue;
    }
    if (frame.query && (OPERATIONS.has(word) || DDL.has(word)) && isOperationPosition(previousWord, word)) {
      let operation = word;
      if (DDL.has(word)) {
        const object = nextObjectWord(sql, significant, i);
        if (object) operation = `${word} ${object}`;
      }
      operations.push(operation);
      parts.push(operation);
      if (word === 'UPDATE' || word === 'TRUNCATE' || word === 'COPY' || word === 'LOCK' || (DDL.has(word) && operation !== word)) {
        expectTable = true;
        tableKeyword = word;
      }
      if (word === 'SELECT' || word === 'DELETE') inFromList = false;
    } else if (frame.query && TABLE_BEFORE.has(word) && word !== 'UPDATE' && word !== 'TRUNCATE' && word !== 'COPY' && word !== 'LOCK') {
      // USING is a table list in DELETE … USING, a column list in JOIN … USING (…): the `(` tells them apart.
      expectTable = true;
      tableKeyword = word;
      inFromList = word === 'FROM' || word === 'USING';
    } else if (CLAUSES.has(word) && word !== 'AS') {
      inFromList = inFromList && word === 'JOIN';
    }
    previousWord = word;
  }
  let summary = '';
  for (const part of parts) {
    const next = summary ? `${summary} ${part}` : part;
    if (next.length > SUMMARY_LIMIT) break;
    summary = next;
  }
  const facts: { summary: string; operation?: string; collection?: string } = { summary };
  if (operations.length === 1) facts.operation = operations[0]!;
  if (operations.length === 1 && tables.length === 1) facts.collection = tables[0]!;
  return facts;
}

/** SELECT after INSERT … or UNION is an operation; `SET` in `UPDATE … SET`, `ON DUPLICATE KEY UPDATE` are not. */
function isOperationPosition(previousWord: string, word: string): boolean {
  if (word === 'SET') return previousWord === '' || previousWord === ';';
  if (word === 'UPDATE') return previousWord !== 'KEY' && previousWord !== 'FOR' && previousWord !== 'DO';
  if (word === 'VALUES') return previousWord === '' || previousWord === ';' || previousWord === '(';
  if (word === 'REPLACE' || word === 'DELETE') return previousWord !== 'ON' && previousWord !== 'OR' && previousWord !== 'THEN';
  if (word === 'EXECUTE' || word === 'DO' || word === 'START' || word === 'ANALYZE' || word === 'LOCK' || word === 'SHOW' || word === 'USE' || word === 'CALL' || word === 'COPY') {
    return previousWord === '' || previousWord === ';';
  }
  if (word === 'SELECT' || word === 'INSERT' || word === 'MERGE' || word === 'WITH') return true;
  if (DDL.has(word) || word === 'TRUNCATE' || word === 'EXPLAIN' || word === 'GRANT' || word === 'REVOKE') return previousWord === '' || previousWord === ';' || previousWord === '(';
  return previousWord === '' || previousWord === ';' || previousWord === ')' || previousWord === '(';
}

/** `CREATE [OR REPLACE] [UNIQUE] INDEX` → INDEX; `CREATE MATERIALIZED VIEW` → MATERIALIZED VIEW. */
function nextObjectWord(sql: string, tokens: readonly Token[], index: number): string | undefined {
  for (let i = index + 1; i < Math.min(tokens.length, index + 6); i++) {
    const token = tokens[i]!;
    if (token.type !== 'word') return undefined;
    const word = sql.slice(token.start, token.end).toUpperCase();
    if (word === 'MATERIALIZED') return 'MATERIALIZED VIEW';
    if (DDL_OBJECTS.has(word)) return word;
  }
  return undefined;
}

/** `schema.table`, `"Quoted"."Table"`, `` `db`.`t` ``: the name as written, and the index of its last token. */
function qualifiedName(sql: string, tokens: readonly Token[], index: number): { text: string; last: number } {
  let last = index;
  while (
    tokens[last + 1] &&
    sql.slice(tokens[last + 1]!.start, tokens[last + 1]!.end) === '.' &&
    tokens[last + 2] &&
    (tokens[last + 2]!.type === 'word' || tokens[last + 2]!.type === 'quoted')
  ) {
    last += 2;
  }
  let text = '';
  for (let i = index; i <= last; i++) text += sql.slice(tokens[i]!.start, tokens[i]!.end);
  return { text, last };
}

const caches: Record<SqlDialect, Map<string, SqlFacts>> = { postgresql: new Map(), mysql: new Map() };
const CACHE_LIMIT = 500;
const LONGEST_CACHED = 4096;

/**
 * The facts of SQL built at run time, cached by text: a service runs the same few hundred statements over and over.
 * The cache is bounded (oldest out first), and very long texts (bulk inserts) are not kept.
 */
export function cachedSqlFacts(sql: string, dialect: SqlDialect): SqlFacts {
  const cache = caches[dialect];
  let facts = cache.get(sql);
  if (facts) return facts;
  facts = sqlFacts(sql, dialect);
  if (sql.length <= LONGEST_CACHED) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(sql, facts);
  }
  return facts;
}
