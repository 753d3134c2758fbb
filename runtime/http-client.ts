import { otelApi } from './api';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import * as https from 'node:https';
import { callNeedsTracing, endWithError, endWithStatus, parseUrl, startClientCall, traceHeaders, withMissingHeaders, type ClientCall } from './client';
import { httpIsInstrumented } from './instrumented';
import { safely } from './safe';
import type { Site } from './site';

// node:http / node:https `request` and `get`, in their three forms: (url[, options][, callback]) and
// (options[, callback]). The call keeps its form; only the options are replaced by a copy with trace headers.
//
// The span ends on the request's 'close', reading `req.res`. No 'response' or 'error' listener is added: either would
// change what Node does (a response nobody listens for is dumped; an error nobody listens for is thrown). Errors are
// seen by wrapping this request's own `emit`, which passes every event on exactly as before.

type RequestFn = (...args: unknown[]) => ClientRequest;
type HeadersOption = OutgoingHttpHeaders | readonly string[];

export function httpRequest(site: Site | undefined, impl: RequestFn, ...args: unknown[]): ClientRequest {
  if (!callNeedsTracing(site)) return impl(...args);
  const parsed = safely(() => parseArgs(impl, args), undefined);
  const call = parsed && safely(() => startClientCall(sentMethod(parsed.options), parsed.url, site, httpIsInstrumented()), undefined);
  if (!parsed || !call) return impl(...args);
  const callArgs = safely(() => withTraceHeaders(args, parsed, call), args);
  let request: ClientRequest;
  try {
    request = otelApi().context.with(call.context, () => impl(...callArgs));
  } catch (error) {
    endWithError(call, error, false);
    throw error;
  }
  safely(() => observe(call, request), undefined);
  return request;
}

/** Node upper-cases the method it sends (`purge` goes out as `PURGE`), so that is the "original" method. */
function sentMethod(options: RequestOptions | undefined): string {
  return String(options?.method || 'GET').toUpperCase();
}

function observe(call: ClientCall, request: ClientRequest): void {
  let failure: unknown;
  const emit = request.emit;
  request.emit = function (this: ClientRequest, event: string | symbol, ...args: unknown[]) {
    if (event === 'error' && failure === undefined) failure = args[0];
    return emit.call(this, event, ...args);
  } as ClientRequest['emit'];
  request.once('close', () => safely(() => endOnClose(call, request, failure), undefined));
}

interface ParsedArgs {
  /** Index of the options object among the arguments, or where one goes. */
  readonly optionsAt: number;
  readonly options: (RequestOptions & { headers?: HeadersOption }) | undefined;
  readonly url: URL | undefined;
}

function parseArgs(impl: RequestFn, args: unknown[]): ParsedArgs {
  const [first, second] = args;
  const hasUrl = typeof first === 'string' || first instanceof URL;
  const optionsAt = hasUrl ? 1 : 0;
  const candidate = hasUrl ? second : first;
  const options = typeof candidate === 'object' && candidate !== null ? (candidate as ParsedArgs['options']) : undefined;
  return { optionsAt, options, url: fullUrl(impl, hasUrl ? first : undefined, options) };
}

/** Node merges url and options, options winning; the scheme defaults by module. */
function fullUrl(impl: RequestFn, url: unknown, options: RequestOptions | undefined): URL | undefined {
  const base = url !== undefined ? parseUrl(url) : undefined;
  const isHttps = impl === https.request || impl === https.get;
  const protocol = options?.protocol ?? base?.protocol ?? (isHttps ? 'https:' : 'http:');
  const hostname = options?.hostname ?? options?.host?.replace(/:\d+$/, '') ?? base?.hostname ?? 'localhost';
  const port = options?.port ?? (base?.port || undefined);
  const path = options?.path ?? (base ? base.pathname + base.search : '/');
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  return parseUrl(`${protocol}//${host}${port !== undefined ? `:${port}` : ''}${path}`);
}

function withTraceHeaders(args: unknown[], parsed: ParsedArgs, call: ClientCall): unknown[] {
  const carrier = traceHeaders(call);
  if (Object.keys(carrier).length === 0) return args;
  const options = { ...parsed.options, headers: withMissingHeaders(parsed.options?.headers, carrier) };
  const callArgs = [...args];
  if (parsed.options) callArgs[parsed.optionsAt] = options;
  else callArgs.splice(parsed.optionsAt, 0, options); // (url, callback) becomes (url, options, callback)
  return callArgs;
}

function endOnClose(call: ClientCall, request: ClientRequest & { res?: IncomingMessage }, failure: unknown): void {
  const response = request.res;
  if (response && failure === undefined) {
    endWithStatus(call, response.statusCode);
    return;
  }
  const error = failure as Error | undefined;
  if (error) {
    const name = (error as { name?: unknown }).name;
    endWithError(call, error, name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR');
    return;
  }
  endWithError(call, undefined, true); // destroyed without an error: the caller ended it
}
