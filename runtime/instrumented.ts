import { othersListen } from './net/channels';
import * as http from 'node:http';
import * as https from 'node:https';

// Whether another instrumentation already watches a client's requests. Only then is it suppressed during autotrace's
// call, so that the call's own nested work (a user's interceptor that starts a span) is otherwise left as it was.

/** @opentelemetry/instrumentation-undici listens on undici's diagnostics channels (global fetch and undici alike). */
export function undiciIsInstrumented(): boolean {
  // The run-time net listens there too; only another listener counts.
  return othersListen('undici:request:create');
}

/** @opentelemetry/instrumentation-http wraps http(s).request with shimmer, which marks the wrapper `__wrapped`. */
export function httpIsInstrumented(): boolean {
  return isShimmed(http.request) || isShimmed(https.request);
}

/** instrumentation-http makes the SERVER span in its wrapper of `Server.prototype.emit` (after the net's channel). */
export function httpServerIsInstrumented(): boolean {
  return isShimmed(http.Server.prototype.emit) || isShimmed(https.Server.prototype.emit);
}

function isShimmed(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: unknown }).__wrapped === true;
}
