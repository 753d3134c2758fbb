import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as grpc from '@grpc/grpc-js';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tspcBuild } from './helpers/fixture-project';
import { assertSpan, installSdk, parentSpanId } from './helpers/otel';
import { fixturesDir } from './helpers/paths';

// fixtures/grpc built with tspc and run in this process beside a real SDK: a service implemented by a class, called
// through a generic client constructor and a `grpc.Client` subclass (each with options of its own), over real
// HTTP/2 on 127.0.0.1. Status codes, streams, the user's interceptors and metadata, and calls with bad context.

const project = join(fixturesDir, 'grpc');
const fixtureRequire = createRequire(join(project, 'package.json'));
const sdk = installSdk();

interface EchoMessage {
  text: string;
  code?: number;
}
type Fixture = {
  startEcho(): Promise<{ server: grpc.Server; address: string }>;
  genericClient(address: string): grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  subclassClient(address: string): grpc.Client & { say(text: string, metadata: grpc.Metadata): Promise<EchoMessage> };
  echoDefinition: grpc.ServiceDefinition;
  intercepted: string[];
};

let fixture: Fixture;
let echo: { server: grpc.Server; address: string };
let generic: ReturnType<Fixture['genericClient']>;
let subclass: ReturnType<Fixture['subclassClient']>;

beforeAll(async () => {
  rmSync(join(project, 'dist'), { recursive: true, force: true });
  const build = await tspcBuild(project);
  expect(build.code, build.stdout + build.stderr).toBe(0);
  fixture = fixtureRequire('./dist/echo.js');
  echo = await fixture.startEcho();
  generic = fixture.genericClient(echo.address);
  subclass = fixture.subclassClient(echo.address);
});

afterAll(() => {
  generic?.close();
  subclass?.close();
  echo?.server.forceShutdown();
});

function unary(method: string, request: EchoMessage, metadata = new grpc.Metadata()): Promise<{ reply?: EchoMessage; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    generic[method]!(request, metadata, (error: grpc.ServiceError | null, reply?: EchoMessage) => resolve(error ? { error } : { reply }));
  });
}

async function spanPair(method: string): Promise<{ client: ReadableSpan; server: ReadableSpan }> {
  const name = `echo.Echo/${method}`;
  const spans = await sdk.waitForSpans(2);
  const client = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === name)!;
  const server = spans.find((s) => s.kind === SpanKind.SERVER && s.name === name)!;
  expect(client, `CLIENT ${name}`).toBeDefined();
  expect(server, `SERVER ${name}`).toBeDefined();
  expect(parentSpanId(server)).toBe(client.spanContext().spanId);
  expect(server.spanContext().traceId).toBe(client.spanContext().traceId);
  return { client, server };
}

