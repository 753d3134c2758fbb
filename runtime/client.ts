import type { Attributes, Context, Span } from '@opentelemetry/api';
import { invalidSpan, otelApi, otelInUse } from './api';
import { semconv } from './semconv';
import { ensureBootstrapped, recordingTracer } from './bootstrap';
import { defaultPort, methodAttributes, normalizeMethod, redactQuery, type Method } from './http-semconv';
import { learnSite, mayPropagate, siteAttributes, type Site } from './site';
import { isThenable, safely } from './safe';
import { errorTypeOf } from './server';
import { BUILD_CALL, SUPPRESS_TRACING } from './net/owner';

// The CLIENT span every client wrapper shares: start it as a child of the active context, run the real call in a
// context where it is the parent (and other instrumentations stand down), end it once with the outcome.

export interface ClientCall {
  readonly span: Span;
  /** Where the call runs: the span as parent, other instrumentations suppressed when asked. */
  readonly context: Context;
  /** The context to take trace headers from (a suppressed one would inject nothing). */
  readonly headersFrom: Context;
  readonly site: Site | undefined;
  readonly hostname: string | undefined;
}

/**
 * Whether a client call has anything to get from autotrace, asked by each client wrapper before it reads the call's
 * arguments: not while nothing is registered with OpenTelemetry and no request brought trace context (runtime/api.ts),
 * where there is no span to make and no trace to send on, so the call goes out untouched (no URL parsed). Takes in
 * what the site says about the whole process either way.
 */
export function callNeedsTracing(site: Site | undefined): boolean {
  // try, not safely(() => …): this runs for every client call, and a closure per call is what the hot path avoids.
  try {
    learnSite(site);
  } catch {
    // a site the runtime cannot read teaches nothing
  }
  return otelInUse();
}

/**
 * The call's span and contexts. Asked only for a call that needs them: a wrapper asks `callNeedsTracing` first, the
 * run-time net `netOwnsCall`.
 */
export function startClientCall(rawMethod: string | undefined, url: URL | undefined, site: Site | undefined, suppress: boolean): ClientCall {
  ensureBootstrapped();
  const { context, SpanKind, trace } = otelApi();
  const tracer = recordingTracer();
  if (!tracer) {
    // No SDK: no span, just the active context's trace carried on (as the API's no-op span would).
    const active = context.active();
    return { span: trace.getSpan(active) ?? invalidSpan(), context: active, headersFrom: active, site, hostname: url?.hostname };
  }
  const method = normalizeMethod(rawMethod);
  const attributes: Attributes = {};
  methodAttributes(rawMethod ?? 'GET', method, attributes);
  if (url) urlAttributes(url, attributes);
  siteAttributes(site, attributes);
  const parent = context.active();
  const span = tracer.startSpan(clientSpanName(method, site), { kind: SpanKind.CLIENT, attributes }, parent);
  // Marked as the build's own call, so the run-time net (net/owner.ts) makes no second span for it.
  const headersFrom = trace.setSpan(parent, span).setValue(BUILD_CALL, true);
  return {
    span,
    context: suppress ? headersFrom.setValue(SUPPRESS_TRACING, true) : headersFrom,
    headersFrom,
    site,
    hostname: url?.hostname,
  };
}

// Span names by url.template, then by method. A client site is a literal evaluated at each call, a new object every
// time, so names are kept by what the site says rather than by the object; templates come from the build (one per
// call site at most), so the map stays as small as the code.
const namesByTemplate = new Map<string, Map<string, string>>();

/**
 * `{method} {url.template}` when the build knew the template, else `{method}` (HTTP semantic conventions, "Name";
 * `HTTP` stands for a method they do not know). Made once per template and method, not per request.
 */
function clientSpanName(method: Method, site: Site | undefined): string {
  const template = site?.urlTemplate;
  if (typeof template !== 'string') return method.spanName;
  let names = namesByTemplate.get(template);
  if (!names) namesByTemplate.set(template, (names = new Map()));
  let name = names.get(method.spanName);
  if (name === undefined) names.set(method.spanName, (name = `${method.spanName} ${template}`));
  return name;
}

/** url.full without credentials (REDACTED, as the conventions ask) and with signed-URL query values redacted. */
export function urlAttributes(url: URL, attributes: Attributes): void {
  const scheme = url.protocol.slice(0, -1);
  const href = url.href;
  // A copy of the URL only when there is something to redact or drop: most calls carry no credentials and no query.
  if (url.username || url.password || href.includes('?')) {
    const full = new URL(href);
    if (full.username || full.password) {
      full.username = 'REDACTED';
      full.password = 'REDACTED';
    }
    full.search = full.search ? `?${redactQuery(full.search.slice(1))}` : '';
    attributes[semconv().ATTR_URL_FULL] = full.href;
  } else {
    attributes[semconv().ATTR_URL_FULL] = href;
  }
  const hostname = url.hostname;
  attributes[semconv().ATTR_SERVER_ADDRESS] = hostname.charCodeAt(0) === 91 /* [ */ ? hostname.slice(1, -1) : hostname;
  attributes[semconv().ATTR_SERVER_PORT] = url.port ? Number(url.port) : defaultPort(scheme);
}

export function parseUrl(value: unknown): URL | undefined {
  if (value instanceof URL) return value;
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** The trace headers for this call, or none when `propagateTo` excludes its host. */
export function traceHeaders(call: ClientCall): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (mayPropagate(call.site, call.hostname)) otelApi().propagation.inject(call.headersFrom, carrier);
  return carrier;
}

/**
 * Adds trace headers to a header collection, never overwriting one the caller set; a tracestate belongs with its
 * traceparent, so ours is not paired with the caller's.
 */
