import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { echoServer } from './helpers/http';
import { assertSpan, installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir } from './helpers/paths';
import type { makeFriends as MakeFriends } from '../fixtures/nest-http/friends';

// @nestjs/axios' HttpService built with the plugin: each call site is a CLIENT span that starts when its Observable
// is subscribed to (it stays cold), ends on complete, error or unsubscribe, and carries the trace to the server.

const sdk = installSdk();
let downstream: Awaited<ReturnType<typeof echoServer>>;
let friends: ReturnType<typeof MakeFriends>;

beforeAll(async () => {
  downstream = await echoServer();
  const { makeFriends } = buildFixture<{ makeFriends: typeof MakeFriends }>(join(fixturesDir, 'nest-http', 'friends.ts'));
  friends = makeFriends();
});
afterAll(() => downstream.close());
beforeEach(() => {
  sdk.reset();
  downstream.seen.length = 0;
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 50));

// The echo server's own SERVER spans (the run-time net traces it in this process) are left out.
async function clientSpans(count: number) {
  for (let total = count; ; total++) {
    const clients = (await sdk.waitForSpans(total)).filter((span) => span.kind === SpanKind.CLIENT);
    if (clients.length >= count) return clients;
  }
}

describe('HttpService calls built with the plugin', () => {
  it('stay cold: no span and no request until subscribed; then one CLIENT span with url.template, headers propagated', async () => {
    const friend = friends.friend(downstream.url, '7');
    await tick();
    expect(sdk.spans().filter((span) => span.kind === SpanKind.CLIENT)).toHaveLength(0);
    expect(downstream.seen).toHaveLength(0);
    const response = await firstValueFrom(friend);
    expect(response.data).toBe('ok');
    const [span] = await clientSpans(1);
    assertSpan(span, {
      name: 'GET /friends/{id}',
      kind: SpanKind.CLIENT,
      attributes: { 'url.template': '/friends/{id}', 'http.response.status_code': 200, 'code.function.name': 'Friends.friend' },
      parent: null,
    });
    expect(downstream.seen.map((headers) => headers.traceparent)).toEqual([`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`]);
    // Subscribed twice, it is two calls (as the service's own Observable is).
    await lastValueFrom(friend);
    expect(await clientSpans(2)).toHaveLength(2);
  });

  it('ends the span with the error status, and when the subscriber leaves before the response', async () => {
    await expect(lastValueFrom(friends.status(downstream.url, 503))).rejects.toThrow(/503/);
    const [failed] = await clientSpans(1);
    assertSpan(failed, { name: 'GET /status/{code}', kind: SpanKind.CLIENT, attributes: { 'http.response.status_code': 503 }, status: SpanStatusCode.ERROR });
    sdk.reset();
    const subscription = friends.friend(`${downstream.url}/slow`, '1').subscribe({ next: () => {} });
    await tick();
    subscription.unsubscribe();
    const [left] = await clientSpans(1);
    expect(left!.name).toBe('GET /friends/{id}');
    expect(left!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('traces a POST, and a call on httpService.axiosRef as an axios call', async () => {
    await lastValueFrom(friends.create(downstream.url, 'Tom'));
    await friends.direct(downstream.url, '9');
    const spans = await clientSpans(2);
    expect(spans.map((span) => [span.name, span.attributes['http.response.status_code'], span.attributes['code.function.name']])).toEqual([
      ['POST /friends', 200, 'Friends.create'],
      ['GET /direct/{id}', 200, 'Friends.direct'],
    ]);
    expect(spans.every((span) => parentSpanId(span) === undefined)).toBe(true);
    expect(downstream.seen.map((headers) => String(headers.traceparent).split('-')[2])).toEqual(spans.map((span) => span.spanContext().spanId));
  });
});
