import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { echoServer } from './helpers/http';
import { assertSpan, installSdk } from './helpers/otel';
import { fixturesDir, requireFromRepo } from './helpers/paths';

const sdk = installSdk();
type Client = { byId: (base: string, id: string, o?: object) => Promise<number> };
const clientsSource = join(fixturesDir, 'apps', 'clients.ts');

let echo: Awaited<ReturnType<typeof echoServer>>;
beforeAll(async () => {
  echo = await echoServer();
});
afterAll(() => echo.close());
beforeEach(() => {
  sdk.reset();
  echo.seen.length = 0;
});

describe('propagateTo', () => {
  it.each([
    [['*.internal', 'localhost'], false],
    [['127.0.0.*'], true],
    [['**'], true],
  ])('with %j, sends trace headers to 127.0.0.1: %s, and records the span either way', async (propagateTo, sends) => {
    const suffix = `propagate-${propagateTo.join('-').replace(/\W/g, '_')}`;
    const { clients } = buildFixture<{ clients: Record<string, Client> }>(clientsSource, { pluginOptions: { propagateTo }, outSuffix: suffix });
    for (const name of ['axios', 'undici.fetch', 'http.get']) await clients[name]!.byId(echo.url, '1');
    expect(echo.seen.map((headers) => 'traceparent' in headers)).toEqual([sends, sends, sends]);
    // The echo server's SERVER spans (the run-time net traces it) are not what this test is about.
    const spans = (await sdk.waitForSpans(6)).filter((s) => s.kind === SpanKind.CLIENT);
    expect(spans.map((s) => s.kind)).toEqual([SpanKind.CLIENT, SpanKind.CLIENT, SpanKind.CLIENT]);
  });
});

describe('axios specifics', () => {
  const axios = requireFromRepo('axios') as typeof import('axios').default;
  type Calls = { viaInstance: (api: unknown, url: string, config?: object) => Promise<unknown> };
  let calls: Calls;
  beforeAll(() => {
    calls = buildFixture<Calls>(join(fixturesDir, 'apps', 'axios-instance.ts'));
  });

  it('runs the user interceptors in their order, on a config it never mutates', async () => {
    const api = axios.create();
    const order: string[] = [];
    api.interceptors.request.use((config) => {
      order.push('first registered');
      config.headers.set('x-first', '1');
      return config;
    });
    api.interceptors.request.use((config) => {
      order.push('second registered');
      return config;
    });
    const config = { headers: { 'x-caller': 'c' } };
    await calls.viaInstance(api, `${echo.url}/x`, config);
    expect(order).toEqual(['second registered', 'first registered']); // axios runs request interceptors last-first
    expect(config).toEqual({ headers: { 'x-caller': 'c' } });
    expect(echo.seen[0]).toMatchObject({ 'x-first': '1', 'x-caller': 'c' });
    expect(typeof echo.seen[0]!.traceparent).toBe('string');
  });

  it('does not call a CancelToken cancellation an error', async () => {
    const source = axios.CancelToken.source();
    const pending = calls.viaInstance(axios, `${echo.url}/slow`, { cancelToken: source.token });
    setTimeout(() => source.cancel('changed my mind'), 20);
    expect(axios.isCancel(await pending.catch((e: unknown) => e))).toBe(true);
    const [span] = await sdk.waitForSpans(1);
    assertSpan(span, { name: 'GET', kind: SpanKind.CLIENT, status: SpanStatusCode.UNSET });
  });
});

describe('undici specifics', () => {
  it('records the status of a throwOnError rejection as the HTTP error it is', async () => {
    const { request } = buildFixture<{ request: (url: string) => Promise<unknown> }>(join(fixturesDir, 'apps', 'undici-throw.ts'));
    const error = (await request(`${echo.url}/status/404`).catch((e: unknown) => e)) as { statusCode?: number };
    expect(error.statusCode).toBe(404);
    const span = (await sdk.waitForSpans(2)).find((s) => s.kind === SpanKind.CLIENT);
    assertSpan(span, {
      name: 'GET',
      kind: SpanKind.CLIENT,
      status: SpanStatusCode.ERROR,
      attributes: { 'http.response.status_code': 404, 'error.type': '404' },
    });
  });
});
