import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { canRecord, currentTracer, ensureBootstrapped } from '../bootstrap';
import { isThenable, safely } from '../safe';
import { errorTypeOf } from '../server';
import { learnSite, siteAttributes, type Site } from '../site';
import { semconv } from '../semconv';
import { inScope } from './span';

// The CLIENT span of one Redis command or one batch (pipeline, MULTI), as the database and Redis semantic conventions
// describe it. Values never reach it: db.query.text is the command and its keys (or `?` for each key when the site
// asks to redact them), and a failure's message, which Redis may fill with the command's arguments, is not recorded;
// its error prefix (`WRONGTYPE`) is.

/** What the build tells a Redis site beyond where it is (see transformer/analyse.ts). */
export interface RedisSite extends Site {
  /** The command the method sends (`HSET` for `hSet`), from the build's command table. */
  readonly queryOperation?: string;
  /** Spans also for commands outside any trace (the `datastoreSpans: "always"` option). */
  readonly rootSpans?: boolean;
  /** Keys are shown as `?` in db.query.text (the `redactRedisKeys` option). */
  readonly redactKeys?: boolean;
}

/** Where a client is connected, read from its options. */
export interface Connection {
  readonly host?: string;
  readonly port?: number;
  readonly database?: number;
}

/** One command or batch: the operation name, the query text, and the batch size for batches. */
export interface RedisOperation {
  readonly name: string;
  readonly text: string;
  readonly batchSize?: number;
}

// db.system.name's value for Redis is still in the incubating entry point, which is large to load for one string.
const REDIS = 'redis';

/** Whether a command here gets a span: an SDK is there, and (unless the site says `always`) a trace is going on. */
export function shouldTrace(site: RedisSite | undefined): boolean {
  ensureBootstrapped();
  if (!canRecord()) return false;
  return inScope(site, context.active());
}

export function startRedisSpan(operation: RedisOperation, connection: Connection | undefined, site: RedisSite | undefined): Span {
  learnSite(site);
  const attributes: Attributes = {
    [semconv().ATTR_DB_SYSTEM_NAME]: REDIS,
    [semconv().ATTR_DB_OPERATION_NAME]: operation.name,
    [semconv().ATTR_DB_QUERY_TEXT]: operation.text,
  };
  if (operation.batchSize !== undefined && operation.batchSize >= 2) attributes[semconv().ATTR_DB_OPERATION_BATCH_SIZE] = operation.batchSize;
  if (connection) {
    if (typeof connection.database === 'number') attributes[semconv().ATTR_DB_NAMESPACE] = String(connection.database);
    // Both clients connect to localhost:6379 when their options name no server.
    attributes[semconv().ATTR_SERVER_ADDRESS] = connection.host ?? 'localhost';
    attributes[semconv().ATTR_SERVER_PORT] = connection.port ?? 6379;
  }
  siteAttributes(site, attributes);
  // Named by the operation alone: the Redis conventions keep the numeric db.namespace out of the name.
  return currentTracer().startSpan(operation.name, { kind: SpanKind.CLIENT, attributes }, context.active());
}

/**
 * Runs the command with its span as the active one, ends the span with the outcome, and hands back exactly what the
 * client gave. A command given a callback (ioredis) has its promise returned as it is and observed on the side: the
 * client handles that promise's rejection for the callback, and a second, derived promise would reject unhandled.
 */
export function runTraced(span: Span, run: () => unknown, hasCallback: boolean): unknown {
  const active = trace.setSpan(context.active(), span);
  let pending: unknown;
  try {
    pending = context.with(active, run);
  } catch (error) {
    endRedisSpan(span, error, true);
    throw error;
  }
  if (!isThenable(pending)) {
    endRedisSpan(span, undefined, false);
    return pending;
  }
  const ended = () => endRedisSpan(span, undefined, false);
  const failed = (error: unknown) => endRedisSpan(span, error, true);
  if (hasCallback) {
    pending.then(ended, failed);
    return pending;
  }
  return pending.then(
    (value) => {
      ended();
      return value;
    },
    (error: unknown) => {
      failed(error);
      throw error;
    },
  );
}

function endRedisSpan(span: Span, error: unknown, failed: boolean): void {
  if (failed) {
    safely(() => {
      const prefix = errorPrefix(error);
      if (prefix !== undefined) span.setAttribute(semconv().ATTR_DB_RESPONSE_STATUS_CODE, prefix);
      span.setAttribute(semconv().ATTR_ERROR_TYPE, prefix ?? errorCode(error) ?? errorTypeOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }, undefined);
  }
  safely(() => span.end(), undefined);
}

// The clients' classes for an error Redis replied with (ioredis, node-redis 4, node-redis 5 and 6).
const REPLY_ERRORS = new Set(['ReplyError', 'ErrorReply', 'SimpleError', 'BlobError']);

/** The Redis error prefix (`ERR`, `WRONGTYPE`, `NOSCRIPT`) of an error Redis replied with. */
function errorPrefix(error: unknown): string | undefined {
  const e = error as { name?: unknown; message?: unknown; constructor?: { name?: unknown } } | null;
  if (!e || !(REPLY_ERRORS.has(String(e.name)) || REPLY_ERRORS.has(String(e.constructor?.name)))) return undefined;
  const match = typeof e.message === 'string' ? /^([A-Z][A-Z_-]+)(?:\s|$)/.exec(e.message) : null;
  return match ? match[1] : undefined;
}

/** A system error code (`ECONNREFUSED`) says most about a connection failure. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code ? code : undefined;
}
