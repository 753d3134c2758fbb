import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/paths';
import { run } from './helpers/processes';

// Small slices of the proof-at-scale scripts (`npm run corpus`, `npm run faults`), on what the repo already installs.

async function script(name: string, args: string[]) {
  const result = await run(process.execPath, [join(repoRoot, 'test', 'scale', name), ...args, '--json'], repoRoot);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout.trim().split('\n').pop()!) };
}

describe('proof at scale, a slice', () => {
  it('corpus: ajv and fastify 4 sources compile alike with and without autotrace, untouched files byte-identical', async () => {
    const { code, report } = await script('corpus.mjs', ['--from-repo', 'ajv,fastify4']);
    expect(report.problems).toEqual([]);
    expect(report.totals).toMatchObject({ packages: 2, crashes: 0, diagnosticMismatches: 0, invalidOutputs: 0, changedWithoutSite: 0 });
    expect(report.totals.files).toBeGreaterThan(100);
    // fastify's own type tests register routes: the slice also exercises rewritten files.
    expect(report.totals.rewrittenFiles).toBeGreaterThan(0);
    expect(report.totals.identical + report.totals.rewrittenFiles).toBe(report.totals.files);
    expect(code).toBe(0);
  }, 180_000);

  it('faults: 1,000 requests with throws, rejections, aborts and upstream failures answer as untraced, spans balanced', async () => {
    const { code, report } = await script('faults.mjs', ['--requests', '1000']);
    expect(report.failures).toEqual([]);
    const f = report.figures;
    expect(f.differingResponses).toBe(0);
    expect(f.outcomes).toEqual({ '200': 700, '500': 200, '502': 50, '200 aborted': 50 });
    expect(f.gatewayServerSpans).toBe(f.gatewayRequests);
    expect(f.backendServerSpans).toBe(f.backendRequests);
    expect(f.spansStarted).toBe(f.spansEnded);
    expect(code).toBe(0);
  }, 180_000);
});
