import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { echoServer, listen } from './helpers/http';
import { assertSpan, findSpan, installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir, repoRoot, requireFromRepo } from './helpers/paths';
import { startNats, startRabbitmq, type RealServer } from './helpers/real-servers';

// A service built with tspc (fixtures/messaging) against a real RabbitMQ and a real NATS, with a real SDK: an HTTP
// route publishes to both brokers, their consumers call another HTTP server, and it is one trace from the request to
// those calls. Then what must not change: messages with bad trace headers, a handler that throws (the broker's
// redelivery as without autotrace), the caller's options, the body; and the context carried without an SDK.

const fixture = join(fixturesDir, 'messaging');
const RABBIT_PORT = 21000;
const NATS_PORT = 21010;

type Fixture = {
  connect: typeof import('../fixtures/messaging/src/connect');
  consumers: typeof import('../fixtures/messaging/src/consumers');
  service: typeof import('../fixtures/messaging/src/service');
  callbacks: typeof import('../fixtures/messaging/src/callback-api');
};

const sdk = installSdk();
const tracer = trace.getTracer('test');
let rabbit: RealServer;
let natsServer: RealServer;
let downstream: Awaited<ReturnType<typeof echoServer>>;
let built: Fixture;
let brokers: Awaited<ReturnType<Fixture['connect']['openBrokers']>>;
let amqpUrl = '';
let natsUrl = '';
const closers: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  rmSync(join(fixture, 'out'), { recursive: true, force: true });
  // Both servers settle before a failure is thrown, so afterAll stops each one that did start.
  const servers = Promise.allSettled([
    startRabbitmq(RABBIT_PORT).then((server) => (rabbit = server)),
    startNats(NATS_PORT).then((server) => (natsServer = server)),
  ]);
  const [traced, plain] = await Promise.all([tspcBuild(fixture), tspcBuild(fixture, 'tsconfig.plain.json')]);
  for (const result of await servers) if (result.status === 'rejected') throw result.reason;
  expect(traced.code, traced.stdout + traced.stderr).toBe(0);
  expect(plain.code, plain.stdout + plain.stderr).toBe(0);
  amqpUrl = `amqp://guest:guest@127.0.0.1:${rabbit.port}`;
  natsUrl = `127.0.0.1:${natsServer.port}`;
  const load = (name: string) => requireFromRepo(join(fixture, 'out', `${name}.js`));
  built = { connect: load('connect'), consumers: load('consumers'), service: load('service'), callbacks: load('callback-api') };
  downstream = await echoServer();
  brokers = await built.connect.openBrokers(amqpUrl, natsUrl);
}, 180_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await brokers?.nc.close();
  await brokers?.rabbit.close();
  await downstream?.close();
  await rabbit?.stop();
  await natsServer?.stop();
});

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether `count` CONSUMER spans have ended (each after its handler's own HTTP call). */
const consumersDone = (count: number) => sdk.spans().filter((s) => s.kind === SpanKind.CONSUMER).length >= count;
const spanNamed = (kind: SpanKind, name: string, spans = sdk.spans()) => findSpan(spans, kind, name);
const idOf = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

describe('one trace across RabbitMQ and NATS', () => {
  it('from the HTTP request to the consumers\' own HTTP calls, with the messaging attributes', async () => {
    const amqpSeen: import('amqplib').ConsumeMessage[] = [];
    const natsSeen: import('nats').Msg[] = [];
    const tag = await built.consumers.consumeOrders(brokers.channel, downstream.url, amqpSeen);
    const sub = built.consumers.subscribeOrders(brokers.nc, downstream.url, natsSeen);
    const { url, close } = await listen(built.service.orderService(brokers.channel, brokers.nc) as Server);
    closers.push(close);
    sdk.reset();
    downstream.seen.length = 0;
    try {
      expect(await (await fetch(`${url}/orders/7`)).text()).toBe('queued');
        await until(() => consumersDone(2), 'both consumers\' spans');
    } finally {
      await brokers.channel.cancel(tag);
      sub.unsubscribe();
    }
    const spans = sdk.spans();

    // The route's SERVER span (the test's own fetch may have a CLIENT span above it: the run-time net in this process).
    const root = spanNamed(SpanKind.SERVER, 'GET');
    const traceId = root!.spanContext().traceId;
    assertSpan(root, { name: 'GET', kind: SpanKind.SERVER, traceId });
    const sent = spanNamed(SpanKind.PRODUCER, 'publish orders');
    assertSpan(sent, {
      name: 'publish orders',
      kind: SpanKind.PRODUCER,
      parent: idOf(root),
      traceId,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        'messaging.message.id': 'order-7',
        'messaging.message.body.size': Buffer.byteLength('{"id":"7"}'),
        'messaging.rabbitmq.destination.routing_key': 'orders',
        'server.address': '127.0.0.1',
        'server.port': rabbit.port,
        'code.file.path': 'src/service.ts',
        'code.line.number': 15,
      },
    });
    expect(sent!.attributes).not.toHaveProperty('url.template');
    assertSpan(spanNamed(SpanKind.PRODUCER, 'publish events:order.created'), {
      name: 'publish events:order.created',
      kind: SpanKind.PRODUCER,
      parent: idOf(root),
      attributes: { 'messaging.destination.name': 'events:order.created', 'messaging.rabbitmq.destination.routing_key': 'order.created' },
    });
    const consumed = spanNamed(SpanKind.CONSUMER, 'process orders');
    assertSpan(consumed, {
      name: 'process orders',
      kind: SpanKind.CONSUMER,
      parent: idOf(sent),
      traceId,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.message.id': 'order-7',
        'messaging.rabbitmq.message.delivery_tag': amqpSeen[0]!.fields.deliveryTag,
        'code.file.path': 'src/consumers.ts',
        'code.line.number': 7,
      },
    });
    assertSpan(spanNamed(SpanKind.CLIENT, 'GET /amqp/{messageId}'), { name: 'GET /amqp/{messageId}', kind: SpanKind.CLIENT, parent: idOf(consumed), traceId });

    const published = spanNamed(SpanKind.PRODUCER, 'publish orders.created');
    assertSpan(published, {
      name: 'publish orders.created',
      kind: SpanKind.PRODUCER,
      parent: idOf(root),
      traceId,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': 'orders.created',
        'messaging.operation.type': 'send',
        'server.address': '127.0.0.1',
        'server.port': natsServer.port,
      },
    });
    const processed = spanNamed(SpanKind.CONSUMER, 'process orders.created');
    assertSpan(processed, {
      name: 'process orders.created',
      kind: SpanKind.CONSUMER,
      parent: idOf(published),
      traceId,
      attributes: { 'messaging.system': 'nats', 'messaging.operation.type': 'process', 'messaging.message.body.size': Buffer.byteLength('{"id":"7"}') },
    });
    assertSpan(spanNamed(SpanKind.CLIENT, 'GET /nats'), { name: 'GET /nats', kind: SpanKind.CLIENT, parent: idOf(processed), traceId });
    expect(spans.filter((s) => s.spanContext().traceId !== traceId)).toEqual([]);

    // The downstream saw the trace; the consumers saw the body as sent and the caller's headers beside ours.
    for (const headers of downstream.seen) expect(headers.traceparent).toContain(traceId);
    expect(amqpSeen[0]!.content.toString()).toBe('{"id":"7"}');
    expect(amqpSeen[0]!.properties.headers).toMatchObject({ 'x-tenant': 'acme', traceparent: expect.stringContaining(traceId) });
    expect(natsSeen[0]!.string()).toBe('{"id":"7"}');
    expect(natsSeen[0]!.headers?.get('traceparent')).toContain(traceId);
  });

  it('a NATS request is a CLIENT span ended by the reply, the responder its child', async () => {
    const sub = built.consumers.serveQuotes(brokers.nc);
    closers.push(() => sub.unsubscribe());
    await brokers.nc.flush();
    const { url, close } = await listen(built.service.orderService(brokers.channel, brokers.nc) as Server);
    closers.push(close);
    sdk.reset();
    expect(JSON.parse(await (await fetch(`${url}/quote/sku-1`)).text())).toEqual({ sku: 'sku-1', price: 42 });
    await until(() => spanNamed(SpanKind.SERVER, 'GET') !== undefined && consumersDone(1), 'the route\'s and the responder\'s spans');
    const root = spanNamed(SpanKind.SERVER, 'GET');
    const request = spanNamed(SpanKind.CLIENT, 'request quotes');
    assertSpan(request, { name: 'request quotes', kind: SpanKind.CLIENT, parent: idOf(root), attributes: { 'messaging.system': 'nats', 'messaging.operation.name': 'request' } });
    const responder = spanNamed(SpanKind.CONSUMER, 'process quotes');
    assertSpan(responder, { name: 'process quotes', kind: SpanKind.CONSUMER, parent: idOf(request) });
    // Ended with the reply: after the responder's span, before the route's. Read from the order spans ended in (the
    // exporter's, with a simple processor), not from their end times, which the SDK derives from a clock anchored per
    // span and which were seen to disagree by 0.3 ms on a loaded machine.
    const ended = sdk.spans();
    expect(ended.indexOf(request!)).toBeGreaterThan(ended.indexOf(responder!));
    expect(ended.indexOf(request!)).toBeLessThan(ended.indexOf(root!));
  });

  it('a subscription iterated with for await: one span per message, ended when the next is asked for', async () => {
    const seen: import('nats').Msg[] = [];
    const done = built.consumers.collect(brokers.nc, 2, seen);
    await brokers.nc.flush();
    sdk.reset();
    const parent = tracer.startSpan('work');
    context.with(trace.setSpan(context.active(), parent), () => {
      built.consumers.announce(brokers.nc, 'audit.a', 'first');
      built.consumers.announce(brokers.nc, 'audit.b', 'second');
    });
    parent.end();
    await done;
    const spans = await sdk.waitForSpans(5);
    const processed = spans.filter((s) => s.kind === SpanKind.CONSUMER);
    expect(processed.map((s) => [s.name, s.attributes['messaging.destination.name'], s.attributes['messaging.destination.template']])).toEqual([
      ['process audit.>', 'audit.a', 'audit.>'],
      ['process audit.>', 'audit.b', 'audit.>'],
    ]);
    const producers = spans.filter((s) => s.kind === SpanKind.PRODUCER);
    expect(processed.map(parentSpanId)).toEqual(producers.map(idOf));
    expect(seen.map((m) => m.string())).toEqual(['first', 'second']);
  });

  it('confirm channels end the span when the broker confirms; the callback API is traced too', async () => {
    sdk.reset();
    const parent = tracer.startSpan('work');
    await context.with(trace.setSpan(context.active(), parent), () => built.consumers.confirmOrder(brokers.confirm, 'c1'));
    parent.end();
    assertSpan(spanNamed(SpanKind.PRODUCER, 'publish confirmed'), {
      name: 'publish confirmed',
      kind: SpanKind.PRODUCER,
      parent: parent.spanContext().spanId,
      attributes: { 'messaging.message.id': 'order-c1', 'code.file.path': 'src/consumers.ts' },
    });

    const callbackApi = requireFromRepo('amqplib/callback_api') as typeof import('amqplib/callback_api');
    const connection = await new Promise<import('amqplib/callback_api').Connection>((resolve, reject) =>
      callbackApi.connect(amqpUrl, (error: unknown, c: import('amqplib/callback_api').Connection) => (error ? reject(error) : resolve(c))),
    );
    closers.push(() => new Promise((resolve) => connection.close(resolve)));
    const channel = await new Promise<import('amqplib/callback_api').Channel>((resolve, reject) =>
      connection.createChannel((error, c) => (error ? reject(error) : resolve(c))),
    );
    await new Promise((resolve, reject) => channel.assertQueue('callback-orders', { durable: false }, (error, ok) => (error ? reject(error) : resolve(ok))));
    const bodies: string[] = [];
    built.callbacks.consumeWithCallbacks(channel, (body) => bodies.push(body));
    sdk.reset();
    const sender = tracer.startSpan('send');
    context.with(trace.setSpan(context.active(), sender), () => built.callbacks.sendWithCallbacks(channel, 'cb-1'));
    sender.end();
    await until(() => bodies.length === 1, 'the callback consumer');
    const spans = await sdk.waitForSpans(3);
    const sent = spanNamed(SpanKind.PRODUCER, 'publish callback-orders', spans);
    assertSpan(sent, { name: 'publish callback-orders', kind: SpanKind.PRODUCER, parent: sender.spanContext().spanId });
    assertSpan(spanNamed(SpanKind.CONSUMER, 'process callback-orders', spans), { name: 'process callback-orders', kind: SpanKind.CONSUMER, parent: idOf(sent) });
    expect(bodies).toEqual(['cb-1']);
  });
});

