import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { listen } from './helpers/http';
import { installSdk } from './helpers/otel';
import { requireFromRepo } from './helpers/paths';

// What a request costs the runtime, seen from outside: nothing per request that could be made once. The request's
// state is a private field nobody sees (not even among its own symbols, or when inspected with hidden properties),
// and every response shares one 'close' listener (no closure per request).

const sdk = installSdk();
const runtime = requireFromRepo('autotrace/runtime') as typeof import('../runtime/index');
const express = requireFromRepo('express') as typeof import('express');

describe('the request hot path', () => {
  it('adds no visible property to the request and one shared close listener to each response', async () => {
    const seen: { keys: string[]; copied: string[]; own: string[]; inspected: string; listeners: Function[] }[] = [];
    const app = runtime.expressApp(express());
    app.get(
      '/x/:id',
      runtime.expressRoute((req: IncomingMessage, res: ServerResponse) => {
        seen.push({
          keys: Object.keys(req),
          copied: Object.getOwnPropertySymbols({ ...req }).map(String),
          own: Reflect.ownKeys(req).map(String),
          inspected: inspect(req, { showHidden: true, depth: 0 }),
          listeners: res.listeners('close'),
        });
        res.end('ok');
      }, { file: 'src/app.ts', line: 3, column: 9 }),
    );
    const server = await listen(createServer(app));
    try {
      for (const id of [1, 2]) expect((await fetch(`${server.url}/x/${id}`)).status).toBe(200);
      await sdk.waitForSpans(4); // and the test's own two fetch calls, which the run-time net traces
      const spans = sdk.spans().filter((span) => span.kind === SpanKind.SERVER);
      expect(spans.map((span) => span.name)).toEqual(['GET /x/:id', 'GET /x/:id']);
      expect(spans[0]!.attributes).toMatchObject({ 'http.route': '/x/:id', 'code.file.path': 'src/app.ts', 'code.line.number': 3 });
      const [first, second] = seen as [(typeof seen)[0], (typeof seen)[0]];
      expect(first.keys.some((key) => key.includes('autotrace'))).toBe(false);
      expect(first.copied.filter((name) => name.includes('autotrace'))).toEqual([]);
      expect(first.own.filter((name) => name.includes('autotrace'))).toEqual([]);
      expect(first.inspected).not.toMatch(/autotrace|mountTemplate|routeFrom/);
      // The autotrace listener is the same function on both responses.
      const shared = first.listeners.filter((listener) => second.listeners.includes(listener));
      expect(shared.length).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  });
});
