import { SpanKind } from '@opentelemetry/api';
import type { Express } from 'express';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';

// No SDK, no context manager, no propagator registered: autotrace installs AsyncLocalStorage context and W3C
// propagation itself, so the incoming trace still reaches the outbound call (the API's non-recording spans carry
// the incoming span context).

describe('a service with no OpenTelemetry SDK', () => {
  async function relay(headers: Record<string, string>) {
    const { createApp } = buildFixture<{ createApp: (e: unknown, d: () => string) => Express }>(
      join(fixturesDir, 'apps', 'express-app.ts'),
    );
    let base = '';
    const server = await listen(createServer(createApp(requireFromRepo('express'), () => base)));
    base = server.url;
    try {
      const response = await fetch(`${base}/relay`, { headers });
      return { status: response.status, seen: (await response.json()) as Record<string, string> };
    } finally {
      await server.close();
    }
  }

  it('bounds forwarded baggage to 180 members and 8192 bytes, whole members only, and serves the request', async () => {
    const members = Array.from({ length: 300 }, (_, i) => `member${i}=${'v'.repeat(40)}${i}`);
    const { status, seen } = await relay({ baggage: `${members.join(',')},%E0%A4%A=broken` });
    expect(status).toBe(200);
    const forwarded = seen.baggage!.split(',');
    expect(Buffer.byteLength(seen.baggage!)).toBeLessThanOrEqual(8192);
    expect(forwarded.length).toBeGreaterThan(100);
    expect(forwarded.length).toBeLessThanOrEqual(180);
    for (const member of forwarded) expect(members).toContain(member);
  });

  it('passes the incoming trace context and baggage on to its outbound calls', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { seen } = await relay({ traceparent, tracestate: 'vendor=x', baggage: 'tenant=acme' });
    expect(seen.traceparent).toBe(traceparent);
    expect(seen.tracestate).toBe('vendor=x');
    expect(seen.baggage).toBe('tenant=acme');
  });

  it('loads no OpenTelemetry API until a request brings trace context, and then carries it on', () => {
    buildFixture(join(fixturesDir, 'apps', 'express-app.ts')); // writes fixtures/apps/out/express-app.js
    // A fresh process (this one has the API loaded): the downstream answers with the headers it was sent.
    const probe = `
      const { createServer } = require('node:http');
      const { createApp } = require(${JSON.stringify(join(fixturesDir, 'apps', 'out', 'express-app.js'))});
      const apiLoaded = () => Object.keys(require.cache).some((f) => f.replace(/\\\\/g, '/').includes('/@opentelemetry/api/'));
      const listening = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve('http://127.0.0.1:' + server.address().port)));
      (async () => {
        const downstream = createServer((req, res) => res.end(JSON.stringify(req.headers)));
        const downstreamUrl = await listening(downstream);
        const service = createServer(createApp(require('express'), () => downstreamUrl));
        const url = await listening(service);
        const ask = async (headers) => {
          const response = await fetch(url + '/relay', { headers });
          return { status: response.status, seen: await response.json(), apiLoaded: apiLoaded() };
        };
        const plain = await ask({});
        const traced = await ask({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
        const after = await ask({});
        // An SDK registered while the service runs is used from the next request on.
        const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
        const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
        const exporter = new InMemorySpanExporter();
        new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
        const withSdk = await ask({});
        const spans = exporter.getFinishedSpans().map((span) => ({ name: span.name, kind: span.kind, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId }));
        console.log(JSON.stringify({ plain, traced, after, withSdk, spans }));
        service.close(); downstream.close();
      })();`;
    const result = spawnSync(process.execPath, ['-e', probe], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    type Answer = { status: number; seen: Record<string, string>; apiLoaded: boolean };
    type Spans = { name: string; kind: SpanKind; traceId: string; spanId: string }[];
    const { plain, traced, after, withSdk, spans } = JSON.parse(result.stdout) as Record<'plain' | 'traced' | 'after' | 'withSdk', Answer> & { spans: Spans };
    expect(plain).toMatchObject({ status: 200, apiLoaded: false });
    expect(plain.seen).not.toHaveProperty('traceparent');
    expect(traced).toMatchObject({ status: 200, apiLoaded: true });
    expect(traced.seen.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    // From then on every request goes through the API; one with no trace still sends none.
    expect(after).toMatchObject({ status: 200, apiLoaded: true });
    expect(after.seen).not.toHaveProperty('traceparent');
    // (The run-time net adds the probe's own fetch and the downstream's request to the same trace.)
    const server = spans.filter((span) => span.kind === SpanKind.SERVER && span.name === 'GET /relay');
    const client = spans.filter((span) => span.kind === SpanKind.CLIENT && span.name === 'GET /headers');
    expect([server.length, client.length]).toEqual([1, 1]);
    expect(client[0]!.traceId).toBe(server[0]!.traceId);
    expect(withSdk.seen.traceparent).toBe(`00-${client[0]!.traceId}-${client[0]!.spanId}-01`);
  });
});
