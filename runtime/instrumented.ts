import { loadOnce } from './api';
import { othersListen } from './net/channels';
import * as http from 'node:http';
import type * as Https from 'node:https';

// node:https (and node:tls under it) is required on the first question that needs it, not at startup: a service
// that serves plain HTTP and never asks would load it for nothing. Asked only after node:http's answer was no.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const https = loadOnce(() => require('node:https') as typeof Https);

// Whether another instrumentation already watches a client's requests. Only then is it suppressed during autotrace's
// call, so that the call's own nested work (a user's interceptor that starts a span) is otherwise left as it was.

/** @opentelemetry/instrumentation-undici listens on undici's diagnostics channels (global fetch and undici alike). */
export function undiciIsInstrumented(): boolean {
  // The run-time net listens there too; only another listener counts.
  return othersListen('undici:request:create');
}

/** @opentelemetry/instrumentation-http wraps http(s).request with shimmer, which marks the wrapper `__wrapped`. */
export function httpIsInstrumented(): boolean {
  return isShimmed(http.request) || isShimmed(https().request);
}

/** instrumentation-http makes the SERVER span in its wrapper of `Server.prototype.emit` (after the net's channel). */
export function httpServerIsInstrumented(): boolean {
  return isShimmed(http.Server.prototype.emit) || isShimmed(https().Server.prototype.emit);
}

function isShimmed(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: unknown }).__wrapped === true;
}
