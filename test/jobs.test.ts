import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Queue, type Job } from 'bullmq';
import { readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { listen } from './helpers/http';
import { startListening } from './helpers/processes';
import { assertSpan, installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir, repoRoot } from './helpers/paths';
import { startRedis, type RealServer } from './helpers/real-servers';
import { until } from './helpers/wait';

// fixtures/jobs built with tspc and run in this process beside a real SDK and a real Redis: a web route that adds a
// BullMQ job and calls a gRPC service, a worker and a gRPC handler that call another HTTP server, all one trace;
// retries as new CONSUMER spans of the same trace with their attempt counts; a failing processor; jobs carrying no
// or malformed context; and what the report says of each site.

const REDIS_PORT = 21101;
const project = join(fixturesDir, 'jobs');
const fixtureRequire = createRequire(join(project, 'package.json'));

interface Hit {
  url: string;
  headers: IncomingHttpHeaders;
}

const sdk = installSdk();
let redis: RealServer;
let downstream: { url: string; hits: Hit[]; close: () => Promise<void> };
let emails: Queue;
let plainQueue: Queue;
let worker: { close(): Promise<void> };
let greeter: { server: { forceShutdown(): void }; address: string };
let client: { close(): void };
let web: Server;
let webUrl = '';
const attempts: { id: string | undefined; attemptsMade: number; data: unknown }[] = [];
let buildOutput = '';

async function recorder() {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    hits.push({ url: req.url ?? '', headers: req.headers });
    res.end('ok');
  });
  const { url, close } = await listen(server);
  return { url, hits, close };
}

beforeAll(async () => {
  rmSync(join(project, 'dist'), { recursive: true, force: true });
  const build = await tspcBuild(project);
  buildOutput = build.stdout + build.stderr;
  expect(build.code, buildOutput).toBe(0);
  redis = await startRedis(REDIS_PORT);
  downstream = await recorder();
  const connection = { host: '127.0.0.1', port: REDIS_PORT };
  const jobs = fixtureRequire('./dist/jobs.js');
  const greeterModule = fixtureRequire('./dist/greeter.js');
  const webModule = fixtureRequire('./dist/web.js');
  emails = jobs.emailQueue(connection);
  plainQueue = new Queue('emails', { connection });
  worker = jobs.emailWorker(connection, downstream.url, attempts);
  greeter = await greeterModule.startGreeter(downstream.url);
  client = greeterModule.greeterClient(greeter.address);
  web = await webModule.startWeb(emails, client);
  const address = web.address() as { port: number };
  webUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  const quietly = async (close: (() => unknown) | undefined) => {
    try {
      await close?.();
    } catch {
      // closing what did not start
    }
  };
  await quietly(() => web?.close());
  await quietly(() => client?.close());
  await quietly(() => greeter?.server.forceShutdown());
  await quietly(() => worker?.close());
  await quietly(() => emails?.close());
  await quietly(() => plainQueue?.close());
  await quietly(() => downstream?.close());
  await redis?.stop();
});

