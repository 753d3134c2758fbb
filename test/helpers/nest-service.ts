import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { echoServer } from './http';
import { startListening } from './processes';

// The fixtures/nest service, built (with tspc) against one Nest line and run from its dist/: started as its own
// process, sent the same requests, its spans (test/helpers/spans-to-file.cjs preloaded) compared with what each
// request must give. Shared by the Nest 11 test (the repo's install) and the Nest 12 one (compat/nest12).

export interface ExportedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode };
  events: { name: string; attributes: Record<string, unknown> }[];
}

export function readSpans(file: string): ExportedSpan[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ExportedSpan) : [];
}

/** The spans written so far, once there are `count` of them or the deadline has passed. */
export async function spansFor(file: string, count: number, timeoutMs = 10_000): Promise<ExportedSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = readSpans(file);
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const started = new Set<ChildProcess>();
process.on('exit', () => stopNestServices());

/** Kills the services started by startNestService that are still running. */
export function stopNestServices(): void {
  for (const child of started) child.kill();
  started.clear();
}

/**
 * Starts a built entry (of the project's dist/) with these node arguments and environment (PORT 0; the service prints
 * `listening <port>`); resolves with its base URL.
 */
export function startNestService(project: string, entry: string, nodeArgs: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<{ child: ChildProcess; base: string }> {
  return startListening('the Nest service', [...nodeArgs, entry], project, { PORT: '0', ...env }, { timeoutMs, onSpawn: (child) => started.add(child) });
}

/** The route sites the build reports for fixtures/nest: [method, template, file under src/ and line]. */
export const EXPECTED_ROUTE_SITES = [
  ['GET', '/cats/secret', 'cats.controller.ts:12'],
  ['GET', '/cats/:id', 'cats.controller.ts:17'],
  ['GET', '/cats/:id/friend', 'cats.controller.ts:22'],
  ['POST', '/cats', 'cats.controller.ts:28'],
  ['GET', '/cats/teapot/now', 'cats.controller.ts:33'],
  ['GET', '/dogs/:name', 'dogs.controller.ts:7'],
  ['GET', '/health', 'dogs.controller.ts:16'],
  ['GET', '/edges/broken', 'edges.controller.ts:38'],
  ['GET', '/edges/closed', 'edges.controller.ts:44'],
  ['GET', '/edges/conflict', 'edges.controller.ts:50'],
];

/** The routes' SERVER spans as [name, status code], in request order: what the service and its e2e test both send. */
export const EXPECTED_SERVER_SPANS = [
  ['GET /api/cats/:id', 200],
  ['GET /api/cats/:id/friend', 200],
  ['POST /api/cats', 201],
  ['POST /api/cats', 400],
  ['GET /api/cats/teapot/now', 418],
  ['GET /api/cats/secret', 403],
  ['GET /api/cats/secret', 200],
  ['GET', 404],
  ['GET /api/v1/dogs/:name', 200],
  ['GET /health', 200],
  ['GET /api/edges/broken', 500],
  ['GET /api/edges/closed', 401],
  ['GET /api/edges/conflict', 409],
];

/**
 * Sends the fixture's requests to a running service (base URL), checks the answers, then its spans (written to
 * spansFile): one SERVER span per request named by the full template, statuses and exception events as sent, the
 * fetch and HttpService calls as CLIENT children, and the downstream joining the caller's trace.
 */
export async function expectNestRequestsTraced(base: string, spansFile: string, downstream: Awaited<ReturnType<typeof echoServer>>): Promise<void> {
  const seenBefore = downstream.seen.length;
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpanId = '00f067aa0ba902b7';
  const one = await fetch(`${base}/api/cats/7`, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
  expect(await one.json()).toEqual({ id: '7', owner: 'ok' });
  expect(await (await fetch(`${base}/api/cats/7/friend`)).json()).toEqual({ id: '7', friend: 'ok' });
  const post = (name: string) => fetch(`${base}/api/cats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  expect((await post('Tom')).status).toBe(201);
  expect((await post('')).status).toBe(400);
  expect((await fetch(`${base}/api/cats/teapot/now`)).status).toBe(418);
  expect((await fetch(`${base}/api/cats/secret`)).status).toBe(403);
  expect((await fetch(`${base}/api/cats/secret`, { headers: { 'x-key': 'open' } })).status).toBe(200);
  expect((await fetch(`${base}/api/nope`)).status).toBe(404);
  expect(await (await fetch(`${base}/api/v1/dogs/rex`)).json()).toEqual({ name: 'rex' });
  expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true });
  expect((await fetch(`${base}/api/edges/broken`)).status).toBe(500);
  expect((await fetch(`${base}/api/edges/closed`)).status).toBe(401);
  const conflict = await fetch(`${base}/api/edges/conflict`);
  expect([conflict.status, await conflict.json()]).toEqual([409, { handled: true }]);

  const spans = await spansFor(spansFile, 15);
  const servers = spans.filter((span) => span.kind === SpanKind.SERVER);
  expect(servers.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual(EXPECTED_SERVER_SPANS);
  expect(servers.map((span) => span.attributes['http.route'])).toEqual(EXPECTED_SERVER_SPANS.map(([name]) => String(name).split(' ')[1]));
  expect(servers.map((span) => span.attributes['code.function.name'])).toEqual([
    'CatsController.findOne',
    'CatsController.friend',
    'CatsController.create',
    'CatsController.create',
    'CatsController.teapot',
    'CatsController.secret',
    'CatsController.secret',
    undefined,
    'DogsController.find',
    'HealthController.check',
    'EdgesController.broken',
    'EdgesController.closed',
    'EdgesController.conflict',
  ]);
  // 4xx leaves a SERVER span's status unset, 5xx sets error; the exceptions Nest answered with (from the handler,
  // a pipe, a guard, an interceptor, its 404, one a filter of the user's answered) are events on their spans.
  expect(servers.map((span) => span.status.code)).toEqual(EXPECTED_SERVER_SPANS.map(([, status]) => (Number(status) >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET)));
  const exceptions = servers.map((span) => span.events.filter((event) => event.name === 'exception').map((event) => event.attributes['exception.type']));
  expect(exceptions).toEqual([
    [], [], [], ['BadRequestException'], ['HttpException'], ['ForbiddenException'], [], ['NotFoundException'], [], [],
    ['Error'], ['UnauthorizedException'], ['ConflictException'],
  ]);
  // The incoming traceparent is the parent; fetch and HttpService calls are CLIENT children; the downstream joins.
  expect(servers[0]!.traceId).toBe(traceId);
  expect(servers[0]!.parentSpanId).toBe(callerSpanId);
  const clients = spans.filter((span) => span.kind === SpanKind.CLIENT);
  expect(clients.map((span) => [span.name, span.attributes['http.response.status_code'], span.attributes['code.function.name']])).toEqual([
    ['GET /owners/{id}', 200, 'CatsService.owner'],
    ['GET /friends/{id}', 200, 'CatsService.friend'],
  ]);
  expect(clients[0]!.parentSpanId).toBe(servers[0]!.spanId);
  expect(clients[1]!.parentSpanId).toBe(servers[1]!.spanId);
  const seen = downstream.seen.slice(seenBefore);
  expect(seen.map((headers) => headers.traceparent)).toEqual([
    `00-${traceId}-${clients[0]!.spanId}-01`,
    `00-${servers[1]!.traceId}-${clients[1]!.spanId}-01`,
  ]);
}