describe('gRPC', () => {
  it('makes a CLIENT and a SERVER span per unary call, linked through the metadata, keeping the user interceptor and metadata', async () => {
    sdk.reset();
    const metadata = new grpc.Metadata();
    metadata.set('x-user', 'kept');
    const { reply } = await unary('Say', { text: 'hi' }, metadata);
    // The class's `this`, and the user's interceptor (which tags the call) both still work.
    expect(reply).toEqual({ text: 'echo: hi (tagged)' });
    expect(fixture.intercepted).toContain('/echo.Echo/Say');
    // The caller's Metadata object is not written.
    expect(metadata.getMap()).toEqual({ 'x-user': 'kept' });
    const { client, server } = await spanPair('Say');
    const port = Number(echo.address.split(':')[1]);
    assertSpan(client, {
      name: 'echo.Echo/Say',
      kind: SpanKind.CLIENT,
      parent: null,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': 'echo.Echo', 'rpc.method': 'Say', 'rpc.grpc.status_code': 0, 'server.address': '127.0.0.1', 'server.port': port, 'code.file.path': 'src/echo.ts' },
    });
    assertSpan(server, { name: 'echo.Echo/Say', kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': 'echo.Echo', 'rpc.method': 'Say', 'rpc.grpc.status_code': 0 } });
  });

  it('maps status codes: every non-OK code is a CLIENT error, only the server-fault codes a SERVER error; the caller gets the same status', async () => {
    const cases = [
      { code: grpc.status.NOT_FOUND, serverError: false },
      { code: grpc.status.INVALID_ARGUMENT, serverError: false },
      { code: grpc.status.INTERNAL, serverError: true },
      { code: grpc.status.UNAVAILABLE, serverError: true },
    ];
    for (const { code, serverError } of cases) {
      sdk.reset();
      const { error } = await unary('Fail', { text: 'x', code });
      expect(error?.code).toBe(code);
      expect(error?.details).toBe(`failed with ${code}`);
      const { client, server } = await spanPair('Fail');
      assertSpan(client, { name: 'echo.Echo/Fail', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR, attributes: { 'rpc.grpc.status_code': code, 'error.type': String(code) } });
      assertSpan(server, { name: 'echo.Echo/Fail', kind: SpanKind.SERVER, status: serverError ? SpanStatusCode.ERROR : SpanStatusCode.UNSET, attributes: { 'rpc.grpc.status_code': code } });
    }
  });

  it('records a handler that throws as UNKNOWN, and grpc-js still answers UNKNOWN', async () => {
    sdk.reset();
    const { error } = await unary('Throws', { text: 'x' });
    expect(error?.code).toBe(grpc.status.UNKNOWN);
    const { client, server } = await spanPair('Throws');
    assertSpan(server, { name: 'echo.Echo/Throws', kind: SpanKind.SERVER, status: SpanStatusCode.ERROR, attributes: { 'rpc.grpc.status_code': grpc.status.UNKNOWN } });
    expect(server.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('the echo handler threw');
    assertSpan(client, { name: 'echo.Echo/Throws', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR });
  });

  it('ends the spans of a call past its deadline: DEADLINE_EXCEEDED on the client, CANCELLED (not an error) on the server', async () => {
    sdk.reset();
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      generic.Hangs!({ text: 'x' }, new grpc.Metadata(), { deadline: Date.now() + 200 }, (e: grpc.ServiceError) => resolve(e)),
    );
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const { client, server } = await spanPair('Hangs');
    assertSpan(client, { name: 'echo.Echo/Hangs', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR, attributes: { 'rpc.grpc.status_code': grpc.status.DEADLINE_EXCEEDED } });
    assertSpan(server, { name: 'echo.Echo/Hangs', kind: SpanKind.SERVER, status: SpanStatusCode.UNSET, attributes: { 'rpc.grpc.status_code': grpc.status.CANCELLED } });
  });

  it('traces server-streaming and bidi calls until their status', async () => {
    sdk.reset();
    const ticks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = generic.Ticks!({ text: 'tick' }) as grpc.ClientReadableStream<EchoMessage>;
      call.on('data', (m: EchoMessage) => ticks.push(m.text));
      call.on('status', () => resolve());
      call.on('error', reject);
    });
    expect(ticks).toEqual(['tick 1', 'tick 2', 'tick 3']);
    const ticksPair = await spanPair('Ticks');
    expect(ticksPair.client.attributes['rpc.grpc.status_code']).toBe(0);
    expect(ticksPair.server.attributes['rpc.grpc.status_code']).toBe(0);

    sdk.reset();
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = generic.Chat!() as grpc.ClientDuplexStream<EchoMessage, EchoMessage>;
      call.on('data', (m: EchoMessage) => replies.push(m.text));
      call.on('status', () => resolve());
      call.on('error', reject);
      call.write({ text: 'one' });
      call.write({ text: 'two' });
      call.end();
    });
    expect(replies).toEqual(['re: one', 're: two']);
    const chat = await spanPair('Chat');
    expect(chat.client.attributes['rpc.grpc.status_code']).toBe(0);
    expect(chat.server.attributes['rpc.grpc.status_code']).toBe(0);
  });

  it('traces a grpc.Client subclass calling makeUnaryRequest', async () => {
    sdk.reset();
    const reply = await subclass.say('sub', new grpc.Metadata());
    expect(reply).toEqual({ text: 'echo: sub' });
    await spanPair('Say');
  });

  it('traces a client typed as generated code types it (an interface extending grpc.Client)', async () => {
    sdk.reset();
    const typed = (fixture as unknown as { typedClient(address: string): grpc.Client & { Say: (...a: unknown[]) => void } }).typedClient(echo.address);
    try {
      const reply = await new Promise((resolve, reject) => typed.Say({ text: 'typed' }, (e: Error | null, r: EchoMessage) => (e ? reject(e) : resolve(r))));
      expect(reply).toEqual({ text: 'echo: typed' });
      await spanPair('Say');
    } finally {
      typed.close();
    }
  });

  it('serves a call carrying malformed or no context as before, under a new root span', async () => {
    const plain = new (grpc.makeGenericClientConstructor(fixture.echoDefinition, 'echo.Echo'))(echo.address, grpc.credentials.createInsecure());
    try {
      for (const traceparent of ['garbage', '00-00000000000000000000000000000000-0000000000000000-01', undefined]) {
        sdk.reset();
        const metadata = new grpc.Metadata();
        if (traceparent) metadata.set('traceparent', traceparent);
        const reply = await new Promise<EchoMessage>((resolve, reject) =>
          (plain as unknown as Record<string, (...a: unknown[]) => void>).Say!({ text: 'bare' }, metadata, (e: Error | null, r: EchoMessage) => (e ? reject(e) : resolve(r))),
        );
        expect(reply).toEqual({ text: 'echo: bare' });
        const [server] = await sdk.waitForSpans(1);
        assertSpan(server, { name: 'echo.Echo/Say', kind: SpanKind.SERVER, parent: null });
      }
    } finally {
      plain.close();
    }
  });

  it('reports the service implementation as a grpc route and each client construction as a grpc client', () => {
    const report = JSON.parse(readFileSync(join(project, 'autotrace-report.json'), 'utf8')) as { sites: Record<string, unknown>[] };
    expect(report.sites.map((s) => [s.line, s.kind, s.framework ?? s.client, s.status].join(' '))).toEqual([
      '71 route grpc instrumented',
      '91 client grpc instrumented',
      '103 client grpc instrumented',
      '114 client grpc instrumented',
    ]);
  });
});
