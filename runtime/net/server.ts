import type { IncomingMessage, ServerResponse } from 'node:http';
import { canRecord } from '../bootstrap';
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
}

function onRequestStart(message: unknown): void {
  // No SDK: nothing is recorded, so nothing is done (see docs/design.md, "Run-time net").
  if (!canRecord() || httpServerIsInstrumented()) return;
  const { request, response } = message as ServerStart;
  const state = beginServerRequest(request, response);
  if (!state) return;
  // Entered for every request, so that the next request of a keep-alive connection (published in the same async
  // resource as this one) starts from its own context, never from this one's.
  enterContext(state.context);
  // Counted once the span has ended (its 'close' listener, added by beginServerRequest, runs before this one), when the
  // route read at its end is known.
  if (recording()) response.once('close', () => noteUnreached(state));
}

function noteUnreached(state: ServerRequestState): void {
  if (!state.reachedByBuild) noteServer(state.method.value, state.route);
}

/** The net's listener for node:http's server channel (runtime/net/index.ts subscribes it). */
export const handlers: Readonly<Record<string, Listener>> = {
  'http.server.request.start': onRequestStart,
};
