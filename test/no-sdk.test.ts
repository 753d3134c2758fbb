import type { Express } from 'express';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { fixturesDir, requireFromRepo } from './helpers/paths';

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
});
