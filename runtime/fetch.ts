import { addMissing, callNeedsTracing, parseUrl, settle, startClientCall, traceHeaders, type ClientCall, type ClientOutcome } from './client';
import { undiciIsInstrumented } from './instrumented';
import type { Site } from './site';

type FetchLike = (input: unknown, init?: RequestInit) => unknown;
type HeadersLike = ConstructorParameters<typeof Headers>[0];
type RequestLike = { url: string; method: string; headers: HeadersLike; signal?: AbortSignal | null };

/**
 * Stands in for a call to the global `fetch`: a CLIENT span around whichever `globalThis.fetch` is current at call
 * time (so tests that stub it keep working), with trace context added to a copy of the caller's headers.
 */
export function fetch(site: Site | undefined, ...args: Parameters<typeof globalThis.fetch>): Promise<Response> {
  return tracedFetch(globalThis.fetch as FetchLike, site, args) as Promise<Response>;
}

/** Stands in for `fetch` imported from undici: the same, around the function the caller imported. */
export function undiciFetch(site: Site | undefined, impl: FetchLike, ...args: [unknown, RequestInit?]): unknown {
  return tracedFetch(impl, site, args);
}

/** A Request, global or undici's own (not an instance of the global class), told by its shape. */
function requestOf(input: unknown): RequestLike | undefined {
  if (typeof input !== 'object' || input === null || input instanceof URL) return undefined;
  const candidate = input as Partial<RequestLike>;
  return typeof candidate.url === 'string' && typeof candidate.method === 'string' && candidate.headers !== undefined
    ? (candidate as RequestLike)
    : undefined;
}

function tracedFetch(impl: FetchLike, site: Site | undefined, args: unknown[]): unknown {
  if (!callNeedsTracing(site)) return impl(...(args as [unknown, RequestInit?]));
  const call = startFetchCall(args, site);
  if (!call) return impl(...(args as [unknown, RequestInit?]));
  return settle(call, impl as (...args: unknown[]) => unknown, undefined, withTraceHeaders(args, call), FETCH_OUTCOME);
}

const FETCH_OUTCOME: ClientOutcome = {
  status: (response) => (response as { status?: unknown } | undefined)?.status,
  cancelled: isAbort,
};

/** The call's span, read from fetch's arguments; none when they cannot be read (the call then goes out as it was). */
function startFetchCall(args: unknown[], site: Site | undefined): ClientCall | undefined {
  try {
    const [input, init] = args as [unknown, RequestInit | undefined];
    const request = requestOf(input);
    const url = parseUrl(request ? request.url : input instanceof URL ? input : String(input));
    return startClientCall(fetchMethod(init?.method) ?? request?.method, url, site, undiciIsInstrumented());
  } catch {
    return undefined;
  }
}

/**
 * Returns the arguments to call fetch with: unchanged when there is nothing to propagate (or the caller's headers
 * cannot be read), else the same input and a new init whose headers are a copy of the effective headers plus trace
 * context. Headers the caller set win.
 */
function withTraceHeaders(args: unknown[], call: ClientCall): unknown[] {
  try {
    return argsWithHeaders(args, traceHeaders(call));
  } catch {
    return args;
  }
}

function argsWithHeaders(args: unknown[], carrier: Record<string, string>): unknown[] {
  if (Object.keys(carrier).length === 0) return args;
  const [input, init] = args as [unknown, RequestInit | undefined];
  // init.headers, when given, replaces a Request's headers entirely (Fetch standard, "new Request(input, init)").
  const base = init?.headers !== undefined ? init.headers : requestOf(input)?.headers;
  // No headers of the caller's to keep: the trace headers go as a plain record, which fetch takes as it would Headers.
  if (base === undefined) return [input, { ...init, headers: carrier }];
  const headers = new Headers(base as HeadersLike);
  addMissing(carrier, (name) => headers.has(name), (name, value) => headers.set(name, value));
  return [input, { ...init, headers }];
}

// Fetch normalises these methods to upper case and sends any other exactly as given (Fetch standard, "normalize").
const NORMALISED_BY_FETCH = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** The method fetch puts on the wire for `init.method`: that is the "original" method. */
function fetchMethod(method: string | undefined): string | undefined {
  if (typeof method !== 'string') return undefined;
  const upper = method.toUpperCase();
  return NORMALISED_BY_FETCH.has(upper) ? upper : method;
}

/** A caller's abort is a decision, not a failure; a timeout (`AbortSignal.timeout`) is a failure. */
function isAbort(error: unknown, [input, init]: readonly unknown[]): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return false;
  if (name === 'AbortError') return true;
  const signal = (init as RequestInit | undefined)?.signal ?? requestOf(input)?.signal;
  return signal?.aborted === true && (signal.reason as { name?: unknown } | undefined)?.name !== 'TimeoutError';
}
