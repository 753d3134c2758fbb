import type { TracerProvider, Tracer } from '@opentelemetry/api';
import { contextKey, otelApi, otelInUse } from './api';
import type * as ContextManagerModule from './context-manager';
import type * as PropagatorsModule from './propagators';
import { publishedProvider, type SharedProvider } from './shared-provider';
import { VERSION } from './version';

const PROBE = contextKey('autotrace.probe');

/** True when a context manager is registered: a value set with `context.with` is visible inside it. */
function hasContextManager(): boolean {
  const { context, ROOT_CONTEXT } = otelApi();
  const probe = ROOT_CONTEXT.setValue(PROBE, true);
  return context.with(probe, () => context.active().getValue(PROBE) === true);
}

/** True when a propagator is registered: the no-op propagator names no fields. */
function hasPropagator(): boolean {
  return otelApi().propagation.fields().length > 0;
}

let bootstrapped = false;

/**
 * Fills in what the app left unregistered, so that a service with no SDK at all (or SDK 3.x, which registers nothing
 * for you) still carries the incoming trace onward: an AsyncLocalStorage context manager and W3C trace-context +
 * baggage propagation; and, in a bundle run with `--import autotrace/otel`, hands this copy of the API the SDK that
 * autotrace/otel started. Runs once, on first use rather than at import, so that an SDK set up in the app's entry file
 * (usually loaded before the first request) registers its own choices first.
 */
export function ensureBootstrapped(): void {
  if (bootstrapped) return;
  bootstrapped = true;
  try {
    const shared = publishedProvider();
    // Asked before registering ours: whether this copy of the API sees what autotrace/otel's copy registered.
    const seesPublisher = !shared?.propagator || hasPropagator();
    const { context, propagation } = otelApi();
    // Required here, not at load: they are needed only when the app registered none, and they load the API.
    if (!hasContextManager()) {
      const { AsyncLocalStorageContextManager } = require('./context-manager') as typeof ContextManagerModule;
      context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    }
    if (!hasPropagator()) {
      const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('./propagators') as typeof PropagatorsModule;
      propagation.setGlobalPropagator(
        new CompositePropagator([new W3CTraceContextPropagator(), new W3CBaggagePropagator()]),
      );
    }
    if (shared) adoptSharedProvider(shared, seesPublisher && hasContextManager());
  } catch {
    // Tracing must never break the app: without these, spans are still made, just not linked across services.
  }
}

/**
 * Makes autotrace/otel's provider the delegate of this API copy's proxy, when the app registered no provider. Without
 * autotrace/otel's copy, that is already so; in a bundle (which carries its own copy of the API) this is what lets
 * its spans out. An app that registers its own provider later still replaces it, as it would autotrace/otel's.
 */
function adoptSharedProvider(shared: SharedProvider, sharesRegistry: boolean): void {
  const { trace, ProxyTracerProvider } = otelApi();
  const proxy = trace.getTracerProvider();
  if (!(proxy instanceof ProxyTracerProvider) || proxy.getDelegate() !== noopProvider()) return;
  if (sharesRegistry) {
    proxy.setDelegate(shared.provider);
    return;
  }
  // Without the registry this copy has no context manager or propagator: spans would be recorded but never linked.
  const registry = (globalThis as { [key: symbol]: { version?: string } | undefined })[Symbol.for('opentelemetry.js.api.1')];
  process.stderr.write(
    'autotrace: no spans from this bundle are exported: its copy of @opentelemetry/api cannot share OpenTelemetry\'s ' +
      `global registry with the one autotrace/otel loaded (${registry?.version ?? 'another version'}). Fix: build the ` +
      'bundle against the @opentelemetry/api version installed beside it, or mark @opentelemetry/api external in the bundler.\n',
  );
}

let tracerOf: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * autotrace's tracer from the provider in force now. Not one proxy tracer taken at load: a provider registered through
 * another copy of the API (an app bundled with its own copy, while this runtime was loaded from node_modules by
 * `--import autotrace/otel`) reaches this copy only through the global registry, never its proxy's delegate. One
 * comparison per span while the provider stays the same.
 */
export function currentTracer(): Tracer {
  return tracerFrom(otelApi().trace.getTracerProvider());
}

function tracerFrom(provider: TracerProvider): Tracer {
  if (provider !== tracerOf || cachedTracer === undefined) {
    tracerOf = provider;
    cachedTracer = provider.getTracer('autotrace', VERSION);
  }
  return cachedTracer;
}

let noop: TracerProvider | undefined;

/** The API's no-op provider: what a ProxyTracerProvider delegates to until an SDK is registered. */
function noopProvider(): TracerProvider {
  return (noop ??= new (otelApi().ProxyTracerProvider)().getDelegate());
}

/** The provider in force when it records (an SDK's), else undefined: one lookup in the API's registry. */
function recordingProvider(): TracerProvider | undefined {
  if (!otelInUse()) return undefined; // nothing registered, and the API not needed yet (runtime/api.ts)
  const { trace, ProxyTracerProvider } = otelApi();
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  return delegate === noopProvider() ? undefined : provider;
}

/**
 * Whether any span can be recorded: false while no SDK is registered, when every span would be the API's no-op. Then
 * the runtime skips span work altogether (no span objects, attributes, URL formatting or redaction) and only carries
 * the incoming context on, which is exactly what the no-op spans would have done. Asked per request (a few property
 * reads), so an SDK registered later is seen at once.
 */
export function canRecord(): boolean {
  return recordingProvider() !== undefined;
}

/**
 * autotrace's tracer when spans can be recorded, else undefined: `canRecord()` and `currentTracer()` in one look at
 * the provider, for the code that starts a span on every request and call.
 */
export function recordingTracer(): Tracer | undefined {
  const provider = recordingProvider();
  return provider && tracerFrom(provider);
}
