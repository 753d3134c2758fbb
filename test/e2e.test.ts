import { SpanKind } from '@opentelemetry/api';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOOLCHAINS, tspcBuild } from './helpers/fixture-project';
import { fixturesDir } from './helpers/paths';
import { run, startService } from './helpers/processes';

// gateway → users, two processes built by tspc from tsconfig `plugins`: one trace across both.

interface ExportedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  service: string;
}

const project = join(fixturesDir, 'e2e');
const children: ChildProcess[] = [];
afterAll(() => children.forEach((child) => child.kill()));

function readSpans(file: string): ExportedSpan[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as ExportedSpan);
}

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(TOOLCHAINS)('two services built with tspc: $name', (toolchain) => {
  it('share one trace with the right parent chain', async () => {
    const version = await run(toolchain.node, ['-p', 'process.versions.node + " " + require("typescript/package.json").version'], dirname(toolchain.tspc));
    expect(version.stdout).toMatch(new RegExp(`^${toolchain.nodeMajor}\\.`));
    const outDir = join(project, 'out', `node${toolchain.nodeMajor}`);
    const build = await tspcBuild(project, 'tsconfig.json', toolchain, ['--outDir', outDir]);
    expect(build.stdout + build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(readFileSync(join(outDir, 'gateway.js'), 'utf8')).toContain('__autotrace.fetch(');

    const spansDir = mkdtempSync(join(tmpdir(), 'autotrace-e2e-'));
    const usersSpans = join(spansDir, 'users.jsonl');
    const gatewaySpans = join(spansDir, 'gateway.jsonl');
    const users = await startService(join(outDir, 'users.js'), { SPANS_FILE: usersSpans, SERVICE_NAME: 'users' }, toolchain.node);
    children.push(users.child);
    const gateway = await startService(
      join(outDir, 'gateway.js'),
      { SPANS_FILE: gatewaySpans, SERVICE_NAME: 'gateway', USERS_URL: `http://127.0.0.1:${users.port}` },
      toolchain.node,
    );
    children.push(gateway.child);

    const traceId = '5b8efff798038103d269b633813fc60c';
    const callerSpanId = 'eee19b7ec3c1b174';
    const response = await fetch(`http://127.0.0.1:${gateway.port}/profile/3`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(await response.json()).toEqual({ profile: { id: '3', name: 'user-3' } });

    const gatewayServer = await waitFor(
      () => readSpans(gatewaySpans).find((s) => s.kind === SpanKind.SERVER),
      'the gateway SERVER span',
    );
    const gatewayClient = readSpans(gatewaySpans).find((s) => s.kind === SpanKind.CLIENT)!;
    const usersServer = await waitFor(() => readSpans(usersSpans).find((s) => s.kind === SpanKind.SERVER), 'the users SERVER span');

    expect(gatewayServer).toMatchObject({ name: 'GET /profile/:id', traceId, parentSpanId: callerSpanId });
    expect(gatewayClient).toMatchObject({ name: 'GET', traceId, parentSpanId: gatewayServer.spanId });
    expect(gatewayClient.attributes['url.full']).toBe(`http://127.0.0.1:${users.port}/users/3`);
    expect(usersServer).toMatchObject({ name: 'GET /users/:id', traceId, parentSpanId: gatewayClient.spanId });
    expect(usersServer.attributes['http.route']).toBe('/users/:id');
  });
});
