import type * as ts from 'typescript';
import { isAbsolute, relative, sep } from 'node:path';

// What autotrace knows at build time about a site and bakes into the emitted code: where it is (OpenTelemetry's
// code.* attributes), and for a client call the URL's template. The runtime never walks a stack to learn these.

export interface SiteInfo {
  /** Path relative to the project root, with `/` separators. */
  readonly file: string;
  /** 1-based, as code.line.number / code.column.number. */
  readonly line: number;
  readonly column: number;
  readonly function?: string;
  /** Low-cardinality path template of a client call's URL (`/users/{id}`). */
  readonly urlTemplate?: string;
  /** An Express `use` mount path known at build time. */
  readonly mount?: string;
  /** Host globs trace context may be sent to (the `propagateTo` option); absent means everywhere. */
  readonly propagateTo?: readonly string[];
  /** Extra query parameter names to redact (the `redactQueryParams` option), for the whole process. */
  readonly redactQueryParams?: readonly string[];
  /** A datastore call's query written as a literal: db.query.summary, operation, table (transformer/sql-facts.ts). */
  readonly querySummary?: string;
  readonly queryOperation?: string;
  readonly queryCollection?: string;
  /** The literal's text with its literals replaced by `?`, when that differs from the text as written. */
  readonly queryText?: string;
  /** Datastore spans also outside a trace (the `datastoreSpans: "always"` option). */
  readonly rootSpans?: boolean;
  /** Redis keys shown as `?` in db.query.text (the `redactRedisKeys` option). */
  readonly redactKeys?: boolean;
}

/** The datastore facts a site literal carries, in the order both writers print them (rewrite.ts, edits.ts). */
export const QUERY_FACTS = ['querySummary', 'queryOperation', 'queryCollection', 'queryText'] as const;

export function locate(
  projectRoot: string,
  node: ts.Node,
  functionName: string | undefined,
): Pick<SiteInfo, 'file' | 'line' | 'column' | 'function'> {
  const file = node.getSourceFile();
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
  const path = projectPath(projectRoot, file);
  return functionName ? { file: path, line: line + 1, column: character + 1, function: functionName } : { file: path, line: line + 1, column: character + 1 };
}

// A file's path from the project root, worked out once per file: every site and record of the file asks for it, and
// path.relative resolves both paths each time (a tenth of a large project's plan).
const projectPaths = new WeakMap<ts.SourceFile, { readonly root: string; readonly path: string }>();

export function projectPath(projectRoot: string, file: ts.SourceFile): string {
  const known = projectPaths.get(file);
  if (known?.root === projectRoot) return known.path;
  // The compiler's file names are absolute and normalised with `/`: one under an absolute root is the rest of its
  // name. A relative root (`''` where a door has none: the working directory) is resolved by path.relative.
  const under = isAbsolute(projectRoot) && !projectRoot.includes('\\') && file.fileName.startsWith(`${projectRoot}/`);
  const path = under ? file.fileName.slice(projectRoot.length + 1) : relative(projectRoot, file.fileName).split(sep).join('/');
  projectPaths.set(file, { root: projectRoot, path });
  return path;
}

/** The name of the function a call is made in: `load`, `UsersClient.fetchOne`, or undefined at top level. */
export function enclosingFunctionName(ts_: typeof ts, node: ts.Node): string | undefined {
  for (let current = node.parent; current && !ts_.isSourceFile(current); current = current.parent) {
    if (ts_.isFunctionLike(current)) {
      const name = functionName(ts_, current);
      if (name) return name;
    }
  }
  return undefined;
}

/** The name a handler argument carries itself: a named function, or a reference to one. */
export function ownName(ts_: typeof ts, node: ts.Expression): string | undefined {
  if (ts_.isIdentifier(node)) return node.text;
  if (ts_.isPropertyAccessExpression(node)) return node.name.text;
  if (ts_.isFunctionExpression(node) && node.name) return node.name.text;
  return undefined;
}

