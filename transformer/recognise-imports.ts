import type * as ts from 'typescript';
import { escapeForPattern, mentionOf, moduleBindings, moduleName } from './imports';
import { hasSourceAnnotations, originsOf } from './origins';
import { EXPORT_HOPS, fileMayReach, mayReach } from './sibling-modules';
import type { ClientInstanceMatch, RegistrationMatch } from './recognise';
import {
  APP_FACTORY_RULES,
  CLIENT_CALL_RULES,
  CLIENT_INSTANCE_RULES,
  GLOBAL_CLIENT_RULES,
  MODULE_KINDS,
  REGISTRATION_RULES,
  TRACED_MODULES,
  VALUE_KINDS,
  type AppFactoryRule,
  type ClientCallRule,
  type GlobalClientRule,
  type RegistrationRule,
} from './rules/index';
import { mentionsUntracedPackage, type UnsupportedMatch } from './unsupported';

// The same questions as recognise.ts, answered by import tracking (origins.ts) instead of the checker: used where
// there is no checker (a file compiled alone, a bundler, a load-time hook, emitted JavaScript) and where the checker
// sees only `any`. Each answer comes from the same rows of the rule table (transformer/rules/), reached through VALUE_KINDS.

/**
 * Whether import tracking can find anything in a file at all: it binds a traced module, or mentions the global fetch.
 * Read from the import statements and the text, so files with neither cost nothing more.
 */
export function mayTrackImports(ts_: typeof ts, file: ts.SourceFile): boolean {
  for (const binding of moduleBindings(ts_, file).values()) if (MODULE_KINDS[moduleName(binding.module)]) return true;
  return file.text.includes('fetch') || hasSourceAnnotations(file) || fileMayReach(file, SITE_WORDS);
}

/**
 * Whether import tracking can find a function of a traced module in a file (`http.createServer` handed on as a value,
 * undici's `request` called under another name): the file, or a project module it imports as deep as tracking
 * follows exports, names one of the modules such functions come from in an import specifier.
 */
export function mayTrackFunctions(file: ts.SourceFile): boolean {
  return hasSourceAnnotations(file) || fileMayReach(file, FUNCTION_SPECIFIERS, EXPORT_HOPS);
}

/** The modules import tracking can find a function of, from the tables: a kind of theirs leads to a `fn`. */
const FUNCTION_MODULES = Object.keys(MODULE_KINDS).filter((module) => Object.values(MODULE_KINDS[module]!.values).some((kind) => leadsToFunction(kind, new Set())));
const FUNCTION_SPECIFIERS = new RegExp(`['"](?:node:)?(?:${FUNCTION_MODULES.map(escapeForPattern).join('|')})(?:/[^'"]*)?['"]`);

function leadsToFunction(kind: string | undefined, seen: Set<string>): boolean {
  const value = kind === undefined || seen.has(kind) ? undefined : VALUE_KINDS[kind];
  if (!value) return false;
  seen.add(kind!);
  // `memberOf` rows (a batch's commands) answer with the batch itself, never a function.
  return value.fn !== undefined || [...Object.values(value.members ?? {}), value.call, value.construct, value.awaited].some((next) => leadsToFunction(next, seen));
}

/**
 * Words one of which a module with a site, or a project module handing it a traced value, must contain: the global
 * fetch, or the name of a module the rule table traces (a short name only as a whole word: `pg`, not `jpg`).
 */
const SITE_WORDS = mentionOf(['fetch', ...Object.keys(TRACED_MODULES), ...Object.keys(MODULE_KINDS)]);

/**
 * A text test before parsing: the module, a project module it imports, or (for emitted JavaScript) the source it was
 * compiled from mentions what a site needs (`import type { Express }` is gone from the JavaScript).
 */
export function mayHaveSites(code: string, fileName: string, sources: readonly { path: string; text: string }[] = []): boolean {
  return (
    mentionsUntracedPackage(code) ||
    mayReach(code, fileName, SITE_WORDS) ||
    sources.some((source) => mayReach(source.text, source.path, SITE_WORDS))
  );
}

const kinds = (ts_: typeof ts, node: ts.Node) => originsOf(ts_, node.getSourceFile());
const valueKind = (ts_: typeof ts, node: ts.Expression) => {
  const kind = kinds(ts_, node).kindOf(node);
  return kind === undefined ? undefined : VALUE_KINDS[kind];
};

/** Whether a row is declared where the checker would have found this value's type or function declared. */
const declaredIn = (row: { typesPackage: string; declaredIn: readonly string[] }, at: { typesPackage: string; owner: string }) =>
  row.typesPackage === at.typesPackage && row.declaredIn.includes(at.owner);