const spansWhere = (test: (span: ReadableSpan) => boolean) => sdk.spans().filter(test);
const consumerSpansOf = (jobId: string) =>
  spansWhere((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === jobId);
const traceparentTrace = (headers: IncomingHttpHeaders) => String(headers.traceparent ?? '').split('-')[1];

async function settled(queue: Queue, id: string): Promise<Job> {
  return until(`job ${id} to settle`, async () => {
    const state = await queue.getJobState(id);
    // Read after the state is final: a job read before it may still show the previous attempt.
    return state === 'completed' || state === 'failed' ? queue.getJob(id) : undefined;
  });
}

describe('BullMQ and gRPC in one trace', () => {
  it('follows a request through the job and the gRPC call to the HTTP calls each of them makes', async () => {
    const response = await fetch(`${webUrl}/signup/ada`);
    const body = (await response.json()) as { job: string; greeting: string };
    expect(body.greeting).toBe('hello ada');
    const sent = await until('the worker to call downstream', () => downstream.hits.find((hit) => hit.url === '/sent/ada'));
    const greeted = downstream.hits.find((hit) => hit.url === '/greeted/ada')!;
    expect(greeted).toBeDefined();

    const route = await until('the route span', () => spansWhere((s) => s.name === 'GET /signup/:name')[0]);
    const traceId = route.spanContext().traceId;
    const producer = spansWhere((s) => s.kind === SpanKind.PRODUCER && s.spanContext().traceId === traceId)[0];
    assertSpan(producer, {
      name: 'add emails',
      kind: SpanKind.PRODUCER,
      parent: route.spanContext().spanId,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'emails',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'add',
        'messaging.message.id': body.job,
        'messaging.bullmq.job.name': 'welcome',
        'code.file.path': 'src/web.ts',
      },
    });
    const consumer = await until('the consumer span', () => consumerSpansOf(body.job)[0]);
    assertSpan(consumer, {
      name: 'process emails',
      kind: SpanKind.CONSUMER,
      traceId,
      parent: producer!.spanContext().spanId,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'emails',
        'messaging.operation.type': 'process',
        'messaging.message.id': body.job,
        'messaging.bullmq.job.attempts_made': 0,
        'code.file.path': 'src/jobs.ts',
      },
    });
    const sendCall = await until('the worker client span', () => spansWhere((s) => s.name === 'GET /sent/{to}' && s.spanContext().traceId === traceId)[0]);
    expect(parentSpanId(sendCall)).toBe(consumer.spanContext().spanId);
    expect(traceparentTrace(sent.headers)).toBe(traceId);

    const rpcClient = spansWhere((s) => s.kind === SpanKind.CLIENT && s.name === 'demo.Greeter/SayHello' && s.spanContext().traceId === traceId)[0];
    assertSpan(rpcClient, {
      name: 'demo.Greeter/SayHello',
      kind: SpanKind.CLIENT,
      parent: route.spanContext().spanId,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': 'demo.Greeter', 'rpc.method': 'SayHello', 'rpc.grpc.status_code': 0, 'server.address': '127.0.0.1' },
    });
    const rpcServer = spansWhere((s) => s.kind === SpanKind.SERVER && s.name === 'demo.Greeter/SayHello' && s.spanContext().traceId === traceId)[0];
    assertSpan(rpcServer, { name: 'demo.Greeter/SayHello', kind: SpanKind.SERVER, parent: rpcClient!.spanContext().spanId, attributes: { 'rpc.grpc.status_code': 0 } });
    const greetCall = spansWhere((s) => s.name === 'GET /greeted/{name}' && s.spanContext().traceId === traceId)[0];
    expect(greetCall && parentSpanId(greetCall)).toBe(rpcServer!.spanContext().spanId);
    expect(traceparentTrace(greeted.headers)).toBe(traceId);

    // The processor saw the data as it was added; the context rode in BullMQ's own option field.
    expect(attempts.find((a) => a.id === body.job)?.data).toEqual({ to: 'ada', failTimes: 0 });
    const stored = (await emails.getJob(body.job))!;
    expect(JSON.parse(stored.opts.telemetry!.metadata!).traceparent).toContain(traceId);
  });

  it('makes each retry a new CONSUMER span of the same trace with its attempt count, and BullMQ retries as before', async () => {
    const jobs = fixtureRequire('./dist/jobs.js');
    const job: Job = await jobs.enqueueWelcome(emails, 'bob', 2, 3);
    const done = await settled(emails, job.id!);
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsMade).toBe(3);
    expect(done.returnvalue).toBe('sent to bob');
    const producer = spansWhere((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === job.id)[0]!;
    const consumers = await until('three attempts', () => {
      const found = consumerSpansOf(job.id!);
      return found.length === 3 ? found : undefined;
    });
    consumers.sort((a, b) => Number(a.attributes['messaging.bullmq.job.attempts_made']) - Number(b.attributes['messaging.bullmq.job.attempts_made']));
    expect(consumers.map((s) => s.attributes['messaging.bullmq.job.attempts_made'])).toEqual([0, 1, 2]);
    expect(consumers.map((s) => SpanStatusCode[s.status.code])).toEqual(['ERROR', 'ERROR', 'UNSET']);
    for (const span of consumers) {
      expect(span.spanContext().traceId).toBe(producer.spanContext().traceId);
      expect(parentSpanId(span)).toBe(producer.spanContext().spanId);
    }
    expect(consumers[0]!.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('attempt 1 of bob failed');
    expect(new Set(consumers.map((s) => s.spanContext().spanId)).size).toBe(3);
  });

  it('fails a job whose processor throws exactly as BullMQ does, with an error span', async () => {
    const jobs = fixtureRequire('./dist/jobs.js');
    const job: Job = await jobs.enqueueWelcome(emails, 'cy', 5, 1);
    const done = await settled(emails, job.id!);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toBe('attempt 1 of cy failed');
    expect(done.attemptsMade).toBe(1);
    const [consumer] = await until('the failed attempt span', () => (consumerSpansOf(job.id!).length === 1 ? consumerSpansOf(job.id!) : undefined));
    assertSpan(consumer, { name: 'process emails', kind: SpanKind.CONSUMER, status: SpanStatusCode.ERROR, attributes: { 'error.type': 'Error' } });
  });

  it('processes jobs carrying no or malformed context as before, each under a new root span', async () => {
    const bad = ['not json', '{"traceparent":"00-zz-yy-01"}', '[1,2]', '"text"'];
    const added = [
      await plainQueue.add('welcome', { to: 'dee', failTimes: 0 }),
      ...(await Promise.all(bad.map((metadata, i) => plainQueue.add('welcome', { to: `bad${i}`, failTimes: 0 }, { telemetry: { metadata } })))),
    ];
    for (const job of added) {
      const done = await settled(emails, job.id!);
      expect(await done.getState()).toBe('completed');
      const [consumer] = await until(`the span of job ${job.id}`, () => (consumerSpansOf(job.id!).length ? consumerSpansOf(job.id!) : undefined));
      expect(parentSpanId(consumer!)).toBeUndefined();
      expect(SpanStatusCode[consumer!.status.code]).toBe('UNSET');
    }
    expect(attempts.filter((a) => String((a.data as { to: string }).to).startsWith('bad')).map((a) => a.data)).toEqual(
      bad.map((_, i) => ({ to: `bad${i}`, failTimes: 0 })),
    );
  });

  it('traces addBulk and flows: one PRODUCER span, every job of it carrying its context', async () => {
    const jobs = fixtureRequire('./dist/jobs.js');
    const bulk: Job[] = await jobs.enqueueBulk(emails, ['eve', 'fay']);
    const producer = spansWhere((s) => s.kind === SpanKind.PRODUCER && s.name === 'addBulk emails').at(-1)!;
    expect(producer.attributes['messaging.batch.message_count']).toBe(2);
    for (const job of bulk) {
      await settled(emails, job.id!);
      const [consumer] = await until('a bulk job span', () => (consumerSpansOf(job.id!).length ? consumerSpansOf(job.id!) : undefined));
      expect(parentSpanId(consumer!)).toBe(producer.spanContext().spanId);
    }
    const flow = await jobs.enqueueFlow({ host: '127.0.0.1', port: REDIS_PORT }, 'gus');
    const flowProducer = spansWhere((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === flow.job.id)[0]!;
    expect(flowProducer.name).toBe('add emails');
    const ids = [flow.job.id, flow.children[0].job.id] as string[];
    for (const id of ids) {
      await settled(emails, id);
      const [consumer] = await until('a flow job span', () => (consumerSpansOf(id).length ? consumerSpansOf(id) : undefined));
      expect(parentSpanId(consumer!)).toBe(flowProducer.spanContext().spanId);
    }
  });

  it('reports producers, consumers, gRPC handlers and clients, and the sandboxed processor as a black box', () => {
    const report = JSON.parse(readFileSync(join(project, 'autotrace-report.json'), 'utf8')) as { sites: Record<string, unknown>[] };
    const brief = report.sites
      .filter((s) => s.kind !== 'app')
      .map((s) => [s.file, s.line, s.kind, s.framework ?? s.client, s.destination ?? s.route ?? s.urlTemplate ?? '', s.status].join(' '));
    expect(brief).toEqual([
      'src/greeter.ts 22 route grpc  instrumented',
      'src/greeter.ts 24 client fetch /greeted/{name} instrumented',
      'src/greeter.ts 59 client grpc  instrumented',
      'src/jobs.ts 17 producer bullmq  instrumented',
      'src/jobs.ts 21 producer bullmq  instrumented',
      'src/jobs.ts 26 producer bullmq  instrumented',
      'src/jobs.ts 33 consumer bullmq emails instrumented',
      'src/jobs.ts 38 client fetch /sent/{to} instrumented',
      'src/jobs.ts 47 consumer bullmq reports unsupported',
      'src/web.ts 10 route express /signup/:name instrumented',
      'src/web.ts 11 producer bullmq  instrumented',
    ]);
    expect(buildOutput).toContain('src/jobs.ts:47:10: left untouched');
  });
});

// The same service in a process with no SDK: it records nothing, but the context of the incoming request still rides
// in the job and in the gRPC metadata, so the worker's and the handler's calls carry it on unchanged.
const NO_SDK_SERVICE = `
const jobs = require('./dist/jobs.js');
const greeter = require('./dist/greeter.js');
const web = require('./dist/web.js');
(async () => {
  const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT), db: 1 };
  jobs.emailWorker(connection, process.env.DOWNSTREAM, []);
  const g = await greeter.startGreeter(process.env.DOWNSTREAM);
  const server = await web.startWeb(jobs.emailQueue(connection), greeter.greeterClient(g.address));
  console.log('listening ' + server.address().port);
})();
`;

function startWithoutSdk(): Promise<{ child: ChildProcess; base: string }> {
  return startListening('the service', ['-e', NO_SDK_SERVICE], project, {
    REDIS_PORT: String(REDIS_PORT),
    DOWNSTREAM: downstream.url,
    NODE_PATH: join(repoRoot, 'node_modules'),
  });
}

describe('without an SDK', () => {
  it('makes no spans but carries the request context through the job and the gRPC call', async () => {
    const { child, base } = await startWithoutSdk();
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const incoming = `00-${traceId}-00f067aa0ba902b7-01`;
      const response = await fetch(`${base}/signup/zed`, { headers: { traceparent: incoming } });
      expect(response.status).toBe(200);
      const sent = await until('the worker to call downstream', () => downstream.hits.find((hit) => hit.url === '/sent/zed'));
      const greeted = await until('the handler to call downstream', () => downstream.hits.find((hit) => hit.url === '/greeted/zed'));
      // No span was made on the way, so what arrives is the incoming context itself.
      expect(sent.headers.traceparent).toBe(incoming);
      expect(greeted.headers.traceparent).toBe(incoming);
    } finally {
      child.kill();
    }
  });
});
