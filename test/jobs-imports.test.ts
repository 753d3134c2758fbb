import { describe, expect, it } from 'vitest';
import { typescript as ts } from './helpers/compile';
import { requireFromRepo } from './helpers/paths';

// BullMQ and gRPC sites in files handed over alone (ts-jest isolatedModules, a bundler, the load-time hook): found by
// import tracking, rewritten the same way as with the checker, and look-alikes left alone.

const { transformModule } = requireFromRepo('./dist/transformer/javascript.js') as typeof import('../transformer/javascript');

function transform(code: string) {
  const output = transformModule(ts, { code, fileName: '/project/src/module.ts', projectRoot: '/project' });
  const sites = (output?.records ?? []).map((r) => [r.line, r.kind, r.framework ?? r.client, r.destination ?? '', r.status].join(' ').replace(/ +/g, ' ').trim());
  return { code: output?.code ?? code, sites };
}

describe('BullMQ and gRPC by import tracking', () => {
  it('finds producers, the worker processor, the service implementation and client constructions', () => {
    const { code, sites } = transform(`
import { Queue, Worker } from 'bullmq';
import * as grpc from '@grpc/grpc-js';
const emails = new Queue('emails');
emails.add('welcome', { to: 'a' });
new Worker('emails', async (job) => job.data);
const server = new grpc.Server();
server.addService(definition, implementation);
const Echo = grpc.makeGenericClientConstructor(definition, 'echo.Echo');
new Echo('localhost:1', grpc.credentials.createInsecure());
new grpc.Client('localhost:1', grpc.credentials.createInsecure(), { interceptors: [] },);
`);
    expect(sites).toEqual([
      '5 producer bullmq emails instrumented',
      '6 consumer bullmq emails instrumented',
      '8 route grpc instrumented',
      '10 client grpc instrumented',
      '11 client grpc instrumented',
    ]);
    expect(code).toContain(`__autotrace.bullmq({ file: "src/module.ts", line: 5, column: 1 }, emails).add('welcome'`);
    expect(code).toContain(`new Worker('emails', __autotrace.bullmqProcessor(async (job) => job.data, { file: "src/module.ts", line: 6, column: 22 }))`);
    expect(code).toContain('server.addService(definition, __autotrace.grpcService(implementation, {');
    expect(code).toContain("new Echo('localhost:1', grpc.credentials.createInsecure(), __autotrace.grpcClientOptions(void 0, {");
    expect(code).toContain('__autotrace.grpcClientOptions({ interceptors: [] }, {');
  });

  it('leaves look-alikes alone and reports a sandboxed processor', () => {
    const { code, sites } = transform(`
import { Worker } from 'bullmq';
class Queue { add(name: string) { return name; } }
new Queue().add('x');
const server = { addService(a: unknown, b: unknown) { return [a, b]; } };
server.addService(1, 2);
new Worker('reports', './processor.js');
`);
    expect(sites).toEqual(['7 consumer bullmq reports unsupported']);
    expect(code).not.toContain('__autotrace.');
  });
});
