import type { Context } from '@opentelemetry/api';

// One owner per request and per call. The net makes a span only for what nobody else owns: a build-time site (its
// client calls run in a context carrying BUILD_CALL), another instrumentation (instrumentation-http patches node:http;
// instrumentation-undici is seen on undici's channels), or code that asked for no tracing (the suppress key).

// A context key is the global symbol of its description (the API's createContextKey), made here without loading the
// API: any runtime copy, and @opentelemetry/core for the suppress key, makes the same symbol.

/** Set by runtime/client.ts on the context a build-time client call runs in. */
export const BUILD_CALL = Symbol.for('autotrace.build-call');

/**
 * OpenTelemetry's suppress-tracing key (@opentelemetry/core): under it the SDK's tracer hands out non-recording spans
 * and the W3C propagator injects nothing. runtime/client.ts sets it so that other instrumentations stand down.
 */
export const SUPPRESS_TRACING = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Whether a call made in `active` already has its owner: a build-time site, or code that suppressed tracing. */
export function callIsOwned(active: Context): boolean {
  return active.getValue(BUILD_CALL) !== undefined || active.getValue(SUPPRESS_TRACING) === true;
}
