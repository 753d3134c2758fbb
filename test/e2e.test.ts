import { SpanKind } from '@opentelemetry/api';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TOOLCHAINS, tspcBuild } from './helpers/fixture-project';
import { fixturesDir } from './helpers/paths';
import { run } from './helpers/processes';

interface ExportedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  service: string;
}

interface Chain {
  chain: { name: string; framework: string }[];
  startChain(options: { outDir: string; spansFile: string; node: string }): Promise<{ entry: string; stop: () => void }>;
  waitForSpans(file: string, count: number): Promise<ExportedSpan[]>;
}

const project = join(fixturesDir, 'e2e');
const stops: (() => void)[] = [];
afterAll(() => stops.forEach((stop) => stop()));

// gateway (Express) → orders (Fastify) → stock (Koa) → prices (Hono) → users (node:http): five processes, five
// frameworks, built by tspc from tsconfig `plugins`, and one trace across them all.
describe.each(TOOLCHAINS)('five services built with tspc: $name', (toolchain) => {
  it('share one trace with the right parent chain', async () => {
    const version = await run(toolchain.node, ['-p', 'process.versions.node'], dirname(toolchain.tspc));
    expect(version.stdout).toMatch(new RegExp(`^${toolchain.nodeMajor}\\.`));
    const outDir = join(project, 'out', `node${toolchain.nodeMajor}`);
    const build = await tspcBuild(project, 'tsconfig.json', toolchain, ['--outDir', outDir]);
    // A build says one thing: its coverage, with the report beside the tsconfig.
    expect(build.stdout + build.stderr).toBe('autotrace: 16 sites: 16 traced, 0 black boxes, coverage 100% (see autotrace-report.json)\n');
    expect(build.code).toBe(0);
    const report = JSON.parse(readFileSync(join(project, 'autotrace-report.json'), 'utf8')) as { sites: { status: string; file: string }[] };
    expect(report.sites).toHaveLength(16);
    expect(new Set(report.sites.map((site) => site.status))).toEqual(new Set(['instrumented']));

    const { chain, startChain, waitForSpans } = (await import(pathToFileURL(join(project, 'chain.mjs')).href)) as Chain;
    const spansFile = join(mkdtempSync(join(tmpdir(), 'autotrace-e2e-')), 'spans.jsonl');
    const { entry, stop } = await startChain({ outDir, spansFile, node: toolchain.node });
    stops.push(stop);

    const traceId = '5b8efff798038103d269b633813fc60c';
    const callerSpanId = 'eee19b7ec3c1b174';
    const response = await fetch(`${entry}/api/orders/3`, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
    expect(await response.json()).toEqual({
      gateway: 'express',
      order: { id: '3', stock: { sku: 'sku-3', count: 3, price: { sku: 'sku-3', amount: 12.5, currency: 'EUR' } } },
    });

    // Walk the chain from the entry: SERVER, then its CLIENT call, then the next service's SERVER, ...
    const spans = await waitForSpans(spansFile, chain.length * 2 - 1);
    expect(spans).toHaveLength(chain.length * 2 - 1);
    const expected = [
      { service: 'gateway', server: 'GET /api/orders/:id', route: '/api/orders/:id', calls: '/orders/3', client: 'GET /orders/{id}' },
      { service: 'orders', server: 'GET /orders/:id', route: '/orders/:id', calls: '/stock/sku-3', client: 'GET /stock/sku-{id}' },
      { service: 'stock', server: 'GET /stock/:sku', route: '/stock/:sku', calls: '/prices/sku-3', client: 'GET /prices/{sku}' },
      { service: 'prices', server: 'GET /prices/:sku', route: '/prices/:sku', calls: '/users/1', client: 'GET /users/1' },
      { service: 'users', server: 'GET', route: undefined, calls: undefined, client: undefined },
    ];
    let parent = callerSpanId;
    for (const step of expected) {
      const server = spans.find((s) => s.service === step.service && s.kind === SpanKind.SERVER);
      expect(server, step.service).toMatchObject({ name: step.server, traceId, parentSpanId: parent });
      expect(server!.attributes['http.route']).toBe(step.route);
      if (!step.calls) break;
      const client = spans.find((s) => s.service === step.service && s.kind === SpanKind.CLIENT);
      expect(client, `${step.service} client`).toMatchObject({ name: step.client, traceId, parentSpanId: server!.spanId });
      expect(String(client!.attributes['url.full'])).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+${step.calls}$`));
      parent = client!.spanId;
    }
  });
});
