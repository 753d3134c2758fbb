import { VERSION } from '../../runtime/version';
import { describeRuntimeEntry, type Report } from '../report';

// SARIF 2.1.0 (OASIS) for code-scanning views: one result per black box, at its file, line and column, and one per kind
// of traffic traced only at run time (`--runtime`), which has no place in the source: it is named by its package.

const RULE_ID = 'autotrace/untraced-site';
const RUNTIME_RULE_ID = 'autotrace/traced-at-run-time-only';

export function toSarif(report: Report): object {
  const blackBoxes = report.sites
    .filter((site) => site.status === 'unsupported')
    .map((site) => ({
      ruleId: RULE_ID,
      level: 'warning',
      message: { text: site.reason ?? 'not traced' },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: site.file, uriBaseId: '%SRCROOT%' },
            region: { startLine: site.line, startColumn: site.column },
          },
        },
      ],
    }));
  const runtimeOnly = (report.runtime ?? []).map((entry) => ({
    ruleId: RUNTIME_RULE_ID,
    level: 'warning',
    message: { text: `${describeRuntimeEntry(entry)}: traced at run time, outside the build (${entry.count} seen)` },
    locations: entry.source ? [{ logicalLocations: [{ name: entry.source, kind: 'module' }] }] : [],
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'autotrace',
            version: VERSION,
            rules: [
              {
                id: RULE_ID,
                name: 'UntracedSite',
                shortDescription: { text: 'An HTTP server or client site that autotrace sees but does not trace' },
                fullDescription: {
                  text: 'Requests through this site get no span and carry no trace context: a black box in every trace that crosses it.',
                },
                defaultConfiguration: { level: 'warning' },
              },
              {
                id: RUNTIME_RULE_ID,
                name: 'TracedAtRunTimeOnly',
                shortDescription: { text: 'HTTP traffic the run-time net traced that no site in the build traces' },
                fullDescription: {
                  text: 'Its spans come from the run-time net, outside the build: named by method and route at best, with no code location.',
                },
                defaultConfiguration: { level: 'warning' },
              },
            ],
          },
        },
        columnKind: 'utf16CodeUnits',
        results: [...blackBoxes, ...runtimeOnly],
      },
    ],
  };
}
