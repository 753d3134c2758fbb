import type * as ts from 'typescript';
import MagicString from 'magic-string';
import type { Action, FilePlan } from './analyse';
import { bindsRuntime } from './rewrite';
import { RUNTIME_BINDING, RUNTIME_MODULE } from './rules/index';
import { QUERY_FACTS, type SiteInfo } from './sites';

// The plan applied as text edits, for the doors that hand autotrace source text rather than a compiler's AST: a
// bundler's modules, modules as they load, emitted JavaScript. The same actions as the AST rewrite in core.ts (the
// tests hold the two to the same runtime calls and site literals), written as insertions around the original text,
// so everything else stays byte for byte as it was and the source map is exact.

export interface Edited {
  readonly code: string;
  readonly map: ReturnType<MagicString['generateMap']>;
}

export function applyEdits(ts_: typeof ts, file: ts.SourceFile, plan: FilePlan, commonJs: boolean): Edited | undefined {
  if (plan.actions.size === 0) return undefined;
  const text = new MagicString(file.text);
  // Outer sites before inner ones: a prefix written first stays outermost, a suffix written first stays last.
  const ordered = [...plan.actions].sort(([a], [b]) => a.getStart(file) - b.getStart(file) || b.end - a.end);
  for (const [node, action] of ordered) edit(ts_, file, text, node, action);
  if (!file.statements.some((statement) => bindsRuntime(ts_, statement))) {
    text.appendRight(importPosition(ts_, file), commonJs ? `const ${RUNTIME_BINDING} = require("${RUNTIME_MODULE}");\n` : `import * as ${RUNTIME_BINDING} from "${RUNTIME_MODULE}";\n`);
  }
  return { code: text.toString(), map: text.generateMap({ hires: true, source: file.fileName, includeContent: true }) };
}

function edit(ts_: typeof ts, file: ts.SourceFile, text: MagicString, node: ts.Node, action: Action): void {
  const wrap = (target: ts.Node, callee: string, site: SiteInfo | undefined) => {
    text.appendRight(target.getStart(file), `${RUNTIME_BINDING}.${callee}(`);
    text.prependLeft(target.end, site ? `, ${siteText(site)})` : ')');
  };
  switch (action.type) {
    case 'wrapArguments': {
      const call = node as ts.CallExpression;
      for (const [index, site] of action.sites) {
        const argument = call.arguments[index]!;
        wrap(ts_.isSpreadElement(argument) ? argument.expression : argument, action.rule.wrapWith, site);
      }
      return;
    }
    case 'wrapProperty': {
      const options = (node as ts.CallExpression).arguments[action.optionsIndex] as ts.ObjectLiteralExpression;
      const property = options.properties.find((p) => p.name && ts_.isIdentifier(p.name) && p.name.text === action.property)!;
      const callee = `${RUNTIME_BINDING}.${action.rule.wrapWith}(`;
      if (ts_.isPropertyAssignment(property)) return wrap(property.initializer, action.rule.wrapWith, action.site);
      if (ts_.isShorthandPropertyAssignment(property)) {
        text.appendLeft(property.name.end, `: ${callee}${action.property}, ${siteText(action.site)})`);
        return;
      }
      // `async handler(req) {…}` → `handler: __autotrace.w(async function handler(req) {…}, site)`.
      const method = property as ts.MethodDeclaration;
      const isAsync = method.modifiers?.some((m) => m.kind === ts_.SyntaxKind.AsyncKeyword) ?? false;
      text.overwrite(method.getStart(file), method.name.end, `${action.property}: ${callee}${isAsync ? 'async ' : ''}function${method.asteriskToken ? '*' : ''} ${action.property}`);
      text.prependLeft(method.end, `, ${siteText(action.site)})`);
      return;
    }
    case 'wrapApp':
      return wrap(node, action.rule.wrapWith, action.site);
    case 'redirectGlobal': {
      const call = node as ts.CallExpression;
      text.overwrite(call.expression.getStart(file), call.expression.end, `${RUNTIME_BINDING}.${action.rule.callInstead}`);
      text.appendLeft(openParen(file, call) + 1, call.arguments.length > 0 ? `${siteText(action.site)}, ` : siteText(action.site));
      return;
    }
    case 'callThrough': {
      const call = node as ts.CallExpression;
      text.appendRight(call.expression.getStart(file), `${RUNTIME_BINDING}.${action.rule.callThrough}(${siteText(action.site)}, `);
      const paren = openParen(file, call);
      if (call.typeArguments) text.remove(call.expression.end, paren);
      text.overwrite(paren, paren + 1, call.arguments.length > 0 ? ', ' : '');
      return;
    }
    case 'wrapArgumentAt': {
      const call = node as ts.CallExpression | ts.NewExpression;
      const args = call.arguments!;
      const argument = args[action.index];
      if (argument) return wrap(argument, action.rule.wrapWith, action.site);
      // `new Client(address, credentials)` → `new Client(address, credentials, __autotrace.w(void 0, site))`.
      const separator = args.length === 0 || args.hasTrailingComma ? '' : ', ';
      text.appendLeft(args.end, `${separator}${RUNTIME_BINDING}.${action.rule.wrapWith}(void 0, ${siteText(action.site)})`);
      return;
    }
    case 'callOnFacade': {
      // `api.get(a)` → `__autotrace.axios(site, api).get(a)`; `api(a)` → `__autotrace.axios(site, api)(a)`.
      const call = node as ts.CallExpression;
      const instance = ts_.isPropertyAccessExpression(call.expression) ? call.expression.expression : call.expression;
      text.appendRight(instance.getStart(file), `${RUNTIME_BINDING}.${action.rule.wrapWith}(${siteText(action.site)}, `);
      text.prependLeft(instance.end, ')');
      return;
    }
  }
}

