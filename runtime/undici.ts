import { callNeedsTracing, parseUrl, settle, startClientCall, traceHeaders, withMissingHeaders, type ClientCall, type ClientOutcome, type NodeHeaders } from './client';
import { undiciIsInstrumented } from './instrumented';
import { safely } from './safe';
import type { Site } from './site';

// undici's `request(url, options)`. It resolves for every status (4xx/5xx included) unless `throwOnError` is set.

type RequestFn = (url: unknown, options?: UndiciOptions) => unknown;
interface UndiciOptions {
  method?: string;
  headers?: Record<string, string | string[] | undefined> | string[] | Iterable<[string, string]> | null;
  signal?: { aborted?: boolean } | null;
  [key: string]: unknown;
}

export function undiciRequest(site: Site | undefined, impl: RequestFn, url: unknown, options?: UndiciOptions): unknown {
  if (!callNeedsTracing(site)) return impl(url, options);
  const call = safely(() => startClientCall(options?.method, urlOf(url, options), site, undiciIsInstrumented()), undefined);
  if (!call) return impl(url, options);
  const callOptions = safely(() => withTraceHeaders(options, call), options);
  return settle(call, impl as (...args: unknown[]) => unknown, undefined, [url, callOptions], REQUEST_OUTCOME);
}

const REQUEST_OUTCOME: ClientOutcome = {
  status: (response) => (response as { statusCode?: unknown } | undefined)?.statusCode,
  // With `throwOnError`, a 4xx/5xx rejects with a ResponseStatusCodeError carrying the status.
  errorStatus: (error) => (error as { statusCode?: unknown } | null)?.statusCode,
  // The options called with are a copy of the caller's with the same signal.
  cancelled: (error, [, options]) => isCancel(error, options as UndiciOptions | undefined),
};

/** string, URL, or a UrlObject (`{ origin, path }`), as undici takes them. */
function urlOf(url: unknown, options: UndiciOptions | undefined): URL | undefined {
  if (typeof url === 'object' && url !== null && !(url instanceof URL)) {
    const { origin, path, pathname } = url as { origin?: unknown; path?: unknown; pathname?: unknown };
    return parseUrl(`${String(origin ?? '')}${String(path ?? pathname ?? '')}`);
  }
  const parsed = parseUrl(url);
  return parsed && typeof options?.path === 'string' ? parseUrl(new URL(options.path, parsed).href) : parsed;
}

/** A copy of the options with trace headers added to a copy of the caller's headers. */
function withTraceHeaders(options: UndiciOptions | undefined, call: ClientCall): UndiciOptions | undefined {
  const carrier = traceHeaders(call);
  if (Object.keys(carrier).length === 0) return options;
  return { ...options, headers: withMissingHeaders(options?.headers as NodeHeaders | undefined, carrier) as UndiciOptions['headers'] };
}

function isCancel(error: unknown, options: UndiciOptions | undefined): boolean {
  const e = error as { name?: unknown; code?: unknown } | null;
  if (e?.code === 'UND_ERR_ABORTED' || e?.name === 'AbortError') return true;
  return options?.signal?.aborted === true && e?.name !== 'TimeoutError';
}
