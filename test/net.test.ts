import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoServer } from './helpers/http';
import { NODE22, netProject, startService, THROWING_SDK, WITH_INSTRUMENTATIONS, type SpanLine } from './helpers/net-service';

// The run-time net: a service whose HTTP traffic all happens inside a compiled package (@acme/net-sdk, installed from
// its tarball) still gets one SERVER span per request and a CLIENT span per call, joined into one trace downstream.

const SERVER = 1;
const CLIENT = 2;

let project: string;
let downstream: Awaited<ReturnType<typeof echoServer>>;

beforeAll(async () => {
  project = netProject();
  downstream = await echoServer();
}, 120_000);
afterAll(() => downstream.close());

/** GETs each path in turn over one keep-alive connection; returns the statuses. */
async function getAll(base: string, paths: string[], headers: Record<string, string> = {}): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: number[] = [];
  const sockets = new Set<unknown>();
  for (const path of paths) {
    statuses.push(
      await new Promise<number>((resolve, reject) => {
        const req = request(`${base}${path}`, { agent, headers }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end();
      }),
    );
  }
  agent.destroy();
  expect(sockets.size).toBe(1);
  return statuses;
}

const byKind = (spans: SpanLine[], kind: number) => spans.filter((span) => span.kind === kind);
const childrenOf = (spans: SpanLine[], parent: SpanLine) => spans.filter((span) => span.parentSpanId === parent.spanId);

const nodes = [
  { name: `Node ${process.versions.node}`, node: process.execPath, headersOverHttp: Number(process.versions.node.split('.')[0]) >= 22 },
  ...(existsSync(NODE22) ? [{ name: 'Node 22', node: NODE22, headersOverHttp: true }] : []),
];

describe.each(nodes)('on $name', ({ node, headersOverHttp }) => {
  it('gives a package-made server one SERVER span per request (404s too) and its calls CLIENT spans that join the trace', async () => {
    downstream.seen.length = 0;
    const service = await startService(project, downstream.url, { node });
    // Two requests on one keep-alive connection, then a 404 the package answers itself.
    expect(await getAll(service.url, ['/work', '/work', '/nowhere'])).toEqual([200, 200, 404]);
    const { spans, stderr } = await service.stop();
    expect(stderr).toBe('');

    const servers = byKind(spans, SERVER);
    expect(servers.map((s) => [s.name, s.attributes['http.response.status_code'], s.parentSpanId])).toEqual([
      ['GET', 200, undefined],
      ['GET', 200, undefined],
      ['GET', 404, undefined],
    ]);
    expect(new Set(servers.map((s) => s.traceId)).size).toBe(3);
    expect(byKind(spans, CLIENT)).toHaveLength(4);
    // Each request's calls are children of its own SERVER span: the second request on the connection does not
    // inherit the first one's context.
    for (const server of servers.slice(0, 2)) {
      const clients = childrenOf(spans, server);
      expect(clients.map((c) => [c.kind, c.name, c.traceId])).toEqual([
        [CLIENT, 'GET', server.traceId],
        [CLIENT, 'GET', server.traceId],
      ]);
      expect(clients.map((c) => c.attributes['url.full'])).toEqual([
        `${downstream.url}/http?token=REDACTED`,
        `${downstream.url}/fetch`,
      ]);
      expect(clients.map((c) => c.attributes['http.response.status_code'])).toEqual([200, 200]);
    }
    expect(childrenOf(spans, servers[2]!)).toEqual([]);

    // The downstream joins the trace: fetch everywhere, node:http where Node lets headers be set (22+).
    const clientSpans = servers.slice(0, 2).flatMap((server) => childrenOf(spans, server));
    const [http1, fetch1, http2, fetch2] = clientSpans.map((c) => `00-${c.traceId}-${c.spanId}-01`);
    expect(downstream.seen.map((h) => h.traceparent)).toEqual(
      headersOverHttp ? [http1, fetch1, http2, fetch2] : [undefined, fetch1, undefined, fetch2],
    );
  }, 60_000);
});

describe.each(nodes)('the run-time record on $name', ({ node, headersOverHttp }) => {
  it('names the package the calls came from and counts the requests it caught', async () => {
    const service = await startService(project, downstream.url, { node });
    await getAll(service.url, ['/work', '/work', '/nowhere']);
    const { record } = await service.stop();
    const host = new URL(downstream.url).host;
    // Node 20 publishes a node:http request a tick after the call, when the caller is no longer on the stack.
    const clients = headersOverHttp
      ? [{ kind: 'client', source: '@acme/net-sdk', method: 'GET', host, count: 4 }]
      : [
          { kind: 'client', method: 'GET', host, count: 2 },
          { kind: 'client', source: '@acme/net-sdk', method: 'GET', host, count: 2 },
        ];
    expect(record).toEqual({
      tool: 'autotrace',
      runtimeRecord: 1,
      entries: [...clients, { kind: 'server', method: 'GET', count: 3 }],
    });
  }, 60_000);
});

describe('standing down', () => {
  it('makes no span where instrumentation-http and -undici already own the request and the calls', async () => {
    downstream.seen.length = 0;
    const service = await startService(project, downstream.url, { preload: [WITH_INSTRUMENTATIONS] });
    expect(await getAll(service.url, ['/work', '/nowhere'])).toEqual([200, 404]);
    const { spans, stderr, record } = await service.stop();
    expect(stderr).toBe('');
    const theirs = (s: SpanLine) => [s.kind, s.scope];
    expect(byKind(spans, SERVER).map(theirs)).toEqual([
      [SERVER, '@opentelemetry/instrumentation-http'],
      [SERVER, '@opentelemetry/instrumentation-http'],
    ]);
    expect(byKind(spans, CLIENT).map(theirs)).toEqual([
      [CLIENT, '@opentelemetry/instrumentation-http'],
      [CLIENT, '@opentelemetry/instrumentation-undici'],
    ]);
    // One traceparent per call, theirs.
    expect(downstream.seen.map((h) => typeof h.traceparent)).toEqual(['string', 'string']);
    expect((record as { entries: unknown[] }).entries).toEqual([]);
  }, 60_000);

  it('with AUTOTRACE_NET=off, does nothing', async () => {
    downstream.seen.length = 0;
    const service = await startService(project, downstream.url, { env: { AUTOTRACE_NET: 'off' } });
    expect(await getAll(service.url, ['/work'])).toEqual([200]);
    const { spans, record } = await service.stop();
    expect(spans).toEqual([]);
    expect(record).toBeUndefined();
    expect(downstream.seen.map((h) => h.traceparent)).toEqual([undefined, undefined]);
  }, 60_000);
});

describe('safety', () => {
  it('with no SDK registered, does nothing: not even the incoming trace context is carried on', async () => {
    downstream.seen.length = 0;
    const service = await startService(project, downstream.url, { sdk: false });
    const incoming = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    expect(await getAll(service.url, ['/work', '/nowhere'], incoming)).toEqual([200, 404]);
    const { stderr, record } = await service.stop();
    expect(stderr).toBe('');
    expect(downstream.seen.map((h) => h.traceparent)).toEqual([undefined, undefined]);
    expect((record as { entries: unknown[] }).entries).toEqual([]);
  }, 60_000);

  it('with an SDK that throws on every call, serves and calls as before', async () => {
    const service = await startService(project, downstream.url, { preload: [THROWING_SDK] });
    expect(await getAll(service.url, ['/work', '/nowhere', '/work'])).toEqual([200, 404, 200]);
    const { stderr } = await service.stop();
    expect(stderr).toBe('');
  }, 60_000);
});
