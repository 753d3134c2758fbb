import { SpanKind } from '@opentelemetry/api';
import type { Server } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { assertSpan, installSdk } from './helpers/otel';
import { fixturesDir } from './helpers/paths';

const sdk = installSdk();

describe('node:https', () => {
  it('traces an https server and an https.get call: scheme https, one trace', async () => {
    const app = buildFixture<{ createServer: () => Server; call: (url: string) => Promise<number> }>(join(fixturesDir, 'apps', 'https-app.ts'));
    const server = await listen(app.createServer());
    const url = server.url.replace('http:', 'https:');
    try {
      expect(await app.call(url)).toBe(200);
      const spans = await sdk.waitForSpans(2);
      const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
      const port = Number(new URL(url).port);
      assertSpan(client, {
        name: 'GET /secure/1',
        kind: SpanKind.CLIENT,
        attributes: { 'url.full': `${url}/secure/1`, 'url.template': '/secure/1', 'server.port': port, 'http.response.status_code': 200 },
      });
      assertSpan(spans.find((s) => s.kind === SpanKind.SERVER), {
        name: 'GET',
        kind: SpanKind.SERVER,
        parent: client.spanContext().spanId,
        attributes: { 'url.scheme': 'https', 'url.path': '/secure/1', 'server.port': port, 'http.response.status_code': 200 },
      });
    } finally {
      await server.close();
    }
  });
});