/** `app.get('/x', h)` on an app whose origin is `express()`, `createServer(h)` on `http`, … */
export function registrationByImports(ts_: typeof ts, call: ts.CallExpression): RegistrationMatch | undefined {
  const callee = call.expression;
  const args = call.arguments;
  const method = ts_.isPropertyAccessExpression(callee) && ts_.isIdentifier(callee.name) ? callee.name.text : undefined;
  // `(0, http_1.createServer)(h)`: a named import called in CommonJS output (tsc, esbuild, tsx), reached as a function.
  const commaCall = ts_.isParenthesizedExpression(callee) && ts_.isBinaryExpression(callee.expression) && callee.expression.operatorToken.kind === ts_.SyntaxKind.CommaToken;
  if (method === undefined && !ts_.isIdentifier(callee) && !commaCall) return undefined;
  // A method on a traced value (`app.get`), or a traced function however it is reached (`createServer`, `http.createServer`).
  const receiver = method !== undefined ? valueKind(ts_, (callee as ts.PropertyAccessExpression).expression)?.is : undefined;
  const fn = receiver ? undefined : valueKind(ts_, callee)?.fn;
  const rule = receiver
    ? REGISTRATION_RULES.find((r) => declaredIn(r, receiver) && r.methods.includes(method!) && fitsFirst(ts_, call, r.whenFirstArgument))
    : fn && REGISTRATION_RULES.find((r) => declaredIn(r, fn) && r.methods.includes(fn.name));
  if (!rule) return undefined;
  if (rule.handlers !== 'arguments') {
    const optionsIndex = args.findIndex((arg) => ts_.isObjectLiteralExpression(arg));
    return { rule, handlerIndexes: [], optionsIndex: optionsIndex === -1 ? undefined : optionsIndex, mountPath: undefined };
  }
  const origins = kinds(ts_, call);
  const pathText = (node: ts.Expression) => (ts_.isStringLiteralLike(node) ? node.text : ts_.isIdentifier(node) ? origins.constantString(node) : undefined);
  let firstHandler = 0;
  while (firstHandler < args.length && (isPathLiteral(ts_, args[firstHandler]!) || pathText(args[firstHandler]!) !== undefined)) firstHandler++;
  const handlerIndexes = args.map((_, index) => index).filter((index) => index >= firstHandler && mayBeHandler(ts_, args[index]!));
  // `app.get(name)` with one argument reads an Express setting: a route needs a path and a handler.
  // On a route (`app.route(p).get(h)`) the path is already given: one argument is a handler.
  if (rule.framework === 'express' && receiver?.owner !== 'IRoute' && ts_.isPropertyAccessExpression(callee) && callee.name.text === 'get' && args.length < 2) {
    return { rule, handlerIndexes: [], optionsIndex: undefined, mountPath: undefined };
  }
  const first = args[0];
  const mountPath = rule.passesMountPath && firstHandler === 1 && first ? pathText(first) : undefined;
  return { rule, handlerIndexes, optionsIndex: undefined, mountPath };
}

/** `express()`, `fastify()`, `new Koa()`, `new Hono()` reached through their imports. */
export function appFactoryByImports(ts_: typeof ts, node: ts.CallExpression | ts.NewExpression): AppFactoryRule | undefined {
  const kind = valueKind(ts_, node.expression);
  if (!kind?.createsApp) return undefined;
  const creates = ts_.isNewExpression(node) ? kind.construct : kind.call;
  return creates ? APP_FACTORY_RULES.find((rule) => rule.framework === kind.createsApp) : undefined;
}

/** `fetch(…)` / `globalThis.fetch(…)` where no declaration of the file's names `fetch` (or `globalThis`) there. */
export function globalClientByImports(ts_: typeof ts, callee: ts.Expression): GlobalClientRule | undefined {
  const name = globalName(ts_, callee);
  const rule = name && GLOBAL_CLIENT_RULES.find((candidate) => candidate.global === name.text);
  if (!rule) return undefined;
  // The name itself, or `globalThis`, declared in the file is something else.
  const declared = kinds(ts_, callee).isDeclared(name === callee ? name : ((callee as ts.PropertyAccessExpression).expression as ts.Identifier));
  return declared ? undefined : rule;
}

/** The name a global is read by: `fetch` itself, or `fetch` in `globalThis.fetch`. */
export function globalName(ts_: typeof ts, node: ts.Expression): ts.Identifier | undefined {
  if (ts_.isIdentifier(node)) return node;
  const onGlobalThis = ts_.isPropertyAccessExpression(node) && ts_.isIdentifier(node.expression) && node.expression.text === 'globalThis';
  return onGlobalThis && ts_.isIdentifier(node.name) ? node.name : undefined;
}

/** `request(url)` from undici, `http.get(url)`, `(secure ? https : http).request(…)`. */
export function clientCallByImports(ts_: typeof ts, callee: ts.Expression): ClientCallRule | undefined {
  const fn = valueKind(ts_, callee)?.fn;
  return fn && CLIENT_CALL_RULES.find((rule) => declaredIn(rule, fn) && rule.functions.includes(fn.name));
}

