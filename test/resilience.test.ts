import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { Express } from 'express';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { fixturesDir, requireFromRepo } from './helpers/paths';

// A failing SDK must never break a request: every tracer call throws here, and the service answers as before.

class ThrowingTracerProvider implements TracerProvider {
  getTracer(): Tracer {
    const fail = () => {
      throw new Error('SDK exploded');
    };
    return { startSpan: fail, startActiveSpan: fail } as unknown as Tracer;
  }
}

describe('with an SDK that throws on every call', () => {
  it('serves requests and makes outbound calls exactly as without autotrace', async () => {
    trace.setGlobalTracerProvider(new ThrowingTracerProvider());
    const { createApp } = buildFixture<{ createApp: (e: unknown, d: () => string) => Express }>(
      join(fixturesDir, 'apps', 'express-app.ts'),
    );
    let base = '';
    const app = createApp(requireFromRepo('express'), () => base);
    const server = await listen(createServer(app));
    base = server.url;
    try {
      const ok = await fetch(`${base}/api/users/5`);
      expect(await ok.json()).toEqual({ id: '5' });
      expect((await fetch(`${base}/api/users/5/boom`)).status).toBe(500);
      expect((await fetch(`${base}/nowhere`)).status).toBe(404);
      const proxied = await fetch(`${base}/proxy/8`);
      expect(await proxied.json()).toEqual({ id: '8' });
    } finally {
      await server.close();
    }
  });
});
