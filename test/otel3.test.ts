import { SpanKind } from '@opentelemetry/api';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from './helpers/compile';
import { run } from './helpers/processes';
import { fixturesDir, repoRoot } from './helpers/paths';

// The runtime against the OpenTelemetry JS 3.x line (api 1.10, @opentelemetry/sdk-trace), which lives in its own
// npm project (compat/otel3) because its api peer range excludes the 2.x line's. autotrace is copied in as an
// install would place it, so the runtime loads that project's @opentelemetry/api, not the repo's.

const compat = join(repoRoot, 'compat', 'otel3');

describe('OpenTelemetry JS 3.x', () => {
  it('traces the Express fixture with the right parents, filling in context and propagation itself', async () => {
    expect(existsSync(join(compat, 'node_modules', '@opentelemetry', 'sdk-trace')), 'run: npm ci --prefix compat/otel3').toBe(true);
    const installed = join(compat, 'node_modules', 'autotrace');
    rmSync(installed, { recursive: true, force: true });
    mkdirSync(join(installed, 'dist'), { recursive: true });
    cpSync(join(repoRoot, 'package.json'), join(installed, 'package.json'));
    cpSync(join(repoRoot, 'dist', 'runtime'), join(installed, 'dist', 'runtime'), { recursive: true });
    const { outputs, diagnostics } = compile([join(fixturesDir, 'apps', 'express-app.ts')]);
    expect(diagnostics).toEqual([]);
    mkdirSync(join(compat, 'build'), { recursive: true });
    writeFileSync(join(compat, 'build', 'express-app.js'), outputs.get('express-app.js')!);

    const result = await run(process.execPath, ['run.cjs'], compat);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as {
      apiVersion: string;
      runtimeApi: string;
      proxied: unknown;
      relayed: Record<string, string>;
      spans: { name: string; kind: SpanKind; traceId: string; spanId: string; parentSpanId?: string }[];
    };
    expect(report.apiVersion).toMatch(/^1\.10\./);
    expect(report.runtimeApi.startsWith(join(compat, 'node_modules'))).toBe(true);
    expect(report.proxied).toEqual({ id: '7' });

    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const proxy = report.spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'GET /proxy/:id')!;
    const client = report.spans.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanId === proxy.spanId)!;
    const downstream = report.spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'GET /api/users/:id')!;
    expect(proxy).toMatchObject({ traceId, parentSpanId: 'b7ad6b7169203331' });
    expect(client).toMatchObject({ name: 'GET /api/users/{id}', traceId });
    expect(downstream).toMatchObject({ traceId, parentSpanId: client.spanId });

    // run.cjs's own fetch calls have CLIENT spans too (from the run-time net): the relay's call is the one under it.
    const relay = report.spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'GET /relay')!;
    const relayClient = report.spans.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanId === relay.spanId)!;
    expect(report.relayed.traceparent).toBe(`00-${traceId}-${relayClient.spanId}-01`);
    expect(report.relayed.baggage).toBe('tenant=acme');
  });
});
