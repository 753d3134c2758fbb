import { context, createTraceState, propagation, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import type { Express } from 'express';
import { createServer, request, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { listen } from './helpers/http';
import { installSdk } from './helpers/otel';
import { fixturesDir } from './helpers/paths';

// A traced program must send exactly what the untraced one sends, plus trace headers, and its spans must not carry
// secrets. Each test here failed against the defect it names before that was fixed.

const sdk = installSdk();

type Integrity = {
  api: { interceptors: { request: { use: (f: (c: unknown) => unknown) => number; eject: (id: number) => void; clear: () => void; handlers: unknown[] } } };
  httpRequest: (url: string, options: RequestOptions) => Promise<number>;
  httpGetOptions: (options: RequestOptions) => Promise<number>;
  axiosRequest: (method: string, url: string, params?: Record<string, string>) => Promise<number>;
  fetchCall: (url: string, init?: RequestInit) => Promise<Response>;
  createService: (downstream: string) => Express;
};

let fixture: Integrity;
/** Raw header lists (`[name, value, …]` as they came off the wire) of each request the receiver saw. */
const received: { method: string; raw: string[]; headers: IncomingHttpHeaders }[] = [];
let receiver: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  fixture = buildFixture<Integrity>(join(fixturesDir, 'apps', 'integrity.ts'));
  const server = createServer((req, res) => {
    received.push({ method: req.method ?? '', raw: req.rawHeaders, headers: req.headers });
    res.end('ok');
  });
  receiver = await listen(server);
});
afterAll(() => receiver.close());
beforeEach(() => {
  sdk.reset();
  received.length = 0;
});

// The receiver is a server in this process, so the run-time net gives each request it serves a SERVER span of its
// own: spans are picked by kind and path, not by position.
async function spansOf(kind: SpanKind, count: number, path?: string) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const spans = (await sdk.waitForSpans(count)).filter((s) => s.kind === kind && (path === undefined || s.attributes['url.path'] === path));
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const clientSpans = (count = 1) => spansOf(SpanKind.CLIENT, count);

/** The raw headers as `[name, value]` pairs, without the trace headers autotrace adds. */
function callerHeaders(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs.filter(([name]) => !['traceparent', 'tracestate', 'baggage'].includes(name.toLowerCase()));
}