/** `api.get(url)`, `axios(config)` on a value whose origin is axios or `axios.create()`. */
export function clientInstanceByImports(ts_: typeof ts, call: ts.CallExpression): ClientInstanceMatch | undefined {
  const callee = call.expression;
  if (ts_.isPropertyAccessExpression(callee) && ts_.isIdentifier(callee.name)) {
    const is = valueKind(ts_, callee.expression)?.is;
    const rule = is && CLIENT_INSTANCE_RULES.find((r) => r.typesPackage === is.typesPackage && [...r.declaredIn, ...r.callableIn].includes(is.owner) && r.methods.includes(callee.name.text));
    return rule && { rule, callable: false, instance: callee.expression };
  }
  const is = valueKind(ts_, callee)?.is;
  const rule = is && CLIENT_INSTANCE_RULES.find((r) => r.typesPackage === is.typesPackage && r.callableIn.includes(is.owner));
  return rule && { rule, callable: true, instance: callee };
}

/** `http.createServer` (a function that registers handlers) reached through its import, as a value. */
export function registrationValueByImports(ts_: typeof ts, node: ts.Expression): RegistrationRule | undefined {
  const fn = valueKind(ts_, node)?.fn;
  return fn && REGISTRATION_RULES.find((r) => declaredIn(r, fn) && r.methods.includes(fn.name));
}

/**
 * `this.express.use(…)` where `this.express` is `express()` here but may be set to something else (a field also
 * given by a caller, a `??` fallback, a default parameter): a site import tracking sees but cannot vouch for.
 */
export function uncertainSiteByImports(ts_: typeof ts, call: ts.CallExpression): UnsupportedMatch | undefined {
  const callee = call.expression;
  if (!ts_.isPropertyAccessExpression(callee) || !ts_.isIdentifier(callee.name)) return undefined;
  const flow = kinds(ts_, call).flowOf(callee.expression);
  const is = flow && !flow.certain ? VALUE_KINDS[flow.kind]?.is : undefined;
  if (!is) return undefined;
  const method = callee.name.text;
  const receiver = callee.expression.getText();
  const registration = REGISTRATION_RULES.find((r) => declaredIn(r, is) && r.methods.includes(method) && fitsFirst(ts_, call, r.whenFirstArgument));
  // A registration passes a handler (`app.get('env')` reads a setting).
  if (registration && call.arguments.some((arg) => mayBeHandler(ts_, arg))) {
    return {
      kind: registration.kind,
      framework: registration.framework,
      what: `${receiver}.${method}(…) on a value that is an app or router of ${registration.framework} only on some paths`,
      why: `its handlers are not wrapped, as ${receiver} may also be set to another value (a fallback, a default parameter, or a field set from outside); give it the framework's type or one origin to trace it`,
    };
  }
  const instance = CLIENT_INSTANCE_RULES.find((r) => r.typesPackage === is.typesPackage && [...r.declaredIn, ...r.callableIn].includes(is.owner) && r.methods.includes(method));
  if (instance) {
    return {
      // A broker's send or consume is a producer or consumer site, black box or not.
      kind: (typeof instance.kind === 'object' ? instance.kind[method] : instance.kind) ?? 'client',
      client: instance.client,
      what: `${receiver}.${method}(…) on a value that is an instance of ${instance.client} only on some paths`,
      why: `not traced, as ${receiver} may also be set to another value (a fallback, a default parameter, or a field set from outside); give it the client's type or one origin to trace it`,
    };
  }
  return undefined;
}

function fitsFirst(ts_: typeof ts, call: ts.CallExpression, expected: string | undefined): boolean {
  if (expected === undefined) return true;
  const first = call.arguments[0];
  return first !== undefined && ts_.isStringLiteralLike(first) && first.text === expected;
}

/** A path written as a literal: a string, a template, a RegExp, or an array of those. */
function isPathLiteral(ts_: typeof ts, node: ts.Expression): boolean {
  if (ts_.isStringLiteralLike(node) || ts_.isTemplateExpression(node) || ts_.isRegularExpressionLiteral(node)) return true;
  return ts_.isArrayLiteralExpression(node) && node.elements.length > 0 && node.elements.every((element) => isPathLiteral(ts_, element));
}

/**
 * Without types, anything that could be a function is treated as a handler; the runtime wrappers hand back a
 * non-function as it was, so a path held in a variable passes through unchanged. Option objects and other literals
 * are never handlers.
 */
function mayBeHandler(ts_: typeof ts, node: ts.Expression): boolean {
  return !(
    ts_.isObjectLiteralExpression(node) ||
    ts_.isStringLiteralLike(node) ||
    ts_.isTemplateExpression(node) ||
    ts_.isNumericLiteral(node) ||
    ts_.isRegularExpressionLiteral(node) ||
    node.kind === ts_.SyntaxKind.TrueKeyword ||
    node.kind === ts_.SyntaxKind.FalseKeyword ||
    node.kind === ts_.SyntaxKind.NullKeyword
  );
}
