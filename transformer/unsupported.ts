import type * as ts from 'typescript';
import { mentionOf, moduleBindings, moduleName, type ModuleBinding } from './imports';
import { originsOf } from './origins';
import { declaredBy, type Recogniser } from './recognise';
import {
  CLIENT_INSTANCE_RULES,
  isCandidateClientName,
  isCandidateMethod,
  REGISTRATION_RULES,
  TRACED_MODULES,
  UNSUPPORTED_CLIENT_RULES,
} from './rules/index';
import type { SiteKind } from './report';

// "What does autotrace see but not trace?" — the black boxes of the report, each with what it is and why it stays
// untouched. Pure questions over original nodes, like recognise.ts; nothing here builds nodes.

export interface UnsupportedMatch {
  readonly kind: SiteKind;
  readonly framework?: string;
  readonly client?: string;
  /** The shape, as written: `app[method](…)`, `got(…)`. */
  readonly what: string;
  readonly why: string;
}

/** `app[method](path, handler)`, `api[verb](url)`: a registration or client call whose method is chosen at run time. */
export function matchDynamicCall(r: Recogniser, call: ts.CallExpression): UnsupportedMatch | undefined {
  const callee = call.expression;
  if (!r.ts.isElementAccessExpression(callee)) return undefined;
  const type = r.checker.getTypeAtLocation(callee.expression);
  const has = (name: string, owners: readonly string[], typesPackage: string) =>
    (r.checker.getPropertyOfType(type, name)?.declarations ?? []).some((d) => declaredBy(r, d, owners, typesPackage));
  const receiver = callee.expression.getText();
  // The receiver is a framework's app/router or a client instance when a method of some row is declared on its type.
  const declaresARow = (rule: { methods: readonly string[]; declaredIn: readonly string[]; typesPackage: string }) =>
    rule.methods.some((m) => has(m, rule.declaredIn, rule.typesPackage));
  const registration = REGISTRATION_RULES.find(declaresARow);
  if (registration) {
    const why = 'the method is chosen at run time, so its handlers are not wrapped; requests still get their span from the app';
    return { kind: 'route', framework: registration.framework, what: `dynamic registration ${receiver}[…](…)`, why };
  }
  const instance = CLIENT_INSTANCE_RULES.find(declaresARow);
  if (instance) {
    const why = 'the method is chosen at run time; call it by name to trace it';
    return { kind: 'client', client: instance.client, what: `dynamic call ${receiver}[…](…)`, why };
  }
  return undefined;
}

/** A call or `new` through an HTTP client autotrace does not support yet: got, node-fetch, superagent, http2, … */
export function matchUnsupportedClient(
  ts_: typeof ts,
  r: Recogniser | undefined,
  node: ts.CallExpression | ts.NewExpression,
): UnsupportedMatch | undefined {
  const callee = node.expression;
  const why = 'this client is not supported yet: its calls are not traced and carry no trace context';
  // Typed rows: a method declared by the client's own types (`session.request()` on an http2 session).
  if (r && r.ts.isCallExpression(node) && r.ts.isPropertyAccessExpression(callee) && r.ts.isIdentifier(callee.name)) {
    const name = callee.name.text;
    const typed = UNSUPPORTED_CLIENT_RULES.filter((rule) => rule.methods?.includes(name) && r.hasPackage(rule.typesPackage!));
    if (typed.length > 0) {
      const declarations = r.checker.getSymbolAtLocation(callee.name)?.declarations ?? [];
      const rule = typed.find((candidate) => declarations.some((d) => declaredBy(r, d, candidate.declaredIn!, candidate.typesPackage!)));
      if (rule) return { kind: 'client', client: rule.client, what: `${rule.client} ${callee.getText()}(…)`, why };
    }
  }
  // Import rows: anything called or constructed through a binding of the module.
  const reference = importReference(ts_, callee, (module) => UNSUPPORTED_CLIENT_MODULES.has(moduleName(module)));
  if (!reference) return undefined;
  const module = moduleName(reference.binding.module);
  const rule = UNSUPPORTED_CLIENT_RULES.find(
    (candidate) =>
      candidate.modules?.some((m) => moduleName(m) === module) &&
      (!candidate.exports || candidate.exports.includes(reference.member ?? reference.binding.imported)),
  );
  if (!rule) return undefined;
  const shape = ts_.isNewExpression(node) ? `new ${callee.getText()}(…)` : `${callee.getText()}(…)`;
  return { kind: 'client', client: rule.client, what: shape, why };
}

/**
 * `app.get(…)`, `express()`, `axios.get(…)` where the checker sees `any` or `unknown` (a `require` in a .ts file, an
 * untyped parameter) but the value plainly comes from a module autotrace traces: recognition by type cannot vouch
 * for it, so it is reported with its origin rather than guessed at.
 */
