import { createContextKey, type Context } from '@opentelemetry/api';
import * as http from 'node:http';
import * as https from 'node:https';

// One owner per request and per call. The net makes a span only for what nobody else owns: a build-time site (its
// client calls run in a context carrying BUILD_CALL), another instrumentation (instrumentation-http patches node:http;
// instrumentation-undici is seen on undici's channels), or code that asked for no tracing (the suppress key).

/** Set by runtime/client.ts on the context a build-time client call runs in. A global symbol: any runtime copy sees it. */
export const BUILD_CALL = createContextKey('autotrace.build-call');

// OpenTelemetry's suppress-tracing key (@opentelemetry/core), as runtime/client.ts uses it.
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Whether a call made in `active` already has its owner: a build-time site, or code that suppressed tracing. */
export function callIsOwned(active: Context): boolean {
  return active.getValue(BUILD_CALL) !== undefined || active.getValue(SUPPRESS_TRACING) === true;
}

function isShimmed(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { __wrapped?: unknown }).__wrapped === true;
}

/** instrumentation-http makes the SERVER span in its wrapper of `Server.prototype.emit`, after the channel. */
export function httpServerIsInstrumented(): boolean {
  return isShimmed(http.Server.prototype.emit) || isShimmed(https.Server.prototype.emit);
}
