import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { typescript as ts } from './helpers/compile';
import { fixturesDir, requireFromRepo } from './helpers/paths';

// Broker sites recognised without a type checker (each file compiled alone: transpileModule, bundlers, the load-time
// hook) exactly as the checker recognises them in the tspc build (test/messaging-brokers.test.ts builds it), broker
// look-alikes left alone.

const { transformModule } = requireFromRepo('./dist/transformer/javascript.js') as typeof import('../transformer/javascript');
const fixture = join(fixturesDir, 'messaging');
const sources = readdirSync(join(fixture, 'src')).filter((name) => name.endsWith('.ts')).sort();

const alone = (name: string, code = readFileSync(join(fixture, 'src', name), 'utf8')) =>
  transformModule(ts, { code, fileName: join(fixture, 'src', name), projectRoot: fixture });
const describeSite = (s: { file: string; line: number; kind: string; client?: string; destination?: string; status: string }) =>
  `${s.file}:${s.line} ${s.kind} ${s.client} ${s.destination ?? '-'} ${s.status}`;
const isBroker = (s: { client?: string }) => s.client === 'amqplib' || s.client === 'nats';

describe('brokers recognised file by file, by their imports', () => {
  it('finds every producer and consumer the checker finds, with the same destinations', () => {
    const byImports = sources.flatMap((name) => (alone(name)?.records ?? []).filter(isBroker).map(describeSite));
    expect(byImports).toEqual([
      'src/callback-api.ts:5 producer amqplib callback-orders instrumented',
      'src/callback-api.ts:9 consumer amqplib callback-orders instrumented',
      // `await amqp.connect(url)`, then `await rabbit.createChannel()`: followed through both awaits.
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
    // Look-alikes (publish, consume, subscribe, request on other objects) are no sites.
    expect(alone('lookalikes.ts')?.records ?? []).toEqual([]);
  });

  it('reports a channel that is one only on some paths as a producer and a consumer black box, left as written', () => {
    const code = [
      `import amqp from 'amqplib';`,
      `export async function start(url: string, given?: any) {`,
      `  const channel = given ?? (await (await amqp.connect(url)).createChannel());`,
      `  channel.sendToQueue('orders', Buffer.from('x'));`,
      `  channel.consume('orders', () => {});`,
      `}`,
    ].join('\n');
    const out = alone('uncertain.ts', code);
    expect(out?.records.map((r) => [r.line, r.kind, r.client, r.status])).toEqual([
      [4, 'producer', 'amqplib', 'unsupported'],
      [5, 'consumer', 'amqplib', 'unsupported'],
    ]);
    expect(out?.code).toBe(code);
  });

  it('rewrites each call onto the facade, the receiver evaluated once and the arguments as written', () => {
    const code = alone('service.ts')!.code;
    expect(code).toContain(`__autotrace.amqpChannel({ file: "src/service.ts", line: 15, column: 5, function: "orderService" }, channel).sendToQueue('orders',`);
    expect(code).toContain(`__autotrace.natsConnection({ file: "src/service.ts", line: 11, column: 27, function: "orderService" }, nc).request('quotes', id,`);
    // A broker's destination is not a URL: no url.template baked into its site.
    expect(code).not.toMatch(/amqpChannel\(\{[^}]*urlTemplate/);
  });
});

describe('the messaging attribute names', () => {
  it('are the semantic conventions\' own (runtime/messaging/semconv.ts writes them out to keep the incubating entry point unloaded)', async () => {
    const ours = (await import('../runtime/messaging/semconv')) as Record<string, string>;
    const incubating = (await import('@opentelemetry/semantic-conventions/incubating')) as unknown as Record<string, string>;
    const names = Object.keys(ours).filter((name) => name !== 'MESSAGING_SYSTEM_VALUE_NATS');
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(ours[name], name).toBe(incubating[name]);
    expect(incubating.MESSAGING_SYSTEM_VALUE_NATS).toBeUndefined();
  });
});
