import { addMissing, endWithError, endWithStatus, parseUrl, type ClientCall } from '../client';
import { undiciIsInstrumented } from '../instrumented';
import type { Listener } from './channels';
import { netOwnsCall, netTraceHeaders, startNetCall } from './client';

// Global fetch and the undici package publish the same channels, on Node 20, 22 and 24 alike:
// `undici:request:create` (synchronously inside the call, where `request.addHeader` still works), then
// `undici:request:headers` (the status), `undici:request:trailers` (the body is done) or `undici:request:error`.
// A refused connection publishes create, then error (ECONNREFUSED). A fetch to a port the Fetch standard blocks
// (1, 6000, …) fails before any request exists: no channel, no span.

interface UndiciRequest {
  origin?: unknown;
  path?: unknown;
  method?: unknown;
  headers?: unknown;
  addHeader?(name: string, value: string): unknown;
}

const CREATE = 'undici:request:create';
const calls = new WeakMap<object, ClientCall>();
const statuses = new WeakMap<object, number>();

function onCreate(message: unknown): void {
  if (!netOwnsCall(undiciIsInstrumented)) return; // a call the build traced, or nothing to record: nothing read
  const { request } = message as { request: UndiciRequest };
  const url = parseUrl(`${String(request.origin)}${String(request.path ?? '/')}`);
  const call = startNetCall('undici', typeof request.method === 'string' ? request.method : undefined, url, undiciIsInstrumented);
  if (!call) return;
  calls.set(request, call);
  const names = headerNames(request.headers);
  addMissing(netTraceHeaders(call), (name) => names.has(name), (name, value) => addHeader(request, name, value));
}

/** Lower-cased names of the headers the caller set: a flat `[name, value, …]` array (undici 6+) or raw text (5). */
function headerNames(headers: unknown): Set<string> {
  const names = new Set<string>();
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (typeof headers[i] === 'string') names.add((headers[i] as string).toLowerCase());
  } else if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) if (line.includes(':')) names.add(line.slice(0, line.indexOf(':')).trim().toLowerCase());
  }
  return names;
}

function addHeader(request: UndiciRequest, name: string, value: string): void {
  if (typeof request.addHeader === 'function') request.addHeader(name, value);
  else if (typeof request.headers === 'string') request.headers += `${name}: ${value}\r\n`;
}

/** The net's call for this request, taken out of the map as it ends; undefined for a call the net does not own. */
function takeCall(request: object): ClientCall | undefined {
  const call = calls.get(request);
  if (call) calls.delete(request);
  return call;
}

/** The net's listener for each undici channel (runtime/net/index.ts subscribes them). */
export const handlers: Readonly<Record<string, Listener>> = {
  [CREATE]: onCreate,
  'undici:request:headers': (message) => {
    const { request, response } = message as { request: object; response: { statusCode?: unknown } };
    if (calls.has(request) && typeof response?.statusCode === 'number') statuses.set(request, response.statusCode);
  },
  'undici:request:trailers': (message) => {
    const { request } = message as { request: object };
    const call = takeCall(request);
    if (call) endWithStatus(call, statuses.get(request));
  },
  'undici:request:error': (message) => {
    const { request, error } = message as { request: object; error: unknown };
    const call = takeCall(request);
    if (call) endWithError(call, error, isAbort(error));
  },
};

function isAbort(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | null;
  return e?.code === 'UND_ERR_ABORTED' || e?.name === 'AbortError';
}
