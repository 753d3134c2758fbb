import type { ClientRequest, IncomingMessage } from 'node:http';
import { addMissing, endWithError, endWithStatus, type ClientCall } from '../client';
import { httpIsInstrumented } from '../instrumented';
import type { Listener } from './channels';
import { netOwnsCall, netTraceHeaders, startNetCall } from './client';

// node:http / node:https client requests made by code no build-time site wrapped. Node 22+ publishes
// `http.client.request.created` from the ClientRequest constructor, before the headers are written: the span starts
// there and the trace headers are set on the request. Node 20 publishes only `http.client.request.start`, after the
// headers went out (setHeader throws ERR_HTTP_HEADERS_SENT), in a later tick: the span is still made, in the caller's
// context, but no trace context can reach the server. The span ends with the response's status
// (`http.client.response.finish`, published when the response arrives), with `http.client.request.error`, or, for a
// request destroyed with neither, on its 'close'.

// The call made for each request, or null when the net stood down for it (so that `start` does not decide again).
const calls = new WeakMap<ClientRequest, ClientCall | null>();

function urlOf(request: ClientRequest): URL | undefined {
  const authority = request.getHeader('host') ?? request.host;
  try {
    return new URL(`${request.protocol}//${String(authority)}${request.path}`);
  } catch {
    return undefined;
  }
}

// Marks a request the net stood down for at `created`, so that `start` does not decide again: a property, not a
// WeakMap entry, since most calls (the build's own) end here and an entry per call costs the garbage collector more.
const STOOD_DOWN = Symbol('autotrace.net.stood-down');

function standDown(request: ClientRequest): void {
  Object.defineProperty(request, STOOD_DOWN, { value: true, configurable: true });
}

function begin(request: ClientRequest, canSetHeaders: boolean): void {
  if ((request as { [STOOD_DOWN]?: true })[STOOD_DOWN] || calls.has(request)) return;
  if (!netOwnsCall(httpIsInstrumented)) return standDown(request);
  const call = startNetCall('http', request.method, urlOf(request), httpIsInstrumented) ?? null;
  calls.set(request, call);
  if (!call) return;
  request.once('close', () => {
    const open = takeCall(request);
    if (open) endWithStatus(open, undefined);
  });
  // Headers given as a raw array are written in the constructor already: the request then goes without ours.
  if (canSetHeaders && !request.headersSent) {
    addMissing(netTraceHeaders(call), (name) => request.hasHeader(name), (name, value) => request.setHeader(name, value));
  }
}

/** The net's call for this request, once: taken as its span ends; undefined for a call the net does not own. */
function takeCall(request: ClientRequest): ClientCall | undefined {
  const call = calls.get(request);
  if (!call) return undefined;
  calls.set(request, null);
  return call;
}

/** The net's listener for each node:http client channel (runtime/net/index.ts subscribes them). */
export const handlers: Readonly<Record<string, Listener>> = {
  'http.client.request.created': (message) => begin((message as { request: ClientRequest }).request, true),
  'http.client.request.start': (message) => begin((message as { request: ClientRequest }).request, false),
  'http.client.response.finish': (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const call = takeCall(request);
    if (call) endWithStatus(call, response.statusCode);
  },
  'http.client.request.error': (message) => {
    const { request, error } = message as { request: ClientRequest; error: unknown };
    const call = takeCall(request);
    if (call) endWithError(call, error, false);
  },
};
