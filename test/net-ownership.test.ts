import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { spawnSync } from 'node:child_process';
import * as diagnostics from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { echoServer, listen } from './helpers/http';
import { installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';

// One owner per request and per call, with the run-time net on (it is, wherever autotrace/runtime is loaded): what
// the build traced keeps exactly its one span, and the net never subscribes twice.

// The run-time record is on in this process (read when the runtime loads, which buildFixture below does).
process.env.AUTOTRACE_RUNTIME_REPORT = join(tmpdir(), `autotrace-net-ownership-${process.pid}.json`);
const sdk = installSdk();
type RecordModule = typeof import('../runtime/net/record');
const record = () => requireFromRepo('./dist/runtime/net/record.js') as RecordModule;
const serverEntries = () => record().currentRecord().entries.filter((entry) => entry.kind === 'server');
let echo: Awaited<ReturnType<typeof echoServer>>;

beforeAll(async () => {
  echo = await echoServer();
});
afterAll(() => echo.close());
beforeEach(() => {
  sdk.reset();
  echo.seen.length = 0;
});

type Client = { byId: (base: string, id: string) => Promise<number> };

describe('a call the build traced', () => {
  const { clients } = buildFixture<{ clients: Record<string, Client> }>(join(fixturesDir, 'apps', 'clients.ts'));

  it.each(Object.keys(clients))('%s has exactly one CLIENT span, and the server sees it as its parent', async (name) => {
    expect(await clients[name]!.byId(echo.url, '7')).toBe(200);
    // The echo server is untraced by the build: the net gives it its SERVER span.
    const spans = await sdk.waitForSpans(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const client = sdk.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(client.map((s) => s.instrumentationScope.name)).toEqual(['autotrace']);
    expect(client[0]!.attributes['url.template']).toBe('/users/{id}');
    const server = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(server.map((s) => parentSpanId(s))).toEqual([client[0]!.spanContext().spanId]);
    expect(echo.seen.map((h) => h.traceparent)).toEqual([`00-${client[0]!.spanContext().traceId}-${client[0]!.spanContext().spanId}-01`]);
  });
});

describe('a server the build traced', () => {
  it('has exactly one SERVER span, named by its route', async () => {
    const { createApp } = buildFixture<{ createApp: (express: unknown) => Parameters<typeof createServer>[1] }>(
      join(fixturesDir, 'apps', 'express-app.ts'),
    );
    const server = await listen(createServer(createApp(requireFromRepo('express'))));
    expect(record().recording()).toBe(true);
    const before = serverEntries();
    try {
      const response = await fetch(`${server.url}/api/users/42`);
      expect(await response.json()).toEqual({ id: '42' });
      await sdk.waitForSpans(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const servers = sdk.spans().filter((s) => s.kind === SpanKind.SERVER);
      expect(servers.map((s) => [s.name, s.attributes['http.route'], s.attributes['http.response.status_code']])).toEqual([
        ['GET /api/users/:id', '/api/users/:id', 200],
      ]);
      // The build's wrappers reached the request: the run-time record does not count it as the net's catch. The
      // test's own fetch is the net's, named by this file.
      expect(serverEntries()).toEqual(before);
      expect(record().currentRecord().entries).toContainEqual(
        expect.objectContaining({ kind: 'client', source: 'test/net-ownership.test.ts', host: new URL(server.url).host }),
      );
    } finally {
      await server.close();
    }
  });

  it("leaves its requests to the build's wrappers, where a server the build did not see gets its context from the net", async () => {
    const { createApp } = buildFixture<{ createApp: (express: unknown) => Parameters<typeof createServer>[1] }>(
      join(fixturesDir, 'apps', 'express-app.ts'),
    );
    const traced = await listen(createServer(createApp(requireFromRepo('express'))));
    const plain = await listen(createServer((_req, res) => res.end('plain')));
    // Subscribed after the net: what is active here is what the net left active for the rest of the socket's callback.
    const activeAtStart = new Map<string, string | undefined>();
    const onStart = (message: unknown) => {
      const { request } = message as { request: { url?: string } };
      activeAtStart.set(request.url ?? '', trace.getActiveSpan()?.spanContext().spanId);
    };
    diagnostics.subscribe('http.server.request.start', onStart);
    try {
      expect(await (await fetch(`${traced.url}/api/users/7`)).json()).toEqual({ id: '7' });
      expect(await (await fetch(`${plain.url}/plain`)).text()).toBe('plain');
      await sdk.waitForSpans(4);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const servers = sdk.spans().filter((s) => s.kind === SpanKind.SERVER);
      const routed = servers.find((s) => s.attributes['url.path'] === '/api/users/7');
      const unseen = servers.find((s) => s.attributes['url.path'] === '/plain');
      expect(servers).toHaveLength(2);
      expect(routed?.name).toBe('GET /api/users/:id');
      // The build-traced app's span is begun by its wrapper, inside the request: nothing is active as it starts.
      expect(activeAtStart.get('/api/users/7')).toBeUndefined();
      // A listener the build never wrapped runs in the span the net began and entered.
      expect(activeAtStart.get('/plain')).toBe(unseen?.spanContext().spanId);
    } finally {
      diagnostics.unsubscribe('http.server.request.start', onStart);
      await traced.close();
      await plain.close();
    }
  });
});

describe('subscribing', () => {
  it('happens once per process, however many copies of the runtime load', () => {
    const subscribers = () =>
      (diagnostics.channel('undici:request:create') as unknown as { _subscribers: unknown[] })._subscribers.length;
    requireFromRepo('./dist/runtime/index.js');
    const before = subscribers();
    expect(before).toBeGreaterThan(0);
    // A second copy: the same files loaded afresh, as two installed versions would be.
    for (const id of Object.keys(require.cache)) if (id.startsWith(join(repoRoot, 'dist', 'runtime'))) delete require.cache[id];
    requireFromRepo('./dist/runtime/net/index.js');
    expect(subscribers()).toBe(before);
  });
});

describe('loading', () => {
  const netStarted = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [...args, '-p', "globalThis[Symbol.for('autotrace.net')] === true"], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    }).stdout.trim();

  it('starts the net with autotrace/runtime, autotrace/otel and autotrace/register, and not with AUTOTRACE_NET=off', () => {
    expect(netStarted(['-r', 'autotrace/runtime'])).toBe('true');
    expect(netStarted(['--import', 'autotrace/otel'], { OTEL_TRACES_EXPORTER: 'none' })).toBe('true');
    expect(netStarted(['--import', 'autotrace/register'])).toBe('true');
    expect(netStarted(['-r', 'autotrace/runtime'], { AUTOTRACE_NET: 'off' })).toBe('false');
  });
});

describe('a call nobody traced', () => {
  it('gets a CLIENT span from the net that records a refused connection', async () => {
    const closed = await listen(createServer());
    await closed.close();
    // This file's own fetch: no build-time site made it.
    const error = (await fetch(`${closed.url}/x`).catch((e: unknown) => e)) as { cause?: { code?: string } };
    expect(error.cause?.code).toBe('ECONNREFUSED');
    const [span] = await sdk.waitForSpans(1);
    expect([span!.kind, span!.name, span!.instrumentationScope.name, span!.status.code, span!.attributes['error.type']]).toEqual([
      SpanKind.CLIENT,
      'GET',
      'autotrace',
      SpanStatusCode.ERROR,
      'ECONNREFUSED',
    ]);
    expect(span!.attributes['url.full']).toBe(`${closed.url}/x`);
  });
});

describe('propagateTo', () => {
  it('applies to the net calls as the build-time sites seen so far say', async () => {
    await fetch(`${echo.url}/before`);
    const { clients } = buildFixture<{ clients: Record<string, Client> }>(join(fixturesDir, 'apps', 'clients.ts'), {
      pluginOptions: { propagateTo: ['*.internal'] },
      outSuffix: 'net-propagate',
    });
    await clients['fetch']!.byId(echo.url, '1'); // the site that carries the list
    await fetch(`${echo.url}/after`); // the net's call
    expect(echo.seen.map((h) => 'traceparent' in h)).toEqual([true, false, false]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sdk.spans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(3);
  });
});