describe('node:http: every header form Node accepts goes out as Node would send it, plus trace headers', () => {
  const host = () => new URL(receiver.url).host;
  const forms: Record<string, () => RequestOptions['headers'] | [string, string][]> = {
    object: () => ({ host: host(), 'x-one': '1', 'X-Two': ['a', 'b'] }),
    'flat array': () => ['host', host(), 'x-one', '1', 'X-Two', 'a'],
    'array of pairs': () => [['host', host()], ['x-one', '1'], ['X-Two', 'a']],
  };

  it.each(Object.keys(forms))('%s', async (form) => {
    const options = { headers: forms[form]!() as RequestOptions['headers'], agent: false };
    await fixture.httpRequest(receiver.url, { ...options });
    // The same call made by this (untransformed) file: what plain Node sends for these options.
    await new Promise((resolve, reject) => request(receiver.url, { ...options }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
    expect(callerHeaders(received[0]!.raw)).toEqual(callerHeaders(received[1]!.raw));
    expect(received[0]!.headers['x-one']).toBe('1');
    const [span] = await clientSpans();
    expect(received[0]!.headers.traceparent).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
    expect(received[1]!.headers.traceparent).toBeUndefined();
  });

  it.each(Object.keys(forms))('leaves the caller\'s options object and its %s headers as they were', async (form) => {
    const headers = forms[form]!();
    const options = { headers: headers as RequestOptions['headers'], agent: false, method: 'GET' };
    const before = structuredClone(options.headers);
    await fixture.httpRequest(receiver.url, options);
    expect(options.headers).toBe(headers);
    expect(options.headers).toEqual(before);
    expect(Object.keys(options)).toEqual(['headers', 'agent', 'method']);
    expect(received[0]!.headers.traceparent).toBeDefined();
  });

  it('leaves an options-only call\'s object as it was', async () => {
    const { hostname, port } = new URL(receiver.url);
    const options: RequestOptions = { hostname, port, path: '/x', headers: { 'x-one': '1' }, agent: false };
    const before = structuredClone(options);
    await fixture.httpGetOptions(options);
    expect(options).toEqual(before);
    expect(received[0]!.headers.traceparent).toBeDefined();
  });
});

describe('tracestate goes only with our own traceparent', () => {
  const remote = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=abc'),
  };
  const underRemoteParent = <T>(fn: () => Promise<T>) => context.with(trace.setSpanContext(context.active(), remote), fn);

  it('sends the active tracestate with the traceparent autotrace adds', async () => {
    await underRemoteParent(() => fixture.fetchCall(`${receiver.url}/a`));
    expect(received[0]!.headers.tracestate).toBe('vendor=abc');
  });

  it('does not pair it with a traceparent the caller set', async () => {
    const own = '00-11111111111111111111111111111111-2222222222222222-01';
    await underRemoteParent(() => fixture.fetchCall(`${receiver.url}/a`, { headers: { traceparent: own } }));
    expect(received[0]!.headers.traceparent).toBe(own);
    expect(received[0]!.headers.tracestate).toBeUndefined();
  });
});

describe('axios: the trace-header interceptor survives clear() and eject()', () => {
  const ours = () => fixture.api.interceptors.request.handlers.filter((h) => h !== null);

  it('adds it again after clear(), once', async () => {
    await fixture.axiosRequest('get', `${receiver.url}/1`);
    expect(received[0]!.headers.traceparent).toBeDefined();
    fixture.api.interceptors.request.clear();
    await fixture.axiosRequest('get', `${receiver.url}/2`);
    await fixture.axiosRequest('get', `${receiver.url}/3`);
    expect(received[1]!.headers.traceparent).toBeDefined();
    expect(received[2]!.headers.traceparent).toBeDefined();
    expect(ours()).toHaveLength(1);
  });

  it('adds it again after eject(id) of every interceptor, and keeps the user\'s own', async () => {
    const order: string[] = [];
    const first = fixture.api.interceptors.request.use((config) => (order.push('first'), config));
    fixture.api.interceptors.request.use((config) => (order.push('second'), config));
    for (let id = 0; id <= first; id++) fixture.api.interceptors.request.eject(id);
    await fixture.axiosRequest('get', `${receiver.url}/4`);
    expect(received[0]!.headers.traceparent).toBeDefined();
    expect(order).toEqual(['second']);
    expect(ours()).toHaveLength(2);
  });
});

describe('http.request.method_original is only set when the method sent differs from the known one', () => {
  it.each([
    ['axios', () => fixture.axiosRequest('post', `${receiver.url}/m`)],
    ['node:http', () => fixture.httpRequest(`${receiver.url}/m`, { method: 'post', agent: false })],
    ['fetch', () => fixture.fetchCall(`${receiver.url}/m`, { method: 'post' })],
  ])('%s sends POST for "post": no method_original', async (_name, call) => {
    await call();
    expect(received[0]!.method).toBe('POST');
    const [span] = await clientSpans();
    expect(span!.attributes['http.request.method']).toBe('POST');
    expect(span!.attributes['http.request.method_original']).toBeUndefined();
  });

  it('fetch sends "patch" as given (Fetch normalises only six methods): method_original is "patch"', async () => {
    // Node's own server refuses a lower-case method (400), which shows it went out as written.
    expect((await fixture.fetchCall(`${receiver.url}/m`, { method: 'patch' })).status).toBe(400);
    const [span] = await clientSpans();
    expect(span!.attributes['http.request.method']).toBe('PATCH');
    expect(span!.attributes['http.request.method_original']).toBe('patch');
  });
});

describe('nothing the runtime reads may throw into the caller', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('hands back a response whose status getter throws, as it is', async () => {
    const response = Object.defineProperty({}, 'status', { get: () => { throw new Error('getter'); } });
    globalThis.fetch = (async () => response) as unknown as typeof fetch;
    await expect(fixture.fetchCall('http://stub.test/x')).resolves.toBe(response);
    const [span] = await clientSpans();
    expect(span!.ended).toBe(true);
  });

  it('hands back a rejection whose name getter throws, as it is', async () => {
    const failure = Object.defineProperty({}, 'name', { get: () => { throw new Error('getter'); } });
    globalThis.fetch = (async () => { throw failure; }) as unknown as typeof fetch;
    await expect(fixture.fetchCall('http://stub.test/x')).rejects.toBe(failure);
    await clientSpans();
  });
});

