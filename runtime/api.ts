import type * as Api from '@opentelemetry/api';
import { publishedProvider } from './shared-provider';

// @opentelemetry/api, required on first need rather than when the runtime loads: it is some 45 modules, 15 ms of a
// service's startup on Node 20 and 24. Until something registers with OpenTelemetry (an SDK, a propagator, a context
// manager: the API then keeps them in its global registry) and no request has brought trace context, the API would
// only hand out no-op spans and an empty context, so the runtime lets calls and requests through untouched instead.
//
// Each copy of the API (a bundle carries one, node_modules another) shares that registry under one global symbol per
// major version; 1.x is the line this runtime's peer range allows.
const REGISTRY = Symbol.for('opentelemetry.js.api.1');

/**
 * A module required on the first call and kept: the runtime's one way of loading what can wait (an area, the span
 * code, node:https, the conventions package). Kept rather than required each time, since a cached `require` still
 * resolves the path. Here because this module is loaded at startup by everything that needs it.
 */
export function loadOnce<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

// Not through loadOnce: otelInUse asks whether it was loaded.
let loaded: typeof Api | undefined;

/** The API, required on the first call. */
export function otelApi(): typeof Api {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('@opentelemetry/api') as typeof Api);
}

/**
 * Whether the API has anything to do yet: it was needed before, something registered in its global registry, or
 * autotrace/otel published a provider for this copy to adopt. A property read while it is false.
 */
export function otelInUse(): boolean {
  return loaded !== undefined || (globalThis as { [REGISTRY]?: unknown })[REGISTRY] !== undefined || publishedProvider() !== undefined;
}

/**
 * Whether incoming headers bring trace context the runtime's default propagators (W3C trace context and baggage,
 * registered when the app registered none) would carry on. Any other propagator is in the registry.
 */
export function carriesTraceContext(headers: Record<string, unknown>): boolean {
  return headers.traceparent !== undefined || headers.baggage !== undefined;
}

/**
 * A context key, made as the API's `createContextKey` makes it (the global symbol of its description) but without
 * loading the API: every copy of the API and of this runtime, and @opentelemetry/core, gets the same key.
 */
export function contextKey(description: string): symbol {
  return Symbol.for(description);
}

let invalid: Api.Span | undefined;

/** The API's span for "no span": what a request or call with no SDK and no incoming trace runs under. */
export function invalidSpan(): Api.Span {
  const api = otelApi();
  return (invalid ??= api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT));
}
