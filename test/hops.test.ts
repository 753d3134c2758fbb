import { SpanKind } from '@opentelemetry/api';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import type { SpanLine } from './helpers/net-service';
import { fixturesDir } from './helpers/paths';
import { startNats, startRabbitmq, startRedis, type RealServer } from './helpers/real-servers';
import { startServiceProcess, type ServiceProcess } from './helpers/service-process';
import { until } from './helpers/wait';

// Three services built by tspc from fixtures/hops, each its own process, against a real RabbitMQ, NATS and Redis:
// A's route sends one hop four ways (amqplib, a BullMQ job, NATS, a gRPC call to B), B's three consumers and its gRPC
// handler each call C over HTTP, and C writes down the traceparent of every call. One trace from the incoming
// request to all four of C's calls, with an SDK in A and B (spans checked hop by hop) and without any SDK.

const RABBIT_PORT = 21400; // and 21401 (distribution), 21402 (epmd)
const NATS_PORT = 21410;
const REDIS_PORT = 21420;
const project = join(fixturesDir, 'hops');
const script = (name: string) => join(project, 'out', `${name}.js`);
const HOPS = ['amqp', 'bullmq', 'nats', 'grpc'] as const;

let rabbit: RealServer | undefined;
let nats: RealServer | undefined;
let redis: RealServer | undefined;
let brokerEnv: Record<string, string> = {};

beforeAll(async () => {
  rmSync(join(project, 'out'), { recursive: true, force: true });
  const [build, rabbitServer, natsServer, redisServer] = await Promise.all([tspcBuild(project), startRabbitmq(RABBIT_PORT), startNats(NATS_PORT), startRedis(REDIS_PORT)]);
  rabbit = rabbitServer;
  nats = natsServer;
  redis = redisServer;
  expect(build.code, build.stdout + build.stderr).toBe(0);
  expect(build.stdout + build.stderr).toContain('15 sites: 15 traced');
  brokerEnv = { AMQP_URL: `amqp://guest:guest@127.0.0.1:${RABBIT_PORT}`, NATS_SERVER: `127.0.0.1:${NATS_PORT}`, REDIS_PORT: String(REDIS_PORT) };
}, 180_000);

afterAll(async () => {
  await Promise.all([rabbit?.stop(), nats?.stop(), redis?.stop()]);
});

interface Services {
  a: ServiceProcess;
  b: ServiceProcess;
  c: ServiceProcess;
  stop(): Promise<void>;
}

