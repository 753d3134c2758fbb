import type { IncomingMessage, ServerResponse } from 'node:http';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { canRecord } from '../bootstrap';
import { beginServerRequest, serverStateOf, type ServerRequestState } from '../server';
import { listen } from './channels';
import { enterContext } from './enter';
import { httpServerIsInstrumented } from './owner';
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

// Requests the net began, to count in the run-time record those no build-time wrapper reached. Kept only when recording.
const begun = new WeakSet<object>();

function onRequestStart(message: unknown): void {
  // No SDK: nothing is recorded, so nothing is done (see docs/design.md, "Run-time net").
  if (!canRecord() || httpServerIsInstrumented()) return;
  const { request, response } = message as ServerStart;
  const state = beginServerRequest(request, response);
  if (!state) return;
  // Entered for every request, so that the next request of a keep-alive connection (published in the same async
  // resource as this one) starts from its own context, never from this one's.
  enterContext(state.context);
  if (recording()) begun.add(request);
}

function onResponseFinish(message: unknown): void {
  const { request } = message as ServerStart;
  if (!begun.has(request)) return;
  const state = serverStateOf(request);
  if (!state || state.reachedByBuild) return;
  noteServer(state.method.value, routeOf(state));
}

/** The route a framework set on the span (`http.route`), read from the SDK's span object, where it keeps attributes. */
function routeOf(state: ServerRequestState): string | undefined {
  const route = (state.span as { attributes?: Record<string, unknown> }).attributes?.[ATTR_HTTP_ROUTE];
  return typeof route === 'string' ? route : undefined;
}

export function listenToServers(): void {
  listen('http.server.request.start', onRequestStart);
  if (recording()) listen('http.server.response.finish', onResponseFinish);
}