export function matchUntypedSite(r: Recogniser, call: ts.CallExpression, isUntyped: (node: ts.Expression) => boolean): UnsupportedMatch | undefined {
  const callee = call.expression;
  let receiver: ts.Expression;
  let member: string | undefined;
  if (r.ts.isPropertyAccessExpression(callee) && r.ts.isIdentifier(callee.name)) {
    member = callee.name.text;
    if (!isCandidateMethod(member) && !isCandidateClientName(member)) return undefined;
    receiver = callee.expression;
  } else if (r.ts.isIdentifier(callee)) {
    receiver = callee;
  } else {
    return undefined;
  }
  // The plan's answer for the receiver, asked once per node by every question of the call.
  if (!isUntyped(receiver)) return undefined;
  const origin = originOf(r, receiver, 0);
  const traced = origin && TRACED_MODULES[moduleName(origin.module)];
  if (!origin || !traced) return undefined;
  const what = `${callee.getText()}(…) on a value typed any (it comes from ${origin.text})`;
  const why = `not traced: the checker sees any, and import tracking cannot follow this value here (a name declared more than once in the file, or a value passed in); give it a type (import … from '${origin.module}')`;
  if (member === undefined) {
    // The module or a value from it, called: `express()` makes an app, `axios(config)` makes a request.
    if (traced.framework && !traced.client) return { kind: 'app', framework: traced.framework, what, why };
    if (traced.client && !traced.framework) return { kind: 'client', client: traced.client, what, why };
    return undefined;
  }
  // `http.get(url)` is a client call on the module itself; on a server made from it, `get` means nothing.
  if (traced.client && isCandidateClientName(member) && (!traced.framework || origin.isModule)) {
    return { kind: 'client', client: traced.client, what, why };
  }
  const registers = REGISTRATION_RULES.some(
    (rule) =>
      rule.framework === traced.framework &&
      rule.methods.includes(member) &&
      (rule.whenFirstArgument === undefined || literalText(r, call.arguments[0]) === rule.whenFirstArgument),
  );
  // A registration passes something besides strings (`app.get('env')` reads a setting).
  if (registers && call.arguments.some((arg) => !r.ts.isStringLiteralLike(arg))) {
    return { kind: member === 'use' ? 'middleware' : 'route', framework: traced.framework, what, why };
  }
  return undefined;
}

function literalText(r: Recogniser, node: ts.Expression | undefined): string | undefined {
  return node && r.ts.isStringLiteralLike(node) ? node.text : undefined;
}

interface Origin {
  readonly module: string;
  /** How the value came about, for the reason: `express()`, `require('axios')`. */
  readonly text: string;
  /** The module itself (`http`), not a value made from it (`http.createServer()`). */
  readonly isModule: boolean;
}

/** Where a value comes from, followed through `const`/`let` initializers within the program: a module, or a call on one. */
function originOf(r: Recogniser, node: ts.Expression, depth: number): Origin | undefined {
  if (depth > 8) return undefined;
  while (r.ts.isParenthesizedExpression(node) || r.ts.isAsExpression(node) || r.ts.isNonNullExpression(node)) node = node.expression;
  if (r.ts.isIdentifier(node)) {
    const reference = importReference(r.ts, node);
    if (reference) return { module: reference.binding.module, text: `'${reference.binding.module}'`, isModule: true };
    const declaration = r.checker.getSymbolAtLocation(node)?.valueDeclaration;
    if (declaration && r.ts.isVariableDeclaration(declaration) && declaration.initializer && r.ts.isIdentifier(declaration.name)) {
      return originOf(r, declaration.initializer, depth + 1);
    }
    return undefined;
  }
  if (r.ts.isPropertyAccessExpression(node)) {
    const inner = originOf(r, node.expression, depth + 1);
    return inner && { ...inner, text: node.getText(), isModule: false };
  }
  if (r.ts.isCallExpression(node) || r.ts.isNewExpression(node)) {
    const inner = originOf(r, node.expression, depth + 1);
    return inner && { module: inner.module, text: `${r.ts.isNewExpression(node) ? 'new ' : ''}${node.expression.getText()}()`, isModule: false };
  }
  return undefined;
}

const UNSUPPORTED_CLIENT_MODULES = new Set(UNSUPPORTED_CLIENT_RULES.flatMap((rule) => (rule.modules ?? []).map(moduleName)));

/**
 * The import binding an expression is made through (`got`, `got.get`, `undici.Pool`), when it is one (of a module
 * `wanted` accepts: asked before the file's declarations are indexed, which most calls never need).
 */
