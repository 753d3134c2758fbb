import {
  createTraceState,
  isSpanContextValid,
  propagation,
  trace,
  baggageEntryMetadataFromString,
  type BaggageEntry,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

// W3C Trace Context (https://www.w3.org/TR/trace-context/) and W3C Baggage (https://www.w3.org/TR/baggage/).
// Hand-written for the same reason as context-manager.ts: @opentelemetry/core pins one api line.

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const BAGGAGE = 'baggage';

// version-traceid-parentid-flags; a future version may append fields after a dash.
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export class W3CTraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
    setter.set(carrier, TRACEPARENT, `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const state = spanContext.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = firstValue(getter.get(carrier, TRACEPARENT));
    const match = header === undefined ? null : TRACEPARENT_RE.exec(header.trim());
    if (!match) return context;
    const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string?];
    // Version ff is forbidden; version 00 has exactly four fields.
    if (version === 'ff' || (version === '00' && rest !== undefined)) return context;
    if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return context;
    const stateHeader = getter.get(carrier, TRACESTATE);
    const state = Array.isArray(stateHeader) ? stateHeader.join(',') : stateHeader;
    return trace.setSpanContext(context, {
      traceId,
      spanId,
      traceFlags: parseInt(flags, 16) & 0x01,
      isRemote: true,
      ...(state ? { traceState: createTraceState(state) } : {}),
    });
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}

// Limits from the W3C Baggage spec, section "Limits".
const BAGGAGE_MAX_MEMBERS = 180;
const BAGGAGE_MAX_BYTES = 8192;

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export class W3CBaggagePropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    if (!baggage) return;
    const members: string[] = [];
    let bytes = 0;
    for (const [key, entry] of baggage.getAllEntries()) {
      if (members.length >= BAGGAGE_MAX_MEMBERS) break;
      let member = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`;
      if (entry.metadata !== undefined) member += `;${entry.metadata.toString()}`;
      const cost = Buffer.byteLength(member) + (members.length > 0 ? 1 : 0);
      if (bytes + cost > BAGGAGE_MAX_BYTES) continue;
      bytes += cost;
      members.push(member);
    }
    if (members.length > 0) setter.set(carrier, BAGGAGE, members.join(','));
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, BAGGAGE);
    const header = Array.isArray(raw) ? raw.join(',') : raw;
    if (!header) return context;
    const entries: Record<string, BaggageEntry> = {};
    let count = 0;
    let bytes = 0;
    for (const member of header.split(',')) {
      if (count >= BAGGAGE_MAX_MEMBERS) break;
      // Members past the byte limit are dropped whole, never cut: what is kept can be sent on as it came.
      const cost = Buffer.byteLength(member.trim()) + (count > 0 ? 1 : 0);
      if (bytes + cost > BAGGAGE_MAX_BYTES) continue;
      const [pair, ...properties] = member.split(';');
      const eq = pair === undefined ? -1 : pair.indexOf('=');
      if (pair === undefined || eq <= 0) continue;
      const key = safeDecode(pair.slice(0, eq).trim());
      const value = safeDecode(pair.slice(eq + 1).trim());
      if (!key || value === undefined) continue;
      const entry: BaggageEntry = { value };
      if (properties.length > 0) entry.metadata = baggageEntryMetadataFromString(properties.join(';'));
      entries[key] = entry;
      count++;
      bytes += cost;
    }
    if (count === 0) return context;
    return propagation.setBaggage(context, propagation.createBaggage(entries));
  }

  fields(): string[] {
    return [BAGGAGE];
  }
}

/** Runs several propagators as one, each failure contained so one bad header cannot cost the others. */
export class CompositePropagator implements TextMapPropagator {
  constructor(private readonly propagators: readonly TextMapPropagator[]) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    for (const p of this.propagators) {
      try {
        p.inject(context, carrier, setter);
      } catch {
        // A propagator that throws loses its own header only.
      }
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let result = context;
    for (const p of this.propagators) {
      try {
        result = p.extract(result, carrier, getter);
      } catch {
        // A malformed header is ignored, never surfaced to the request.
      }
    }
    return result;
  }

  fields(): string[] {
    return this.propagators.flatMap((p) => p.fields());
  }
}
