import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildFixture } from './helpers/compile';
import { tspcBuild } from './helpers/fixture-project';
import { installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';
import { startRedis, type RealServer } from './helpers/real-servers';

// A real Redis, a real SDK, and a real tspc build of an Express service that reads through Redis with ioredis 5 and 6
// and with node-redis 4, 5 and 6: each command one CLIENT span under the request's SERVER span, a pipeline or MULTI
// one span, a command Redis refuses an error span, and no value anywhere on a span.

const REDIS_PORT = 21300;
const VALUE = 'value-never-on-a-span';
const sdk = installSdk();
let redis: RealServer;
const work = join(repoRoot, '.tmp', 'datastores-redis');

interface Service {
  app: import('express').Express;
  close(): Promise<unknown>;
}

beforeAll(async () => {
  redis = await startRedis(REDIS_PORT);
  rmSync(work, { recursive: true, force: true });
  cpSync(join(fixturesDir, 'datastores-redis'), work, { recursive: true, filter: (src) => !/node_modules|[\\/]out$/.test(src) });
  // node-redis 4 and 5 are installed under aliases: the same source, importing from them.
  const nodeRedis = readFileSync(join(work, 'src', 'node-redis-service.ts'), 'utf8');
  for (const alias of ['redis4', 'redis5']) {
    writeFileSync(join(work, 'src', `node-${alias}-service.ts`), nodeRedis.replace("from 'redis'", `from '${alias}'`));
  }
  // ioredis 5 likewise.
  const ioredis = readFileSync(join(work, 'src', 'ioredis-service.ts'), 'utf8');
  writeFileSync(join(work, 'src', 'ioredis5-service.ts'), ioredis.replace("from 'ioredis'", "from 'ioredis5'"));
  mkdirSync(join(work, 'node_modules'), { recursive: true });
  symlinkSync(repoRoot, join(work, 'node_modules', 'autotrace'), 'dir');
  const build = await tspcBuild(work);
  expect(build.code, build.stderr + build.stdout).toBe(0);
}, 120_000);
afterAll(async () => {
  await redis?.stop();
});
beforeEach(() => sdk.reset());

async function serve(service: Service) {
  const server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The request's SERVER span and the CLIENT spans of its trace, in the order they started. */
async function spansOf(base: string, path: string, clientSpans: number) {
  const response = await fetch(`${base}${path}`);
  const body = await response.text();
  const ofRequest = () => {
    const spans = sdk.spans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER && span.attributes['url.path'] === path);
    const clients = spans
      // The test's own fetch is a CLIENT span of the same trace too (the run-time net traces it): Redis spans only.
      .filter((span) => span.kind === SpanKind.CLIENT && span.attributes['db.system.name'] === 'redis' && span.spanContext().traceId === server?.spanContext().traceId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    return { server, clients };
  };
  const deadline = Date.now() + 5000;
  while ((!ofRequest().server || ofRequest().clients.length < clientSpans) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const { server, clients } = ofRequest();
  expect(server, 'SERVER span').toBeDefined();
  expect(clients).toHaveLength(clientSpans);
  for (const client of clients) expect(parentSpanId(client)).toBe(server!.spanContext().spanId);
  return { status: response.status, body, server: server!, clients };
}

function expectNoValue(spans: readonly ReadableSpan[]): void {
  for (const span of spans) {
    const text = JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status });
    expect(text).not.toContain(VALUE);
    expect(text).not.toContain('secret');
  }
}

const CLIENTS = [
  { name: 'ioredis 6', file: 'ioredis-service', client: 'ioredis', database: '2' },
  { name: 'ioredis 5', file: 'ioredis5-service', client: 'ioredis', database: '2' },
  { name: 'node-redis 6', file: 'node-redis-service', client: 'redis', database: '3' },
  { name: 'node-redis 5', file: 'node-redis5-service', client: 'redis', database: '3' },
  { name: 'node-redis 4', file: 'node-redis4-service', client: 'redis', database: '3' },
] as const;

describe.each(CLIENTS)('$name', ({ file, database, client }) => {
  let service: Service;
  let http: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    const { createService } = requireFromRepo(join(work, 'out', `${file}.js`)) as { createService(port: number): Service | Promise<Service> };
    service = await createService(REDIS_PORT);
    http = await serve(service);
    // Clean keys for a first miss; commands outside a request make no span (asserted below).
    await (await fetch(`${http.base}/users/0`)).arrayBuffer();
  });
  afterAll(async () => {
    await http?.close();
    await service?.close();
  });

  it('gives each command one CLIENT span under the SERVER span: GET miss, SET, GET hit, with the conventions\' attributes', async () => {
    const id = `${client}-${Date.now()}`;
    const { clients } = await spansOf(http.base, `/users/${id}`, 3);
    expect(clients.map((span) => span.name)).toEqual(['GET', 'SET', 'GET']);
    for (const span of clients) {
      expect(span.attributes).toMatchObject({
        'db.system.name': 'redis',
        'db.namespace': database,
        'server.address': '127.0.0.1',
        'server.port': REDIS_PORT,
        'code.file.path': `src/${file}.ts`,
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(clients.map((span) => span.attributes['db.operation.name'])).toEqual(['GET', 'SET', 'GET']);
    expect(clients.map((span) => span.attributes['db.query.text'])).toEqual([`GET user:${id}`, `SET user:${id}`, `GET user:${id}`]);
    expectNoValue(sdk.spans());
  });

  it('makes a pipeline one span naming its commands and their count, and a MULTI built in a loop one span', async () => {
    const pipeline = await spansOf(http.base, '/pipeline', 1);
    expect(pipeline.clients).toHaveLength(1);
    const [batch] = pipeline.clients;
    expect(batch!.name).toBe('PIPELINE');
    expect(batch!.attributes).toMatchObject({ 'db.operation.name': 'PIPELINE', 'db.operation.batch.size': 2, 'db.system.name': 'redis' });
    expect(batch!.attributes['db.query.text']).toBe(client === 'ioredis' ? 'SET pipe:a; GET pipe:a' : 'HSET h:p; GET pipe:a');
    expectNoValue(sdk.spans());

    sdk.reset();
    const multi = await spansOf(http.base, '/multi', 1);
    expect(multi.clients.map((span) => span.name)).toEqual(['MULTI GET']);
    expect(multi.clients[0]!.attributes).toMatchObject({ 'db.operation.name': 'MULTI GET', 'db.operation.batch.size': 3, 'db.query.text': 'GET m:1; GET m:2; GET m:3' });
  });

  it('marks the command Redis refuses as an error with its prefix, and the caller gets the same error', async () => {
    const { status, body, clients } = await spansOf(http.base, '/fail', 2);
    expect(status).toBe(500);
    // The client's own error, as Redis worded it, reached the caller's catch.
    expect(JSON.parse(body)).toEqual({ failed: true, message: 'ERR value is not an integer or out of range' });
    const [set, incr] = clients;
    expect(set!.status.code).toBe(SpanStatusCode.UNSET);
    expect(incr!.name).toBe('INCR');
    expect(incr!.status.code).toBe(SpanStatusCode.ERROR);
    expect(incr!.attributes).toMatchObject({ 'error.type': 'ERR', 'db.response.status_code': 'ERR', 'db.query.text': 'INCR not-a-number' });
    expectNoValue(sdk.spans());
  });

  it('makes no span for a command outside any trace (the default datastoreSpans: in-trace), and spans for the same client in one', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    sdk.reset();
    const { background } = requireFromRepo(join(work, 'out', `${file}.js`)) as { background(client: unknown): Promise<unknown> };
    const owner = service as unknown as { redis?: unknown; client?: unknown };
    expect(await background(owner.redis ?? owner.client)).toBe('PONG');
    const { clients } = await spansOf(http.base, `/users/background-${file}-${Date.now()}`, 3);
    const redisSpans = sdk.spans().filter((span) => span.attributes['db.system.name'] === 'redis');
    expect(redisSpans).toEqual(clients);
    expect(redisSpans.map((span) => span.name)).not.toContain('PING');
  });
});

describe('ioredis callbacks', () => {
  it('keep working, each command a span, the callback called as before', async () => {
    const { createService } = requireFromRepo(join(work, 'out', 'ioredis-service.js')) as { createService(port: number): Service };
    const service = createService(REDIS_PORT);
    const http = await serve(service);
    try {
      const response = await fetch(`${http.base}/callback`);
      expect(await response.json()).toEqual({ added: expect.any(Number), value: VALUE });
      const spans = await sdk.waitForSpans(3);
      const server = spans.find((span) => span.kind === SpanKind.SERVER && span.attributes['url.path'] === '/callback')!;
      const clients = spans.filter((span) => span.attributes['db.system.name'] === 'redis' && span.spanContext().traceId === server.spanContext().traceId);
      expect(clients.map((span) => span.name).sort()).toEqual(['HGET', 'HSET']);
      // HGET is called in HSET's callback: its parent is the request, as the callback runs in the caller's context.
      for (const span of clients) expect(parentSpanId(span)).toBe(server.spanContext().spanId);
      expectNoValue(spans);
    } finally {
      await http.close();
      await service.close();
    }
  });
});

describe('the report', () => {
  it('lists every Redis call site as a datastore site of its client, with its command', () => {
    const report = JSON.parse(readFileSync(join(work, 'autotrace-report.json'), 'utf8')) as {
      sites: { file: string; line: number; kind: string; client?: string; operation?: string; status: string }[];
    };
    const datastore = report.sites.filter((site) => site.kind === 'datastore');
    const ioredis = datastore.filter((site) => site.file === 'src/ioredis-service.ts');
    expect(ioredis.every((site) => site.client === 'ioredis' && site.status === 'instrumented')).toBe(true);
    expect(ioredis.map((site) => site.operation).filter(Boolean)).toEqual(
      expect.arrayContaining(['GET', 'SET', 'INCR', 'HSET', 'HGET', 'PING']),
    );
    const nodeRedis = datastore.filter((site) => site.file === 'src/node-redis4-service.ts');
    expect(nodeRedis.every((site) => site.client === 'redis' && site.status === 'instrumented')).toBe(true);
    // `client.SET(…)` and `hSet(…)` are the commands SET and HSET.
    expect(nodeRedis.map((site) => site.operation).filter(Boolean)).toEqual(expect.arrayContaining(['GET', 'SET', 'HSET', 'INCR', 'PING']));
  });
});

describe('options', () => {
  it('datastoreSpans "always" traces commands outside a trace too; redactRedisKeys shows each key as ?', async () => {
    const { createService, background } = buildFixture<{
      createService(port: number): Service & { redis: unknown };
      background(redis: unknown): Promise<unknown>;
    }>(join(fixturesDir, 'datastores-redis', 'src', 'ioredis-service.ts'), {
      pluginOptions: { datastoreSpans: 'always', redactRedisKeys: true },
      outSuffix: 'options',
    });
    const service = createService(REDIS_PORT);
    const http = await serve(service);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sdk.reset();
      expect(await background(service.redis)).toBe('PONG');
      const [ping] = await sdk.waitForSpans(1);
      expect(ping!.name).toBe('PING');
      expect(parentSpanId(ping!)).toBeUndefined();
      sdk.reset();
      const { clients } = await spansOf(http.base, '/users/redacted', 3);
      expect(clients.map((span) => span.attributes['db.query.text'])).toEqual(['GET ?', 'SET ?', 'GET ?']);
      expect(JSON.stringify(sdk.spans().map((span) => span.attributes))).not.toContain('user:redacted');
    } finally {
      await http.close();
      await service.close();
    }
  });
});