describe('secrets in query strings never reach a span', () => {
  const secretQuery =
    'X-Amz-Signature=s1&x-amz-credential=s2&X-Amz-Security-Token=s3&AWSAccessKeyId=s4&Signature=s5&sig=s6' +
    '&X-Goog-Signature=s7&X-Goog-Credential=s8&ACCESS_TOKEN=s9&id_token=s10&refresh_token=s11&Token=s12&api_key=s13' +
    '&apikey=s14&key=s15&password=s16&passwd=s17&secret=s18&client_secret=s19&code=s20&%61ccess%5Ftoken=s21&page=2' +
    '&session_id=s22&flag';
  const expectRedacted = (value: unknown, keepSessionId: boolean) => {
    const text = String(value);
    for (let i = 1; i <= 21; i++) expect(text).not.toMatch(new RegExp(`=s${i}(&|$)`));
    expect(text).toContain('X-Amz-Signature=REDACTED');
    expect(text).toContain('%61ccess%5Ftoken=REDACTED');
    expect(text).toContain('page=2');
    expect(text).toContain('&flag');
    expect(text.includes('session_id=s22')).toBe(keepSessionId);
  };

  it('url.full of a CLIENT span (fetch, and axios params)', async () => {
    await fixture.fetchCall(`${receiver.url}/q?${secretQuery}`);
    const [fetchSpan] = await clientSpans();
    expectRedacted(fetchSpan!.attributes['url.full'], true);
    sdk.reset();
    await fixture.axiosRequest('get', `${receiver.url}/q`, { token: 'p1', page: '3' });
    const [axiosSpan] = await clientSpans();
    expect(axiosSpan!.attributes['url.full']).toBe(`${receiver.url}/q?token=REDACTED&page=3`);
    // What is sent is untouched.
    expect(received.map((r) => r.headers.host)).toHaveLength(2);
  });

  it('url.query of a SERVER span', async () => {
    const service = await listen(createServer(fixture.createService(receiver.url)));
    try {
      expect((await fetch(`${service.url}/relay?${secretQuery}`)).status).toBe(200);
      const [server] = await spansOf(SpanKind.SERVER, 1, '/relay');
      expectRedacted(server!.attributes['url.query'], true);
    } finally {
      await service.close();
    }
  });

  it('with redactQueryParams: ["session_id"], that parameter too', async () => {
    const redacting = buildFixture<Integrity>(join(fixturesDir, 'apps', 'integrity.ts'), {
      pluginOptions: { redactQueryParams: ['session_id'] },
      outSuffix: 'redact',
    });
    const service = await listen(createServer(redacting.createService(receiver.url)));
    try {
      expect((await fetch(`${service.url}/relay?${secretQuery}`)).status).toBe(200);
      const [server] = await spansOf(SpanKind.SERVER, 1, '/relay');
      expectRedacted(server!.attributes['url.query'], false);
      sdk.reset();
      await redacting.fetchCall(`${receiver.url}/q?${secretQuery}`);
      expectRedacted((await clientSpans())[0]!.attributes['url.full'], false);
    } finally {
      await service.close();
    }
  });
});

describe('baggage: bounded to the W3C limits, never made into attributes', () => {
  it('forwards at most 180 members and 8192 bytes of an oversized incoming baggage, whole members only', async () => {
    const members = Array.from({ length: 300 }, (_, i) => `member${i}=${'v'.repeat(40)}${i}`);
    const service = await listen(createServer(fixture.createService(receiver.url)));
    try {
      const response = await fetch(`${service.url}/relay`, { headers: { baggage: members.join(',') } });
      expect(response.status).toBe(200);
      const forwarded = String(received[0]!.headers.baggage).split(',');
      expect(Buffer.byteLength(forwarded.join(','))).toBeLessThanOrEqual(8192);
      expect(forwarded.length).toBeLessThanOrEqual(180);
      expect(forwarded.length).toBeGreaterThan(100);
      for (const member of forwarded) expect(members).toContain(member);
      const spans = await sdk.waitForSpans(2);
      for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain('member1');
    } finally {
      await service.close();
    }
  });

  it('reads baggage set in the active context but never as span attributes', async () => {
    const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
    await context.with(propagation.setBaggage(context.active(), baggage), () => fixture.fetchCall(`${receiver.url}/b`));
    expect(received[0]!.headers.baggage).toBe('tenant=acme');
    const [span] = await clientSpans();
    expect(JSON.stringify(span!.attributes)).not.toContain('acme');
  });
});
