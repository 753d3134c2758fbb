import type { Context } from '@opentelemetry/api';
import { contextKey } from '../api';

// One owner per request and per call. The net makes a span only for what nobody else owns: a build-time site (its
// client calls run in a context carrying BUILD_CALL), another instrumentation (instrumentation-http patches node:http;
// instrumentation-undici is seen on undici's channels), or code that asked for no tracing (the suppress key).

/** Set by runtime/client.ts on the context a build-time client call runs in; any runtime copy sees it. */
export const BUILD_CALL = contextKey('autotrace.build-call');

/**
 * OpenTelemetry's suppress-tracing key (@opentelemetry/core): under it the SDK's tracer hands out non-recording spans
 * and the W3C propagator injects nothing. runtime/client.ts sets it so that other instrumentations stand down.
 */
export const SUPPRESS_TRACING = contextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Whether a call made in `active` already has its owner: a build-time site, or code that suppressed tracing. */
export function callIsOwned(active: Context): boolean {
  return active.getValue(BUILD_CALL) !== undefined || active.getValue(SUPPRESS_TRACING) === true;
}
