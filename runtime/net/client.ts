import { otelApi } from '../api';
import { canRecord } from '../bootstrap';
import { normalizeMethod } from '../http-semconv';
import { startClientCall, traceHeaders, type ClientCall } from '../client';
import { callIsOwned } from './owner';
import { netMayPropagate } from './propagate';
import { noteClient, recording } from './record';

// What the node:http and undici subscribers share: decide whether a call is the net's, and start its CLIENT span as a
// child of the active context, with the same attributes (url.full redacted) as a build-time call's.

/**
 * Whether the net makes the span for a call made now: something is recorded (an SDK), and no build-time site, code
 * that suppressed tracing or other instrumentation owns it. Asked before anything about the call is read, so that a
 * call the build traced costs the net two context lookups.
 */
export function netOwnsCall(instrumented: () => boolean): boolean {
  return !callIsOwned(otelApi().context.active()) && canRecord() && !instrumented();
}

/** The CLIENT span for a call nobody owns, or undefined when it is owned, or nothing is recorded (no SDK). */
export function startNetCall(via: 'http' | 'undici', method: string | undefined, url: URL | undefined, instrumented: () => boolean): ClientCall | undefined {
  if (!netOwnsCall(instrumented)) return undefined;
  const call = startClientCall(method, url, undefined, false);
  if (recording()) noteClient(via, normalizeMethod(method).value, url?.host);
  return call;
}

/** The trace headers for the call, unless `propagateTo` excludes its host. */
export function netTraceHeaders(call: ClientCall): Record<string, string> {
  return netMayPropagate(call.hostname) ? traceHeaders(call) : {};
}
