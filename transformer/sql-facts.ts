import type * as ts from 'typescript';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sqlFacts } from '../runtime/datastores/sql-summary';
import type { Core } from './core-types';
import type { SqlClient } from './rules/types';
import { enclosingFunctionName, type SiteInfo } from './sites';

// What the build knows of a datastore call: for SQL written as a literal, its summary, operation, table and sanitised
// text, computed by the runtime's own summariser (runtime/datastores/sql-summary.ts), so a literal's span is named
// exactly as the run time would name it, without the run time doing it; and whether the installed driver is a
// version autotrace knows (each from the rule's `sql` row, transformer/rules/datastores.ts).

/** What the report says of a datastore site (see SiteRecord). */
export interface DatastoreRecordFields {
  operation?: string;
  collection?: string;
  querySummary?: string;
}

export type DatastoreFacts =
  | { readonly known: true; readonly site: SiteInfo; readonly record: DatastoreRecordFields }
  | { readonly known: false; readonly what: string; readonly why: string };

/** The site and report fields of a datastore call, or why it is left alone (a driver version autotrace does not know). */
export function datastoreFacts(core: Core, call: ts.CallExpression, driver: SqlClient | undefined): DatastoreFacts {
  const where = core.locate(call, enclosingFunctionName(core.ts, call));
  const rootSpans = core.options.datastoreSpans === 'always' ? { rootSpans: true } : {};
  if (!driver) return { known: true, site: { ...where, ...rootSpans }, record: {} };
  const version = installedVersion(call.getSourceFile().fileName, driver.driver);
  const major = version === undefined ? undefined : Number(version.split('.')[0]);
  if (major !== undefined && !driver.driverMajors.includes(major)) {
    return {
      known: false,
      what: `${driver.driver} ${version}`,
      why: `a version autotrace does not know (it traces ${driver.driverMajors.map((m) => `${m}.x`).join(', ')}); its calls are left as written`,
    };
  }
  const text = literalSql(core.ts, call, driver.textProperty);
  if (text === undefined) return { known: true, site: { ...where, ...rootSpans }, record: {} };
  const facts = sqlFacts(text, driver.dialect);
  const site: SiteInfo = {
    ...where,
    querySummary: facts.summary,
    ...(facts.operation !== undefined ? { queryOperation: facts.operation } : {}),
    ...(facts.collection !== undefined ? { queryCollection: facts.collection } : {}),
    // The text as written is what the runtime sees and uses, unless sanitising changed it.
    ...(facts.text !== text ? { queryText: facts.text } : {}),
    ...rootSpans,
  };
  const record: DatastoreRecordFields = {
    ...(facts.operation !== undefined ? { operation: facts.operation } : {}),
    ...(facts.collection !== undefined ? { collection: facts.collection } : {}),
    ...(facts.summary ? { querySummary: facts.summary } : {}),
  };
  return { known: true, site, record };
}

/** The SQL of a call when it is written as a literal: `'…'`, `` `…` `` without interpolation, or `{ text: '…' }`. */
function literalSql(ts_: typeof ts, call: ts.CallExpression, textProperty: string): string | undefined {
  let first: ts.Expression | undefined = call.arguments[0];
  while (first && (ts_.isParenthesizedExpression(first) || ts_.isAsExpression(first) || ts_.isSatisfiesExpression(first))) first = first.expression;
  if (!first) return undefined;
  if (ts_.isStringLiteral(first) || ts_.isNoSubstitutionTemplateLiteral(first)) return first.text;
  if (!ts_.isObjectLiteralExpression(first)) return undefined;
  // A spread could bring another text in after ours: only a literal whose text is the one it says.
  if (first.properties.some((property) => ts_.isSpreadAssignment(property))) return undefined;
  for (const property of first.properties) {
    if (ts_.isPropertyAssignment(property) && (ts_.isIdentifier(property.name) || ts_.isStringLiteral(property.name)) && property.name.text === textProperty) {
      const value = property.initializer;
      return ts_.isStringLiteral(value) || ts_.isNoSubstitutionTemplateLiteral(value) ? value.text : undefined;
    }
  }
  return undefined;
}

const versions = new Map<string, string | undefined>();

/** The version of `pkg` Node would load from `fileName`'s folder (the nearest node_modules holding it), if installed. */
function installedVersion(fileName: string, pkg: string): string | undefined {
  const start = dirname(fileName);
  const key = `${start}\0${pkg}`;
  if (versions.has(key)) return versions.get(key);
  let version: string | undefined;
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
        if (typeof parsed.version === 'string') version = parsed.version;
      } catch {
        // unreadable: unknown, so traced as the rule says
      }
      break;
    }
    if (dirname(dir) === dir) break;
  }
  versions.set(key, version);
  return version;
}
