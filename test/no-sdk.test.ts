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
  it('passes the incoming trace context and baggage on to its outbound calls', async () => {
    const { createApp } = buildFixture<{ createApp: (e: unknown, d: () => string) => Express }>(
      join(fixturesDir, 'apps', 'express-app.ts'),
    );
    let base = '';
    const server = await listen(createServer(createApp(requireFromRepo('express'), () => base)));
    base = server.url;
    try {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const response = await fetch(`${base}/relay`, {
        headers: { traceparent, tracestate: 'vendor=x', baggage: 'tenant=acme' },
      });
      const seen = (await response.json()) as Record<string, string>;
      expect(seen.traceparent).toBe(traceparent);
      expect(seen.tracestate).toBe('vendor=x');
      expect(seen.baggage).toBe('tenant=acme');
    } finally {
      await server.close();
    }
  });
});
