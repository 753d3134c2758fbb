import type { IncomingMessage, ServerResponse } from 'node:http';
import { canRecord } from '../bootstrap';
import { isWrapped } from '../handler';
import { beginServerRequest, type ServerRequestState } from '../server';
import type { Listener } from './channels';
import { enterContext } from './enter';
import { httpServerIsInstrumented } from '../instrumented';
import { noteServer, recording } from './record';

// Every request node:http serves: `http.server.request.start` is published just before `server.emit('request')`,
// whoever made the server (the service, a framework inside node_modules, a test helper). The net begins the request's
// one SERVER span there, in the same per-request state the build-time wrappers use (runtime/server.ts): a wrapper
// that runs later finds it and names the route on it, so there is one span whoever comes first. It ends on the
// response's 'close', status code included, as for any request runtime/server.ts begins.

interface ServerStart {
  request: IncomingMessage;
  response: ServerResponse;
  server?: { listeners?(event: string): unknown[] };
}

function onRequestStart(message: unknown): void {
  const { request, response, server } = message as ServerStart;
  // A server the build traced is asked first, the usual case where the net sees one; with no SDK nothing is recorded,
  // so nothing is done (see docs/design.md, "Run-time net").
  if (servedByBuild(server) || !canRecord() || httpServerIsInstrumented()) return;
  const state = beginServerRequest(request, response);
  if (!state) return;
  // Entered for every request, so that the next request of a keep-alive connection (published in the same async
  // resource as this one) starts from its own context, never from this one's.
  enterContext(state.context);
  // Counted once the span has ended (its 'close' listener, added by beginServerRequest, runs before this one), when the
  // route read at its end is known.
  if (recording()) response.once('close', () => noteUnreached(state));
}

/**
 * Whether every 'request' listener of the server is one the build wrapped: a listener it wrapped (`createServer(fn)`,
 * `server.on('request', fn)`, a framework's entry), or an Express app whose `handle` it wrapped (`app.listen()`,
 * `createServer(app)`). Each of those begins the request's span as the request reaches it, before any of the app's
 * code, and runs the request in the span's context with one `context.with`, which ends with the request. The net
 * leaves such a request to them: entering the context here (`enterWith`) would also leave it active for the rest of
 * the socket's callback, whose timers and writes keep it, and its span, alive after the request: 3 µs of garbage
 * collection a request on Node 24 (bench/matrix/paired.mjs).
 */
function servedByBuild(server: ServerStart['server']): boolean {
  const listeners = typeof server?.listeners === 'function' ? server.listeners('request') : undefined;
  if (!Array.isArray(listeners) || listeners.length === 0) return false;
  for (const listener of listeners) {
    if (!isWrapped(listener) && !isWrapped((listener as { handle?: unknown } | null)?.handle)) return false;
  }
  return true;
}

function noteUnreached(state: ServerRequestState): void {
  if (!state.reachedByBuild) noteServer(state.method.value, state.route);
}

/** The net's listener for node:http's server channel (runtime/net/index.ts subscribes it). */
export const handlers: Readonly<Record<string, Listener>> = {
  'http.server.request.start': onRequestStart,
};