function functionName(ts_: typeof ts, fn: ts.SignatureDeclaration): string | undefined {
  const owner = fn.parent;
  const className = owner && (ts_.isClassDeclaration(owner) || ts_.isClassExpression(owner)) ? owner.name?.text : undefined;
  if (ts_.isConstructorDeclaration(fn)) return className ? `${className}.constructor` : undefined;
  const own = fn.name && (ts_.isIdentifier(fn.name) || ts_.isPrivateIdentifier(fn.name) || ts_.isStringLiteral(fn.name)) ? fn.name.text : undefined;
  if (own) return className ? `${className}.${own}` : own;
  // `const load = async () => ...`, `{ load: () => ... }`
  if (owner && (ts_.isVariableDeclaration(owner) || ts_.isPropertyAssignment(owner)) && ts_.isIdentifier(owner.name)) {
    return owner.name.text;
  }
  return undefined;
}

/**
 * `\`${base}/users/${id}\`` or `base + '/users/' + id` → `/users/{id}`: the path of a URL built around a static
 * path, with each interpolation named after what it interpolates. Undefined for a URL with nothing interpolated
 * (the runtime sees it whole) or with no static path at all.
 */
export function urlTemplate(ts_: typeof ts, node: ts.Expression): string | undefined {
  const parts = flatten(ts_, node);
  if (!parts || !parts.some((part) => typeof part !== 'string')) return undefined;
  // Markers stand in for interpolations while the static text is searched for the path.
  const OPEN = '\u0001';
  const CLOSE = '\u0002';
  let text = parts.map((part) => (typeof part === 'string' ? part : `${OPEN}${placeholder(ts_, part)}${CLOSE}`)).join('');
  const scheme = text.indexOf('://');
  const firstSlash = text.indexOf('/');
  if (scheme !== -1 && scheme < firstSlash) {
    const pathStart = text.indexOf('/', scheme + 3);
    text = pathStart === -1 ? '' : text.slice(pathStart);
  } else {
    text = firstSlash === -1 ? '' : text.slice(firstSlash);
  }
  const end = text.search(/[?#]/);
  if (end !== -1) text = text.slice(0, end);
  // A marker cut in half by the path start means the path itself was interpolated: no template.
  if (!text.startsWith('/') || text.includes(CLOSE) !== text.includes(OPEN) || text.indexOf(CLOSE) < text.indexOf(OPEN)) {
    return undefined;
  }
  return text.replace(new RegExp(`${OPEN}([^${CLOSE}]*)${CLOSE}`, 'g'), '{$1}');
}

type Part = string | ts.Expression;

function flatten(ts_: typeof ts, node: ts.Expression): Part[] | undefined {
  if (ts_.isParenthesizedExpression(node)) return flatten(ts_, node.expression);
  if (ts_.isStringLiteralLike(node)) return [node.text];
  if (ts_.isTemplateExpression(node)) {
    return [node.head.text, ...node.templateSpans.flatMap((span) => [span.expression, span.literal.text])];
  }
  if (ts_.isBinaryExpression(node) && node.operatorToken.kind === ts_.SyntaxKind.PlusToken) {
    const left = flatten(ts_, node.left);
    const right = flatten(ts_, node.right);
    return left && right ? [...left, ...right] : undefined;
  }
  return [node];
}

function placeholder(ts_: typeof ts, node: ts.Expression): string {
  if (ts_.isIdentifier(node)) return node.text;
  if (ts_.isPropertyAccessExpression(node)) return node.name.text;
  if (ts_.isCallExpression(node)) {
    const only = node.arguments.length === 1 ? node.arguments[0]! : undefined;
    // `c.req.param('id')`, `params.get('id')`: the name asked for.
    if (only && ts_.isStringLiteralLike(only) && /^[A-Za-z_$][\w$.-]*$/.test(only.text)) return only.text;
    // `encodeURIComponent(id)`, `String(sku)`: the value passed.
    if (only && ts_.isIdentifier(node.expression)) return placeholder(ts_, only);
    // `id.toString()`, `name.trim()`: the value it is called on.
    if (ts_.isPropertyAccessExpression(node.expression)) return placeholder(ts_, node.expression.expression);
  }
  return 'param';
}
