import { context, createContextKey, propagation, ProxyTracerProvider, ROOT_CONTEXT, trace, type TracerProvider, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from './context-manager';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from './propagators';
import { VERSION } from './version';

const PROBE = createContextKey('autotrace.probe');

/** True when a context manager is registered: a value set with `context.with` is visible inside it. */
function hasContextManager(): boolean {
  const probe = ROOT_CONTEXT.setValue(PROBE, true);
  return context.with(probe, () => context.active().getValue(PROBE) === true);
}

/** True when a propagator is registered: the no-op propagator names no fields. */
function hasPropagator(): boolean {
  return propagation.fields().length > 0;
}

let bootstrapped = false;

/**
 * Fills in what the app left unregistered, so that a service with no SDK at all (or SDK 3.x, which registers nothing
 * for you) still carries the incoming trace onward: an AsyncLocalStorage context manager and W3C trace-context +
 * baggage propagation. Runs once, on first use rather than at import, so that an SDK set up in the app's entry file
 * (usually loaded before the first request) registers its own choices first.
 */
export function ensureBootstrapped(): void {
  if (bootstrapped) return;
  bootstrapped = true;
  try {
    if (!hasContextManager()) context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    if (!hasPropagator()) {
      propagation.setGlobalPropagator(
        new CompositePropagator([new W3CTraceContextPropagator(), new W3CBaggagePropagator()]),
      );
    }
  } catch {
    // Tracing must never break the app: without these, spans are still made, just not linked across services.
  }
}

/** The proxy tracer follows whatever provider the app registers, even one registered after this call. */
export const tracer: Tracer = trace.getTracer('autotrace', VERSION);

// The API's no-op provider: what a ProxyTracerProvider delegates to until an SDK is registered.
const NOOP_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();

/**
 * Whether any span can be recorded: false while no SDK is registered, when every span would be the API's no-op. Then
 * the runtime skips span work altogether (no span objects, attributes, URL formatting or redaction) and only carries
 * the incoming context on, which is exactly what the no-op spans would have done. Asked per request (two property
 * reads), so an SDK registered later is seen at once.
 */
export function canRecord(): boolean {
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  return delegate !== NOOP_PROVIDER;
}
