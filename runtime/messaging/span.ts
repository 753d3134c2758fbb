import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { ensureBootstrapped, recordingTracer } from '../bootstrap';
import { isThenable, safely } from '../safe';
import { errorTypeOf } from '../server';
import { learnSite, siteAttributes, type Site } from '../site';
import { semconv } from '../semconv';

// What every broker and RPC wrapper shares: a span for the hop on each side, and the trace context carried in the
// message or call metadata (W3C trace context and baggage, through whatever propagator the app registered). Without
// an SDK nothing is recorded, but the context still rides in the message, so the consumer's own calls continue the
// producer's trace.

const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export interface Hop {
  /** Recording or not; never undefined, so callers end it without checking. */
  readonly span: Span;
  /** Where the hop's own work runs: its span as the parent. */
  readonly context: Context;
}

/**
 * Starts the sending side's span (PRODUCER, or CLIENT for a request that expects a reply) as a child of the active
 * context. `name` is `{operation} {destination}` (messaging) or `{service}/{method}` (rpc), made by the caller.
 */
export function startSendingHop(kind: SpanKind, name: string, attributes: Attributes, site: Site | undefined): Hop {
  ensureBootstrapped();
  learnSite(site);
  const parent = context.active();
  const tracer = recordingTracer();
  if (!tracer) return { span: trace.getSpan(parent) ?? NO_SPAN, context: parent };
  siteAttributes(site, attributes);
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/**
 * Starts the receiving side's span (CONSUMER, or SERVER for an RPC handler) as the child of the context the message
 * carried, or as a new root when it carried none (or a malformed one); `links` for a batch of messages.
 */
export function startReceivingHop(
  kind: SpanKind,
  name: string,
  attributes: Attributes,
  carried: Context,
  site: Site | undefined,
  links?: Link[],
): Hop {
  ensureBootstrapped();
  learnSite(site);
  const tracer = recordingTracer();
  if (!tracer) return { span: trace.getSpan(carried) ?? NO_SPAN, context: carried };
  siteAttributes(site, attributes);
  const span = tracer.startSpan(name, { kind, attributes, ...(links ? { links } : {}) }, carried);
  return { span, context: trace.setSpan(carried, span) };
}

/** Writes the hop's trace context into a carrier (message headers, metadata) through `setter`. */
export function injectInto<C>(hop: Hop, carrier: C, setter?: TextMapSetter<C>): void {
  try {
    propagation.inject(hop.context, carrier, setter);
  } catch {
    // A propagator that throws must not stop the message.
  }
}

/** The context a message carried (on top of an empty one: a consumer's span never inherits the poller's context). */
export function extractFrom<C>(carrier: C | undefined, getter?: TextMapGetter<C>): Context {
  ensureBootstrapped();
  if (carrier === undefined || carrier === null) return ROOT_CONTEXT;
  try {
    return propagation.extract(ROOT_CONTEXT, carrier, getter);
  } catch {
    return ROOT_CONTEXT;
  }
}

/** Ends a hop that failed: error status, the exception as an event, error.type as the conventions ask. */
export function endHopWithError(hop: Hop, error: unknown): void {
  // Describing the error reads the app's object, whose getters may throw: the span is ended whatever happens.
  safely(() => {
    if (!hop.span.isRecording()) return;
    hop.span.recordException(error instanceof Error ? error : String(error));
    hop.span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
    hop.span.setAttribute(semconv().ATTR_ERROR_TYPE, errorTypeOf(error));
  }, undefined);
  safely(() => hop.span.end(), undefined);
}

/**
 * Runs a hop's work (a send, a consumer's handler) in the hop's context and ends the hop when the work is done: on
 * return, or when the promise it returned settles; a throw or a rejection ends it as an error and is passed on
 * unchanged (the same error thrown, a promise that rejects with the same reason, so an unhandled rejection stays
 * unhandled). What the work returns is handed back as it is, or, for a promise, as one that settles the same way.
 * `onValue` reads the outcome onto the span (a job's id) just before it ends.
 */
export function runInHop<T>(hop: Hop, work: () => T, onValue?: (value: unknown) => void): T {
  const end = (value: unknown) =>
    safely(() => {
      onValue?.(value);
      hop.span.end();
    }, undefined);
  let result: T;
  try {
    result = context.with(hop.context, work);
  } catch (error) {
    endHopWithError(hop, error);
    throw error;
  }
  if (!isThenable(result)) {
    end(result);
    return result;
  }
  return result.then(
    (value) => {
      end(value);
      return value;
    },
    (error: unknown) => {
      endHopWithError(hop, error);
      throw error;
    },
  ) as T;
}
