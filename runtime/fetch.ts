import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { ensureBootstrapped, tracer } from './bootstrap';
import { defaultPort, methodAttributes, normalizeMethod, redactQuery } from './http-semconv';
import { errorTypeOf } from './server';
import { isThenable, safely } from './safe';

type FetchArgs = Parameters<typeof globalThis.fetch>;

/**
 * Stands in for a call to the global `fetch`: a CLIENT span around whichever `globalThis.fetch` is current at call
 * time (so tests that stub it keep working), with trace context added to a copy of the caller's headers.
 */
export function fetch(...args: FetchArgs): Promise<Response> {
  const impl = globalThis.fetch;
  const span = safely(() => startClientSpan(args), undefined);
  if (!span) return impl(...args);
  const callArgs = safely(() => withTraceHeaders(args, span), args);
  let pending: unknown;
  try {
    pending = context.with(trace.setSpan(context.active(), span), () => impl(...callArgs));
  } catch (error) {
    endWithError(span, error, args);
    throw error;
  }
  if (!isThenable(pending)) {
    safely(() => span.end(), undefined);
    return pending as Promise<Response>;
  }
  return (pending as Promise<Response>).then(
    (response) => {
      safely(() => endWithResponse(span, response), undefined);
      return response;
    },
    (error: unknown) => {
      endWithError(span, error, args);
      throw error;
    },
  );
}

function requestOf(input: unknown): Request | undefined {
  return typeof Request === 'function' && input instanceof Request ? input : undefined;
}

function startClientSpan([input, init]: FetchArgs): Span {
  ensureBootstrapped();
  const request = requestOf(input);
  const rawMethod = init?.method ?? request?.method ?? 'GET';
  const method = normalizeMethod(rawMethod);
  const attributes: Attributes = {};
  methodAttributes(rawMethod, method, attributes);
  const url = parseUrl(typeof input === 'string' ? input : request ? request.url : String(input));
  if (url) urlAttributes(url, attributes);
  return tracer.startSpan(method.spanName, { kind: SpanKind.CLIENT, attributes }, context.active());
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** url.full without credentials (REDACTED, as the conventions ask) and with signed-URL query values redacted. */
export function urlAttributes(url: URL, attributes: Attributes): void {
  const scheme = url.protocol.replace(/:$/, '');
  const full = new URL(url.href);
  if (full.username || full.password) {
    full.username = 'REDACTED';
    full.password = 'REDACTED';
  }
  full.search = full.search ? `?${redactQuery(full.search.slice(1))}` : '';
  attributes[ATTR_URL_FULL] = full.href;
  attributes[ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[(.*)\]$/, '$1');
  attributes[ATTR_SERVER_PORT] = url.port ? Number(url.port) : defaultPort(scheme);
}

/**
 * Returns the arguments to call fetch with: unchanged when there is nothing to propagate, else the same input and a
 * new init whose headers are a copy of the effective headers plus trace context. Headers the caller set win.
 */
function withTraceHeaders(args: FetchArgs, span: Span): FetchArgs {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  const keys = Object.keys(carrier);
  if (keys.length === 0) return args;
  const [input, init] = args;
  // init.headers, when given, replaces a Request's headers entirely (Fetch standard, "new Request(input, init)").
  const base = init?.headers !== undefined ? init.headers : requestOf(input)?.headers;
  const headers = new Headers(base);
  const callerTraceparent = headers.has('traceparent');
  for (const key of keys) {
    if (headers.has(key)) continue;
    // A tracestate belongs with its traceparent: never pair ours with the caller's.
    if (key === 'tracestate' && callerTraceparent) continue;
    headers.set(key, carrier[key]!);
  }
  return [input, { ...init, headers }];
}

function endWithResponse(span: Span, response: Response): void {
  const status = response?.status;
  if (typeof status === 'number') {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    // Client spans: 4xx and 5xx are both errors (HTTP semantic conventions, "Status").
    if (status >= 400) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

function endWithError(span: Span, error: unknown, [input, init]: FetchArgs): void {
  safely(() => {
    if (!isAbort(error, init?.signal ?? requestOf(input)?.signal)) {
      span.recordException(error as Error);
      span.setAttribute(ATTR_ERROR_TYPE, networkErrorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }, undefined);
}

/** A caller's abort is a decision, not a failure; a timeout (`AbortSignal.timeout`) is a failure. */
function isAbort(error: unknown, signal: AbortSignal | null | undefined): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return false;
  if (name === 'AbortError') return true;
  return signal?.aborted === true && (signal.reason as { name?: unknown } | undefined)?.name !== 'TimeoutError';
}

/** Node's fetch rejects with `TypeError: fetch failed` and the system error as `cause`: its code says more. */
function networkErrorType(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && code ? code : errorTypeOf(error);
}
