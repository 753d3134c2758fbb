import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { canRecord, currentTracer, ensureBootstrapped } from '../bootstrap';
import { isThenable, safely } from '../safe';
import { errorTypeOf } from '../server';
import { learnSite, siteAttributes, type Site } from '../site';
import { semconv } from '../semconv';

// The CLIENT span of one datastore call (SQL query, cache command), shared by every datastore wrapper: when to make
// one, how to name it, how to run the driver's call under it whichever way the driver reports back (a callback, a
// promise, an event emitter), and how a failure is recorded. A driver supplies only its attributes and how to read
// its errors. The caller's arguments, callback and result are never changed: the callback is called with the same
// `this` and arguments, the promise or emitter is returned as the driver gave it.

/** What a datastore site says beyond code.*: facts the build read from the query, and the scope option. */
export interface DatastoreSite extends Site {
  /** db.query.summary of a query written as a literal (the build computed it). */
  readonly querySummary?: string;
  readonly queryOperation?: string;
  readonly queryCollection?: string;
  /** The literal's text with its literals replaced by `?`, when that differs from the text as written. */
  readonly queryText?: string;
  /** Spans also for calls outside any trace (the `datastoreSpans: "always"` option). */
  readonly rootSpans?: boolean;
}

export interface DbCall {
  readonly span: Span;
  /** The span as the parent: where the driver's call runs. */
  readonly context: Context;
  /** The caller's context: where its callback runs (a driver calls back from its socket's context, not the caller's). */
  readonly parent: Context;
}

/**
 * Starts a datastore call's CLIENT span, or returns undefined when none is wanted: no SDK (nothing beyond this check
 * is done), or no trace in progress (a pool's background chatter starts no trace) unless the site asks for root spans.
 * `describe` (the span's name and attributes) is asked only when a span will be made.
 */
export function startDbCall(site: DatastoreSite | undefined, describe: () => { name: string; attributes: Attributes }): DbCall | undefined {
  if (!canRecord()) return undefined;
  ensureBootstrapped();
  learnSite(site);
  const parent = context.active();
  if (!inScope(site, parent)) return undefined;
  return safely(() => {
    const { name, attributes } = describe();
    siteAttributes(site, attributes);
    const span = currentTracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    return { span, context: trace.setSpan(parent, span), parent };
  }, undefined);
}

/** Whether a datastore call here gets a span: inside a trace in progress, or anywhere when the site asks for root spans. */
export function inScope(site: { readonly rootSpans?: boolean } | undefined, parent: Context): boolean {
  if (site?.rootSpans === true) return true;
  const active = trace.getSpanContext(parent);
  return active !== undefined && isSpanContextValid(active);
}

/**
 * The span's name by the database conventions: the query summary; else `{operation} {target}`; else the target; else
 * the system (`postgresql`).
 */
export function dbSpanName(summary: string | undefined, operation: string | undefined, target: string | undefined, system: string): string {
  if (summary) return summary;
  if (operation) return target ? `${operation} ${target}` : operation;
  return target || system;
}

/** How a driver describes a failure: the status code the database or driver answered with (SQLSTATE, errno). */
export type StatusCodeOf = (error: unknown) => string | undefined;

/**
 * Ends the span: an error sets ERROR, error.type (the status code where there is one) and db.response.status_code,
 * and adds an `exception` event naming the error's type. The error's message is not recorded, nor its stack (which
 * starts with the message): a database quotes the values bound to the query in it (PostgreSQL's `invalid input syntax
 * for type integer: "…"`, MySQL's `Duplicate entry '…'`), and values never reach a span.
 */
export function endDbCall(call: DbCall, error: unknown, statusCodeOf: StatusCodeOf): void {
  if (error !== undefined && error !== null) {
    safely(() => {
      const code = statusCodeOf(error);
      if (code !== undefined) call.span.setAttribute(semconv().ATTR_DB_RESPONSE_STATUS_CODE, code);
      call.span.setAttribute(semconv().ATTR_ERROR_TYPE, code ?? errorTypeOf(error));
      call.span.setStatus({ code: SpanStatusCode.ERROR });
      call.span.addEvent('exception', { [semconv().ATTR_EXCEPTION_TYPE]: errorTypeOf(error) });
    }, undefined);
  }
  safely(() => call.span.end(), undefined);
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Runs `invoke(args)` under the span and ends the span once, by whichever way the driver reports: a callback (the last
 * argument, when it is a function: replaced in a copy of the argument list by one that ends the span and calls it with
 * the same `this` and arguments, in the caller's context, so a query made in it has the request as its parent), else the returned value: an event emitter (its `emit` is wrapped to see `error` and
 * `end` pass, adding no listener, so an unobserved error still throws as before), or a promise (followed by `then`,
 * which settles with the same value or rejection reason). A synchronous throw ends the span and is rethrown unchanged.
 */
export function runDbCall(call: DbCall, args: readonly unknown[], invoke: (args: unknown[]) => unknown, statusCodeOf: StatusCodeOf): unknown {
  let ended = false;
  const end = (error: unknown) => {
    if (ended) return;
    ended = true;
    endDbCall(call, error, statusCodeOf);
  };
  const list = [...args];
  const last = list.length - 1;
  const callback = list[last];
  if (typeof callback === 'function') {
    list[last] = function (this: unknown, ...results: unknown[]) {
      end(results[0]);
      return context.with(call.parent, () => (callback as AnyFunction).apply(this, results));
    };
  }
  let result: unknown;
  try {
    result = context.with(call.context, () => invoke(list));
  } catch (error) {
    end(error);
    throw error;
  }
  if (typeof callback === 'function') return result;
  const emitter = result as { emit?: AnyFunction } | null;
  // An emitter first: mysql2's callback-less Query has a `then` that throws on purpose.
  if (emitter !== null && typeof emitter === 'object' && typeof emitter.emit === 'function') {
    safely(() => {
      const emit = emitter.emit!;
      emitter.emit = function (this: unknown, event: unknown, ...rest: unknown[]) {
        if (event === 'error') end(rest[0]);
        else if (event === 'end') end(undefined);
        return emit.call(this, event, ...rest);
      };
    }, undefined);
    return result;
  }
  if (!isThenable(result)) {
    end(undefined);
    return result;
  }
  // As every client wrapper does (runtime/client.ts settle): the same value or the same rejection reason, and a
  // rejection nobody handles is still unhandled.
  return result.then(
    (value) => {
      end(undefined);
      return value;
    },
    (error: unknown) => {
      end(error ?? new Error('rejected'));
      throw error;
    },
  );
}