/** Where a call's argument list opens: after the callee and any type arguments. */
function openParen(file: ts.SourceFile, call: ts.CallExpression): number {
  const from = call.typeArguments ? call.typeArguments.end : call.expression.end;
  return file.text.indexOf('(', from);
}

/** After a shebang and any prologue directives (`"use strict";`), which must stay first. */
function importPosition(ts_: typeof ts, file: ts.SourceFile): number {
  let position = file.text.startsWith('#!') ? file.text.indexOf('\n') + 1 : 0;
  for (const statement of file.statements) {
    if (!ts_.isExpressionStatement(statement) || !ts_.isStringLiteral(statement.expression)) break;
    position = statement.end;
    if (file.text[position] === '\n') position++;
    else return position;
  }
  return position;
}

/** The site literal, as the AST rewrite prints it (rewrite.ts `siteLiteral`). */
export function siteText(site: SiteInfo): string {
  const parts = [`file: ${JSON.stringify(site.file)}`, `line: ${site.line}`, `column: ${site.column}`];
  if (site.function !== undefined) parts.push(`function: ${JSON.stringify(site.function)}`);
  if (site.urlTemplate !== undefined) parts.push(`urlTemplate: ${JSON.stringify(site.urlTemplate)}`);
  if (site.mount !== undefined) parts.push(`mount: ${JSON.stringify(site.mount)}`);
  if (site.propagateTo !== undefined) parts.push(`propagateTo: [${site.propagateTo.map((g) => JSON.stringify(g)).join(', ')}]`);
  if (site.redactQueryParams !== undefined) parts.push(`redactQueryParams: [${site.redactQueryParams.map((g) => JSON.stringify(g)).join(', ')}]`);
  for (const name of QUERY_FACTS) if (site[name] !== undefined) parts.push(`${name}: ${JSON.stringify(site[name])}`);
  if (site.rootSpans === true) parts.push('rootSpans: true');
  if (site.redactKeys === true) parts.push('redactKeys: true');
  return `{ ${parts.join(', ')} }`;
}