describe('what autotrace must not change', () => {
  it('a message with no or malformed trace headers is consumed as before, under a new root span', async () => {
    const amqpSeen: import('amqplib').ConsumeMessage[] = [];
    const queue = 'orders';
    const tag = await built.consumers.consumeOrders(brokers.channel, downstream.url, amqpSeen);
    sdk.reset();
    downstream.seen.length = 0;
    try {
      // Sent by untraced code (the test's own channel calls), as another service would.
      brokers.channel.sendToQueue(queue, Buffer.from('none'), { messageId: 'none' });
      brokers.channel.sendToQueue(queue, Buffer.from('bad'), { messageId: 'bad', headers: { traceparent: 'not-a-traceparent', baggage: '%%%' } });
      brokers.channel.sendToQueue(queue, Buffer.from('zeros'), { messageId: 'zeros', headers: { traceparent: `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01` } });
      await until(() => consumersDone(3), 'three consumer spans');
      const spans = sdk.spans();
      const consumed = spans.filter((s) => s.kind === SpanKind.CONSUMER);
      expect(consumed).toHaveLength(3);
      for (const span of consumed) expect(parentSpanId(span)).toBeUndefined();
      expect(new Set(consumed.map((s) => s.spanContext().traceId)).size).toBe(3);
      expect(amqpSeen.map((m) => m.content.toString())).toEqual(['none', 'bad', 'zeros']);
      // amqplib hands a message sent without headers an empty table.
      expect(amqpSeen[0]!.properties.headers ?? {}).toEqual({});
      expect(amqpSeen[1]!.properties.headers).toEqual({ traceparent: 'not-a-traceparent', baggage: '%%%' });
    } finally {
      await brokers.channel.cancel(tag);
    }

    // The same on NATS, with headers made by nats itself.
    const nats = requireFromRepo('nats') as typeof import('nats');
    const natsSeen: import('nats').Msg[] = [];
    const sub = built.consumers.subscribeOrders(brokers.nc, downstream.url, natsSeen);
    await brokers.nc.flush();
    sdk.reset();
    const bad = nats.headers();
    bad.set('traceparent', '00-zz-yy-01');
    brokers.nc.publish('orders.created', 'bad', { headers: bad });
    brokers.nc.publish('orders.created', 'none');
    try {
      await until(() => natsSeen.length === 2, 'two NATS messages');
    } finally {
      sub.unsubscribe();
    }
    await until(() => consumersDone(2), 'two consumer spans');
    const natsSpans = sdk.spans();
    for (const span of natsSpans.filter((s) => s.kind === SpanKind.CONSUMER)) expect(parentSpanId(span)).toBeUndefined();
    expect(natsSeen.map((m) => m.string())).toEqual(['bad', 'none']);
    expect(natsSeen[0]!.headers?.get('traceparent')).toBe('00-zz-yy-01');
  });

  it('the caller\'s options and its own traceparent are kept; the handler gets the message object itself', async () => {
    await brokers.channel.assertQueue('kept', { durable: false });
    const received: import('amqplib').ConsumeMessage[] = [];
    const { consumerTag } = await brokers.channel.consume('kept', (m) => m && received.push(m), { noAck: true });
    const foreign = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const options = { headers: { traceparent: foreign, 'x-one': 1 } };
    const parent = tracer.startSpan('work');
    context.with(trace.setSpan(context.active(), parent), () => {
      built.consumers.sendWith(brokers.channel, 'kept', 'mine', options);
      built.consumers.sendWith(brokers.channel, 'kept', 'ours', { headers: { 'x-two': 2 } });
    });
    parent.end();
    expect(options).toEqual({ headers: { traceparent: foreign, 'x-one': 1 } });
    await until(() => received.length === 2, 'two messages');
    expect(received[0]!.properties.headers).toEqual({ traceparent: foreign, 'x-one': 1 });
    expect(received[1]!.properties.headers).toMatchObject({ 'x-two': 2, traceparent: expect.stringContaining(parent.spanContext().traceId) });
    await brokers.channel.cancel(consumerTag);

    // A traced consumer gets the very message object amqplib made (compared through a second, plain consumer's view).
    const messages: unknown[] = [];
    const original = brokers.channel.consume.bind(brokers.channel);
    let delivered: ((m: unknown) => void) | undefined;
    (brokers.channel as unknown as { consume: unknown }).consume = (q: string, handler: (m: unknown) => void, o: object) => {
      delivered = handler;
      return original(q, handler as never, o);
    };
    try {
      const seen: import('amqplib').ConsumeMessage[] = [];
      const tag = await built.consumers.consumeOrders(brokers.channel, downstream.url, seen);
      await brokers.channel.cancel(tag);
      const message = { content: Buffer.from('direct'), fields: { deliveryTag: 0, redelivered: false }, properties: { headers: {}, messageId: 'direct' } };
      (brokers.channel as unknown as { ack: unknown }).ack = (m: unknown) => messages.push(m);
      await delivered!(message);
      expect(seen[0]).toBe(message);
      expect(messages[0]).toBe(message);
    } finally {
      (brokers.channel as unknown as { consume: unknown }).consume = original;
      delete (brokers.channel as unknown as { ack?: unknown }).ack;
    }
  });

  it('a handler that throws: an error span, and the same nack, redelivery and unhandled rejection as untraced', async () => {
    const runScenario = (outDir: string) => runFixture(outDir, 'flaky', { WITH_SDK: '1' });
    const [traced, plain] = await Promise.all([runScenario('out'), runScenario('out/plain')]);
    const { spans, ...outcome } = JSON.parse(traced.lines[0]!) as { spans: { name: string; kind: number; status: number; events: string[]; attributes: Record<string, unknown> }[] };
    const { spans: none, ...untraced } = JSON.parse(plain.lines[0]!) as { spans: unknown[] };
    expect(outcome).toEqual(untraced);
    expect(outcome).toEqual({
      deliveries: [
        { body: 'pay 10', redelivered: false },
        { body: 'pay 10', redelivered: true },
      ],
      unhandled: ['payment service down'],
      messagesLeft: 0,
    });
    expect(none).toEqual([]);
    const consumed = spans.filter((s) => s.kind === SpanKind.CONSUMER);
    expect(consumed.map((s) => [s.status, s.events])).toEqual([
      [SpanStatusCode.ERROR, ['exception']],
      [SpanStatusCode.UNSET, []],
    ]);
    expect(consumed[0]!.attributes['error.type']).toBe('Error');
  }, 30_000);

  it('without an SDK: no spans, and the trace context still goes through both brokers to the consumers\' calls', async () => {
    downstream.seen.length = 0;
    const child = startFixture('out', 'serve');
    try {
      const { port } = JSON.parse(await child.nextLine()) as { port: number };
      const traceId = 'c'.repeat(32);
      await fetch(`http://127.0.0.1:${port}/orders/9`, { headers: { traceparent: `00-${traceId}-${'d'.repeat(16)}-01`, baggage: 'tenant=acme' } });
      await until(() => downstream.seen.length === 2, 'both consumers\' calls', 10_000);
      for (const headers of downstream.seen) {
        expect(headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
        expect(headers.baggage).toBe('tenant=acme');
      }
      child.write('report\n');
      const { headers } = JSON.parse(await child.nextLine()) as { headers: Record<string, unknown>[] };
      expect(headers[0]).toMatchObject({ traceparent: expect.stringContaining(traceId), baggage: 'tenant=acme', 'x-tenant': 'acme' });
    } finally {
      child.stop();
    }
  }, 30_000);
});

describe('the report', () => {
  it('lists every producer and consumer site with its destination where the source writes it', () => {
    const report = JSON.parse(readFileSync(join(fixture, 'autotrace-report.json'), 'utf8')) as { sites: { file: string; line: number; kind: string; client?: string; destination?: string; status: string }[] };
    const brokerSites = report.sites
      .filter((s) => s.client === 'amqplib' || s.client === 'nats')
      .map((s) => `${s.file}:${s.line} ${s.kind} ${s.client} ${s.destination ?? '-'} ${s.status}`);
    expect(brokerSites).toEqual([
      'src/callback-api.ts:5 producer amqplib callback-orders instrumented',
      'src/callback-api.ts:9 consumer amqplib callback-orders instrumented',
      'src/connect.ts:20 producer amqplib pings instrumented',
      'src/consumers.ts:7 consumer amqplib orders instrumented',
      'src/consumers.ts:18 consumer amqplib - instrumented',
      'src/consumers.ts:30 producer amqplib - instrumented',
      'src/consumers.ts:35 producer amqplib confirmed instrumented',
      'src/consumers.ts:40 consumer nats orders.created instrumented',
      'src/consumers.ts:50 consumer nats quotes instrumented',
      'src/consumers.ts:59 consumer nats audit.> instrumented',
      'src/consumers.ts:67 producer nats - instrumented',
      'src/consumers.ts:72 producer amqplib - instrumented',
      'src/service.ts:11 client nats quotes instrumented',
      'src/service.ts:15 producer amqplib orders instrumented',
      'src/service.ts:16 producer amqplib events:order.created instrumented',
      'src/service.ts:17 producer nats orders.created instrumented',
    ]);
    // The look-alikes (src/lookalikes.ts) are no sites, and their output has no runtime call.
    expect(report.sites.filter((s) => s.file === 'src/lookalikes.ts')).toEqual([]);
    expect(readFileSync(join(fixture, 'out', 'lookalikes.js'), 'utf8')).not.toContain('__autotrace');
  });
});

/** Runs fixtures/messaging/scenario.cjs on a build until it exits; its stdout lines. */
async function runFixture(outDir: string, mode: string, env: Record<string, string> = {}) {
  const child = startFixture(outDir, mode, env);
  const code = await child.exited;
  expect(code, child.stderr()).toBe(0);
  return { lines: child.lines() };
}

function startFixture(outDir: string, mode: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(fixture, 'scenario.cjs'), outDir, mode, amqpUrl, natsUrl, downstream.url], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let read = 0;
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    exited,
    stderr: () => stderr,
    lines: () => stdout.split('\n').filter(Boolean),
    write: (text: string) => child.stdin.write(text),
    async nextLine(): Promise<string> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const lines = stdout.split('\n').filter(Boolean);
        if (lines.length > read) return lines[read++]!;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no output from scenario ${mode}: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () => child.kill(),
  };
}