function importReference(
  ts_: typeof ts,
  node: ts.Expression,
  wanted: (module: string) => boolean = () => true,
): { binding: ModuleBinding; member: string | undefined } | undefined {
  let root = node;
  let member: string | undefined;
  if (ts_.isPropertyAccessExpression(node) && ts_.isIdentifier(node.expression)) {
    root = node.expression;
    member = node.name.text;
  }
  if (!ts_.isIdentifier(root)) return undefined;
  const file = root.getSourceFile();
  const binding = moduleBindings(ts_, file).get(root.text);
  // Declared once in the file: every use of the name is the import (never a shadowing local).
  if (!binding || binding.typeOnly || !wanted(binding.module) || !originsOf(ts_, file).declaredOnce(root.text)) return undefined;
  return { binding, member: binding.imported === '*' || binding.imported === 'default' ? member : undefined };
}

/**
 * Packages autotrace does not trace (yet): every import of one is a black box naming the package, since what it
 * serves or sends happens inside the package, where no build-time site can be. One table; a package leaves it when
 * a rule (or the run-time net) traces it.
 */
interface UntracedPackage {
  readonly packages: readonly string[];
  readonly kind: SiteKind;
  /** Whether the package is a server framework (its records name a framework) or a client. */
  readonly role: 'framework' | 'client';
  /** The framework or client the records name; default: the package. */
  readonly name?: string;
  readonly why: string;
}

const UNSUPPORTED_CLIENT_WHY = 'its calls are not traced where they are written and carry no trace context from the build; the run-time net gives them CLIENT spans at best, named by method and host';

export const UNTRACED_PACKAGES: readonly UntracedPackage[] = [
  {
    packages: ['@nestjs/graphql'],
    kind: 'app',
    role: 'framework',
    why: 'its resolvers are served inside the package: the HTTP request gets its SERVER span, the resolvers no spans of their own',
  },
  {
    packages: ['@nestjs/websockets', '@nestjs/platform-socket.io', '@nestjs/platform-ws'],
    kind: 'app',
    role: 'framework',
    why: 'its gateways are not HTTP: messages get no spans and carry no trace context',
  },
  {
    packages: ['@nestjs/microservices'],
    kind: 'app',
    role: 'framework',
    why: 'its transports (TCP, Redis, NATS, Kafka, gRPC, …) are not HTTP: messages get no spans and carry no trace context',
  },
  {
    packages: ['kafkajs'],
    kind: 'client',
    role: 'client',
    why: 'Kafka is not HTTP: produced and consumed messages get no spans and carry no trace context',
  },
  // The HTTP clients whose calls are black boxes (UNSUPPORTED_CLIENT_RULES) wherever every use of them is untraced.
  ...UNSUPPORTED_CLIENT_RULES.filter((rule) => rule.modules && !rule.exports).map(
    (rule): UntracedPackage => ({ packages: rule.modules!, kind: 'client', role: 'client', name: rule.client, why: UNSUPPORTED_CLIENT_WHY }),
  ),
];

/**
 * Whether a text names a package the report lists as untraced or unsupported: a file that names none cannot import
 * one. Short names count only as whole words (`ky`, not `sky`).
 */
export function mentionsUntracedPackage(text: string): boolean {
  return UNTRACED_MENTION.test(text);
}

const UNTRACED_MENTION = mentionOf([...UNTRACED_PACKAGES.flatMap((row) => row.packages).map(moduleName), ...UNSUPPORTED_CLIENT_MODULES]);

const UNTRACED_BY_PACKAGE = new Map(UNTRACED_PACKAGES.flatMap((row) => row.packages.map((name) => [name, row] as const)));

/**
 * `import { NestFactory } from '@nestjs/core'`, `import got = require('got')`, `require('kafkajs')`: one black box per
 * import of an untraced package (type-only imports bring nothing in and are left out).
 */
export function matchUntracedImport(ts_: typeof ts, node: ts.Node): UnsupportedMatch | undefined {
  const specifier = importedModule(ts_, node);
  if (specifier === undefined) return undefined;
  const name = packageOf(moduleName(specifier));
  const row = UNTRACED_BY_PACKAGE.get(name);
  if (!row) return undefined;
  const what = `${name} is not traced yet`;
  const named = row.name ?? name;
  return row.role === 'framework' ? { kind: row.kind, framework: named, what, why: row.why } : { kind: row.kind, client: named, what, why: row.why };
}

function importedModule(ts_: typeof ts, node: ts.Node): string | undefined {
  if (ts_.isImportDeclaration(node)) {
    if (node.importClause?.isTypeOnly || !ts_.isStringLiteral(node.moduleSpecifier)) return undefined;
    return node.moduleSpecifier.text;
  }
  if (ts_.isImportEqualsDeclaration(node)) {
    const reference = node.moduleReference;
    if (node.isTypeOnly || !ts_.isExternalModuleReference(reference) || !ts_.isStringLiteral(reference.expression)) return undefined;
    return reference.expression.text;
  }
  if (ts_.isCallExpression(node) && ts_.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) {
    const [argument] = node.arguments;
    if (argument && ts_.isStringLiteral(argument)) return argument.text;
  }
  return undefined;
}

/** `@nestjs/core/router` → `@nestjs/core`, `got/dist/source` → `got`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