export function addMissing(carrier: Record<string, string>, has: (name: string) => boolean, set: (name: string, value: string) => void): void {
  const callerTraceparent = has('traceparent');
  for (const [name, value] of Object.entries(carrier)) {
    if (has(name) || (name === 'tracestate' && callerTraceparent)) continue;
    set(name, value);
  }
}

/** Node-style headers as the caller gave them: an object, a flat `[name, value, …]` array, or `[name, value]` pairs. */
export type NodeHeaders = readonly unknown[] | Iterable<readonly [string, unknown]> | Record<string, unknown>;

/**
 * A copy of the caller's headers with the trace headers added where the caller set none, in the caller's own form,
 * told apart as Node's `_storeHeader` tells them: an array whose first element is an array holds pairs and stays
 * pairs, any other array is flat and stays flat; an object (or a non-array iterable of pairs, as undici takes)
 * becomes a new object.
 */
export function withMissingHeaders(given: NodeHeaders | null | undefined, carrier: Record<string, string>): unknown[] | Record<string, unknown> {
  if (Array.isArray(given)) {
    const list: unknown[] = [...given];
    const pairs = list.length > 0 && Array.isArray(list[0]);
    const nameList = pairs ? list.map((pair) => (pair as unknown[])[0]) : list.filter((_, i) => i % 2 === 0);
    const names = new Set(nameList.map((name) => String(name).toLowerCase()));
    addMissing(carrier, (name) => names.has(name), (name, value) => (pairs ? list.push([name, value]) : list.push(name, value)));
    return list;
  }
  const copy: Record<string, unknown> = {};
  if (given && typeof (given as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of given as Iterable<readonly [string, unknown]>) copy[name] = value;
  } else if (given) {
    Object.assign(copy, given);
  }
  const names = new Set(Object.keys(copy).map((name) => name.toLowerCase()));
  addMissing(carrier, (name) => names.has(name), (name, value) => (copy[name] = value));
  return copy;
}

/** Ends with the response status: 4xx and 5xx are errors on a CLIENT span (HTTP semantic conventions, "Status"). */
export function endWithStatus(call: ClientCall, status: unknown): void {
  // try/catch rather than safely(): this runs at the end of every call, and each safely() would be a closure.
  try {
    if (typeof status === 'number') {
      call.span.setAttribute(semconv().ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 400) {
        call.span.setAttribute(semconv().ATTR_ERROR_TYPE, String(status));
        call.span.setStatus({ code: otelApi().SpanStatusCode.ERROR });
      }
    }
  } catch {
    // tracing must never break the call
  }
  endSpan(call);
}

/** Ends with a failure, or, for the caller's own cancellation, just ends. */
export function endWithError(call: ClientCall, error: unknown, cancelled: boolean): void {
  // Describing the error reads the caller's object, whose getters may throw: the span is ended whatever happens.
  if (!cancelled) {
    safely(() => call.span.setStatus({ code: otelApi().SpanStatusCode.ERROR }), undefined);
    safely(() => call.span.setAttribute(semconv().ATTR_ERROR_TYPE, errorCodeOf(error)), undefined);
    safely(() => call.span.recordException(error as Error), undefined);
  }
  endSpan(call);
}

function endSpan(call: ClientCall): void {
  try {
    call.span.end();
  } catch {
    // a failing SDK never reaches the caller
  }
}

/** A system or library error code (`ECONNREFUSED`, `ECONNABORTED`, `UND_ERR_HEADERS_TIMEOUT`) says most; else the type. */
function errorCodeOf(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  for (const code of [e?.cause?.code, e?.code]) {
    if (typeof code === 'string' && code && code !== 'ERR_BAD_RESPONSE' && code !== 'ERR_BAD_REQUEST') return code;
  }
  return errorTypeOf(error);
}

/**
 * How a client reports its outcome: the status of what it resolved with, and which failures are cancellations (told
 * from the error and the arguments the call was made with). One object per client, made once: no closures per call.
 */
export interface ClientOutcome {
  status(value: unknown): unknown;
  cancelled(error: unknown, args: readonly unknown[]): boolean;
  /** The status of an HTTP error a client rejects with (axios rejects on 4xx/5xx by default). */
  errorStatus?(error: unknown): unknown;
}

/** The status of what a client resolved with; its getters may throw, never into the caller. */
function statusOf(outcome: ClientOutcome, value: unknown): unknown {
  try {
    return outcome.status(value);
  } catch {
    return undefined;
  }
}

/**
 * Makes the real call, `fn.apply(thisArg, args)`, in `runIn` (the call's context unless given), ends the span once
 * with the outcome, and hands back exactly what the client gave: its value, its promise's settlement, its throw.
 */
export function settle(
  call: ClientCall,
  fn: (...args: unknown[]) => unknown,
  thisArg: unknown,
  args: readonly unknown[],
  outcome: ClientOutcome,
  runIn: Context = call.context,
): unknown {
  let pending: unknown;
  try {
    pending = otelApi().context.with(runIn, fn, thisArg, ...args);
  } catch (error) {
    endWithError(call, error, safely(() => outcome.cancelled(error, args), false));
    throw error;
  }
  if (!isThenable(pending)) {
    endWithStatus(call, undefined);
    return pending;
  }
  return pending.then(
    (value) => {
      endWithStatus(call, statusOf(outcome, value));
      return value;
    },
    (error: unknown) => {
      // The outcome functions read the client's objects (a response's getters may throw): never into the caller.
      const status = safely(() => outcome.errorStatus?.(error), undefined);
      if (typeof status === 'number') endWithStatus(call, status);
      else endWithError(call, error, safely(() => outcome.cancelled(error, args), false));
      throw error;
    },
  );
}
