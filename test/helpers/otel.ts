import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { expect } from 'vitest';

/**
 * A real SDK as a 2.x user registers it: NodeTracerProvider with its AsyncLocalStorage context manager and W3C
 * propagators, exporting to memory.
 */
export function installSdk() {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    /** Waits until `count` spans have ended (a SERVER span ends on the response's finish/close, after the client). */
    async waitForSpans(count: number, timeoutMs = 5000): Promise<ReadableSpan[]> {
      const deadline = Date.now() + timeoutMs;
      while (exporter.getFinishedSpans().length < count) {
        if (Date.now() > deadline) {
          const names = exporter.getFinishedSpans().map((s) => `${SpanKind[s.kind]} ${s.name}`);
          throw new Error(`expected ${count} spans, got ${names.length}: ${names.join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return exporter.getFinishedSpans();
    },
  };
}

export function parentSpanId(span: ReadableSpan): string | undefined {
  // SDK 2.x: parentSpanContext; 1.x: parentSpanId.
  const s = span as ReadableSpan & { parentSpanId?: string };
  return s.parentSpanContext?.spanId ?? s.parentSpanId;
}

export interface ExpectedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes?: Attributes;
  readonly status?: SpanStatusCode;
  /** The span id of the expected parent, or null for a root span. */
  readonly parent?: string | null;
  readonly traceId?: string;
}

/** One assertion for every span test: name, kind, the listed attributes, status and parent. */
export function assertSpan(span: ReadableSpan | undefined, expected: ExpectedSpan): void {
  expect(span, `span ${expected.name}`).toBeDefined();
  const s = span!;
  expect(s.name).toBe(expected.name);
  expect(SpanKind[s.kind]).toBe(SpanKind[expected.kind]);
  if (expected.attributes) expect(s.attributes).toMatchObject(expected.attributes);
  expect(SpanStatusCode[s.status.code]).toBe(SpanStatusCode[expected.status ?? SpanStatusCode.UNSET]);
  if (expected.parent !== undefined) expect(parentSpanId(s) ?? null).toBe(expected.parent);
  if (expected.traceId !== undefined) expect(s.spanContext().traceId).toBe(expected.traceId);
}

export function findSpan(spans: readonly ReadableSpan[], kind: SpanKind, name: string): ReadableSpan | undefined {
  return spans.find((s) => s.kind === kind && s.name === name);
}
