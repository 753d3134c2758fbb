import type { TracerProvider } from '@opentelemetry/api';

// `autotrace/otel` is loaded from node_modules with its own copy of @opentelemetry/api; a bundle carries another
// copy (and its own autotrace/runtime), whose ProxyTracerProvider autotrace/otel cannot reach. So autotrace/otel
// publishes the provider it started under a global symbol of its own, and each copy of the runtime makes it the
// delegate of its API copy's proxy when the app registered nothing (runtime/bootstrap.ts). Not registered with the
// API's global registry: an app that registers its own provider must still win.

/** The key text doubles as the mark autotrace/otel looks for in a bundle: a bundle that holds it can adopt. */
export const SHARED_PROVIDER_KEY = 'autotrace.otel.provider';

export interface SharedProvider {
  provider: TracerProvider;
  /** Whether autotrace/otel registered a propagator: a copy of the API that does not see one cannot share its registry. */
  propagator: boolean;
}

type WithShared = { [key: symbol]: SharedProvider | undefined };

// Looked up once: `Symbol.for` searches the global symbol registry by its text on every call, and the runtime asks
// for the published provider on every request and call (runtime/api.ts otelInUse).
const SHARED_PROVIDER = Symbol.for(SHARED_PROVIDER_KEY);

export function publishProvider(shared: SharedProvider): void {
  (globalThis as WithShared)[SHARED_PROVIDER] = shared;
}

export function publishedProvider(): SharedProvider | undefined {
  return (globalThis as WithShared)[SHARED_PROVIDER];
}
