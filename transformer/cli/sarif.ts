import { VERSION } from '../../runtime/version';
import type { Report } from '../report';

// SARIF 2.1.0 (OASIS) for code-scanning views: one result per black box, at its file, line and column.

const RULE_ID = 'autotrace/untraced-site';

export function toSarif(report: Report): object {
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
            ],
          },
        },
        columnKind: 'utf16CodeUnits',
        results: report.sites
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
          })),
      },
    ],
  };
}