/** C, then B (which C's address and the brokers), then A (which B's gRPC address); A and B with or without an SDK. */
async function startServices(sdk: boolean): Promise<Services> {
  const running: ServiceProcess[] = [];
  const stop = () => Promise.all(running.reverse().map((service) => service.stop())).then(() => undefined);
  try {
    const c = await startServiceProcess(script('service-c'), { sdk: false });
    running.push(c);
    const b = await startServiceProcess(script('service-b'), { sdk, env: { ...brokerEnv, SERVICE_C: `http://127.0.0.1:${c.info.port}` } });
    running.push(b);
    const a = await startServiceProcess(script('service-a'), { sdk, env: { ...brokerEnv, RELAY_ADDRESS: String(b.info.grpcAddress) } });
    running.push(a);
    return { a, b, c, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Sends the first request with a traceparent of the test's own; waits for C to have had a call from every hop. */
async function hop(services: Services, id: string, traceId: string, callerSpanId: string) {
  const response = await fetch(`http://127.0.0.1:${services.a.info.port}/hop/${id}`, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ relayed: id });
  const calls = await until(
    "C's four calls",
    () => {
      const mine = services.c.lines().filter((line) => String(line.path).endsWith(`/${id}`));
      return mine.length >= HOPS.length && mine;
    },
    30_000,
  );
  expect(calls.map((call) => String(call.path).split('/')[1]).sort()).toEqual([...HOPS].sort());
  return calls as { path: string; traceparent: string | null }[];
}

const traceparentParts = (traceparent: string | null) => /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(traceparent ?? '')?.slice(1) ?? [];

describe('one trace across three processes: RabbitMQ, BullMQ, NATS and gRPC', () => {
  it('with an SDK in A and B: each hop a PRODUCER or rpc CLIENT span in A, its CONSUMER or rpc SERVER child in B, and C called from inside each', async () => {
    const services = await startServices(true);
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const callerSpanId = 'b7ad6b7169203331';
      const calls = await hop(services, '17', traceId, callerSpanId);

      // Spans end after C answered: wait for A's SERVER span (its last) and B's three CONSUMER spans, its rpc SERVER
      // span and its four CLIENT spans (each receiving span ends after its call to C).
      const spansOf = (service: ServiceProcess) => service.spans().filter((span) => span.traceId === traceId);
      const count = (spans: SpanLine[], kind: SpanKind) => spans.filter((span) => span.kind === kind).length;
      const find = (spans: SpanLine[], kind: SpanKind, name: string) => {
        const found = spans.filter((span) => span.kind === kind && span.name === name);
        expect(found.map((span) => span.name), `${SpanKind[kind]} ${name}`).toEqual([name]);
        return found[0]!;
      };
      await until(
        "A's SERVER span and B's receiving and CLIENT spans",
        () => {
          const b = spansOf(services.b);
          return count(spansOf(services.a), SpanKind.SERVER) === 1 && count(b, SpanKind.CONSUMER) >= 3 && count(b, SpanKind.SERVER) >= 1 && count(b, SpanKind.CLIENT) >= 4;
        },
        30_000,
      );
      const a = spansOf(services.a);
      const b = spansOf(services.b);
      // Every span either service made is of the one trace.
      expect(services.a.spans().filter((span) => span.traceId !== traceId)).toEqual([]);
      expect(services.b.spans().filter((span) => span.traceId !== traceId)).toEqual([]);

      const route = find(a, SpanKind.SERVER, 'GET /hop/:id');
      expect(route.parentSpanId).toBe(callerSpanId);
      expect(route.attributes['http.route']).toBe('/hop/:id');

      const amqpOut = find(a, SpanKind.PRODUCER, 'publish hops');
      expect(amqpOut.attributes).toMatchObject({
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'hops',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        'messaging.message.id': 'hop-17',
        'server.address': '127.0.0.1',
        'server.port': RABBIT_PORT,
      });
      const jobOut = find(a, SpanKind.PRODUCER, 'add hop-jobs');
      expect(jobOut.attributes).toMatchObject({
        'messaging.system': 'bullmq',
        'messaging.destination.name': 'hop-jobs',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'add',
        'messaging.bullmq.job.name': 'hop',
      });
      const natsOut = find(a, SpanKind.PRODUCER, 'publish hops.created');
      expect(natsOut.attributes).toMatchObject({
        'messaging.system': 'nats',
        'messaging.destination.name': 'hops.created',
        'messaging.operation.type': 'send',
        'server.address': '127.0.0.1',
        'server.port': NATS_PORT,
      });
      const rpcOut = find(a, SpanKind.CLIENT, 'hops.Relay/Forward');
      expect(rpcOut.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'hops.Relay', 'rpc.method': 'Forward', 'rpc.grpc.status_code': 0, 'server.address': '127.0.0.1' });
      for (const span of [amqpOut, jobOut, natsOut, rpcOut]) expect(span.parentSpanId, span.name).toBe(route.spanId);

      const amqpIn = find(b, SpanKind.CONSUMER, 'process hops');
      const jobIn = find(b, SpanKind.CONSUMER, 'process hop-jobs');
      const natsIn = find(b, SpanKind.CONSUMER, 'process hops.created');
      const rpcIn = find(b, SpanKind.SERVER, 'hops.Relay/Forward');
      expect(amqpIn.attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'messaging.destination.name': 'hops', 'messaging.operation.type': 'process', 'messaging.message.id': 'hop-17' });
      expect(jobIn.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': 'hop-jobs', 'messaging.operation.type': 'process', 'messaging.message.id': jobOut.attributes['messaging.message.id'], 'messaging.bullmq.job.attempts_made': 0 });
      expect(natsIn.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': 'hops.created', 'messaging.operation.type': 'process' });
      expect(rpcIn.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'hops.Relay', 'rpc.method': 'Forward', 'rpc.grpc.status_code': 0 });
      // Each receiving span's parent is the sending span in the other process.
      expect(amqpIn.parentSpanId).toBe(amqpOut.spanId);
      expect(jobIn.parentSpanId).toBe(jobOut.spanId);
      expect(natsIn.parentSpanId).toBe(natsOut.spanId);
      expect(rpcIn.parentSpanId).toBe(rpcOut.spanId);

      // Each call to C is a CLIENT span under its hop's receiving span, and C got that span as the parent.
      const receivers = { amqp: amqpIn, bullmq: jobIn, nats: natsIn, grpc: rpcIn };
      for (const name of HOPS) {
        const call = calls.find((c) => c.path === `/${name}/17`)!;
        const [callTrace, callParent] = traceparentParts(call.traceparent);
        expect(callTrace, `${name}: trace id at C`).toBe(traceId);
        const client = find(b, SpanKind.CLIENT, `GET /${name}/{id}`);
        expect(client.parentSpanId, `${name}: C's caller's parent`).toBe(receivers[name].spanId);
        expect(callParent, `${name}: parent span at C`).toBe(client.spanId);
      }
    } finally {
      await services.stop();
    }
  }, 120_000);

  it('with no SDK in A or B: no spans, and C still gets the incoming trace from every hop', async () => {
    const services = await startServices(false);
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const calls = await hop(services, '23', traceId, '00f067aa0ba902b7');
      for (const call of calls) expect(traceparentParts(call.traceparent)[0], call.path).toBe(traceId);
      expect([...services.a.spans(), ...services.b.spans()]).toEqual([]);
    } finally {
      await services.stop();
    }
  }, 120_000);
});
