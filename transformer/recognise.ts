import type * as ts from 'typescript';
import { moduleBindings } from './imports';
import { packageNameOf } from './packages';
import {
  APP_FACTORY_RULES,
  CLIENT_CALL_RULES,
  CLIENT_INSTANCE_RULES,
  GLOBAL_CLIENT_RULES,
  isCandidateClientName,
  isCandidateGlobal,
  isCandidateMethod,
  REGISTRATION_RULES,
  RUNTIME_BINDING,
  type AppFactoryRule,
  type ClientCallRule,
  type ClientInstanceRule,
  type GlobalClientRule,
  type RegistrationRule,
} from './rules/index';

// "What is this call?" — pure questions over original nodes and the checker. Nothing here builds nodes.

export interface Recogniser {
  readonly ts: typeof ts;
  readonly checker: ts.TypeChecker;
  /** Whether the program holds declarations of this package at all (asked before checker calls that need it). */
  readonly hasPackage: (name: string) => boolean;
}

export interface RegistrationMatch {
  readonly rule: RegistrationRule;
  /** Indexes of the arguments that are (or may be) handlers. */
  readonly handlerIndexes: readonly number[];
  /** For `{ property }` rules: the options object literal whose property holds the handler. */
  readonly optionsIndex: number | undefined;
  /** The leading path's value when it is known at build time (a literal, or a const of literal type). */
  readonly mountPath: string | undefined;
}

/** The identifier a call is made through: `f(...)` or `x.f(...)`. */
function calleeName(r: Recogniser, call: ts.CallExpression): ts.Identifier | undefined {
  const callee = call.expression;
  if (r.ts.isIdentifier(callee)) return callee;
  if (r.ts.isPropertyAccessExpression(callee) && r.ts.isIdentifier(callee.name)) return callee.name;
  return undefined;
}

/**
 * The name a callee (or a client function used as a value) is declared under, for the cheap by-name filter: its own
 * text, or for a renamed import (`import { fetch as undiciFetch }`) the imported name, read from the file's import
 * statements: no checker call.
 */
function declaredCalleeName(r: Recogniser, nameNode: ts.Identifier, isCandidate: (name: string) => boolean): string | undefined {
  if (isCandidate(nameNode.text)) return nameNode.text;
  if (r.ts.isPropertyAccessExpression(nameNode.parent) && nameNode.parent.name === nameNode) return undefined; // a property
  const binding = moduleBindings(r.ts, nameNode.getSourceFile()).get(nameNode.text);
  const imported = binding?.typeOnly ? undefined : binding?.imported;
  return imported !== undefined && isCandidate(imported) ? imported : undefined;
}

/** `app.get('/x', h)`, `router.use('/api', r)`, `createServer(h)`: a typed registration on a known receiver. */
export function matchRegistration(r: Recogniser, call: ts.CallExpression): RegistrationMatch | undefined {
  const nameNode = calleeName(r, call);
  const name = nameNode && declaredCalleeName(r, nameNode, isCandidateMethod);
  if (!nameNode || !name) return undefined;
  let symbol = r.checker.getSymbolAtLocation(nameNode);
  if (symbol && symbol.flags & r.ts.SymbolFlags.Alias) symbol = r.checker.getAliasedSymbol(symbol);
  if (!symbol) return undefined;
  const rule = REGISTRATION_RULES.find(
    (candidate) => declaresRegistration(r, symbol, candidate, name) && firstArgumentFits(r, call, candidate),
  );
  if (!rule) return undefined;
  const args = call.arguments;
  if (rule.handlers !== 'arguments') {
    const optionsIndex = args.findIndex((arg) => r.ts.isObjectLiteralExpression(arg));
    return { rule, handlerIndexes: [], optionsIndex: optionsIndex === -1 ? undefined : optionsIndex, mountPath: undefined };
  }
  // Leading strings are paths (or a route name, or a method): everything after them that can be called is a handler.
  let firstHandler = 0;
  while (firstHandler < args.length && isPathLike(r, args[firstHandler]!)) firstHandler++;
  const handlerIndexes = args
    .map((arg, index) => ({ arg, index }))
    .filter(({ arg, index }) => index >= firstHandler && mayBeHandler(r, arg))
    .map(({ index }) => index);
  const mountPath = rule.passesMountPath && firstHandler === 1 ? literalString(r, args[0]!) : undefined;
  return { rule, handlerIndexes, optionsIndex: undefined, mountPath };
}

function declaresRegistration(r: Recogniser, symbol: ts.Symbol, rule: RegistrationRule, name: string): boolean {
  if (!rule.methods.includes(name)) return false;
  return (symbol.declarations ?? []).some((declaration) => declaredBy(r, declaration, rule.declaredIn, rule.typesPackage));
}

/**
 * `request(url)`, `undici.fetch(url)`, `http.get(url, cb)`: a client function, known by the declaration behind the
 * callee's type, so it is recognised however it was imported and a local look-alike is not.
 */
export function matchClientCall(r: Recogniser, call: ts.CallExpression): ClientCallRule | undefined {
  const nameNode = calleeName(r, call);
  return nameNode && clientFunctionRule(r, nameNode, call.expression);
}

/** The client-call rule of a function reference (`request`, `undici.fetch`), by the declaration behind its type. */
function clientFunctionRule(r: Recogniser, nameNode: ts.Identifier, reference: ts.Expression): ClientCallRule | undefined {
  if (!declaredCalleeName(r, nameNode, isCandidateClientName)) return undefined;
  const type = r.checker.getTypeAtLocation(reference);
  // `(secure ? https : http).request`: a union is traced when every member is the same client's function.
  const members = type.isUnion() ? type.types : [type];
  let found: ClientCallRule | undefined;
  for (const member of members) {
    const rule = clientRuleOfFunction(r, member.getSymbol());
    if (!rule || (found && rule !== found)) return undefined;
    found = rule;
  }
  return found;
}

function clientRuleOfFunction(r: Recogniser, symbol: ts.Symbol | undefined): ClientCallRule | undefined {
  if (!symbol) return undefined;
  return CLIENT_CALL_RULES.find((rule) =>
    (symbol.declarations ?? []).some(
      (declaration) =>
        r.ts.isFunctionDeclaration(declaration) &&
        declaration.name !== undefined &&
        rule.functions.includes(declaration.name.text) &&
        declaredBy(r, declaration, rule.declaredIn, rule.typesPackage),
    ),
  );
}

export interface ClientInstanceMatch {
  readonly rule: ClientInstanceRule;
  /** The declaration file the method was found in (for the version of the package that declares it). */
  readonly declaredAt?: string;
  /** `api(config)` rather than `api.get(url)`. */
  readonly callable: boolean;
  /** The instance the call is made on: the receiver, or the callee itself. */
  readonly instance: ts.Expression;
}

const instanceRulesByMethod = new Map<string, ClientInstanceRule[]>();
for (const rule of CLIENT_INSTANCE_RULES) {
  for (const method of rule.methods) instanceRulesByMethod.set(method, [...(instanceRulesByMethod.get(method) ?? []), rule]);
}

/** `api.get(url)`, `axios.request(config)`, `axios(config)`, `api(url, config)` on any axios instance. */
export function matchClientInstance(r: Recogniser, call: ts.CallExpression): ClientInstanceMatch | undefined {
  const callee = call.expression;
  if (r.ts.isPropertyAccessExpression(callee) && r.ts.isIdentifier(callee.name)) {
    if (!isCandidateClientName(callee.name.text)) return undefined;
    // `map.get(k)` in a program without axios or a Redis client asks the checker nothing (the Redis rows name ~1,400
    // methods, common words among them).
    if (!instanceRulesByMethod.get(callee.name.text)?.some((rule) => r.hasPackage(rule.typesPackage))) return undefined;
    const symbol = r.checker.getSymbolAtLocation(callee.name);
    let declaredAt: string | undefined;
    const rule =
      symbol &&
      CLIENT_INSTANCE_RULES.find(
        (candidate) =>
          candidate.methods.includes(callee.name.text) &&
          (symbol.declarations ?? []).some((d) => {
            if (!declaredBy(r, d, candidate.declaredIn, candidate.typesPackage)) return false;
            declaredAt = d.getSourceFile().fileName;
            return true;
          }),
      );
    return rule && { rule, callable: false, instance: callee.expression, ...(declaredAt !== undefined ? { declaredAt } : {}) };
  }
  if (!r.ts.isIdentifier(callee) && !r.ts.isPropertyAccessExpression(callee)) return undefined;
  // Any call could be a callable instance, so this asks the checker about most calls: only when axios is there.
  if (!CALLABLE_INSTANCE_RULES.some((candidate) => r.hasPackage(candidate.typesPackage))) return undefined;
  // The signature the call resolved to first: the type check's cached answer, where the callee's type is worked out
  // again (a call of every file that can meet axios's types).
  const declaration = resolvedDeclaration(r, call);
  if (!declaration) return undefined;
  const declaredIn = CALLABLE_INSTANCE_RULES.filter((candidate) => declaredBy(r, declaration, candidate.callableIn, candidate.typesPackage));
  if (declaredIn.length === 0) return undefined;
  const typeName = r.checker.getTypeAtLocation(callee).getSymbol()?.getName();
  const rule = CALLABLE_INSTANCE_RULES.find((candidate) => typeName !== undefined && candidate.callableIn.includes(typeName));
  return rule && declaredIn.includes(rule) ? { rule, callable: true, instance: callee } : undefined;
}

/** The instance rules whose instances can be called themselves (`api(config)` on an axios instance). */
const CALLABLE_INSTANCE_RULES = CLIENT_INSTANCE_RULES.filter((rule) => rule.callableIn.length > 0);

/**
 * The interface, class or ambient module (`declare module "http"`) a member or function is declared in, or
 * `(module)` for a top-level declaration of a module file.
 */
function ownerName(r: Recogniser, declaration: ts.Declaration): string | undefined {
  let owner: ts.Node = declaration.parent;
  if (r.ts.isModuleBlock(owner)) owner = owner.parent;
  if (r.ts.isInterfaceDeclaration(owner) || r.ts.isClassDeclaration(owner)) return owner.name?.text;
  // A member of an object type written in a variable's declaration: `declare const _default: { GET: …; get: … }`.
  if (r.ts.isTypeLiteralNode(owner) && r.ts.isVariableDeclaration(owner.parent) && r.ts.isIdentifier(owner.parent.name)) return owner.parent.name.text;
  if (r.ts.isTypeLiteralNode(owner)) {
    // A mixin's members (mysql2's `declare function QueryableBase(Base): { new (…): { query(…) } } & T`) are owned by
    // the function that declares the type.
    let up: ts.Node = owner;
    while (!r.ts.isSourceFile(up) && !r.ts.isFunctionDeclaration(up)) up = up.parent;
    return r.ts.isFunctionDeclaration(up) ? up.name?.text : undefined;
  }
  if (r.ts.isModuleDeclaration(owner)) return owner.name.text;
  if (r.ts.isSourceFile(owner) && r.ts.isExternalModule(owner)) return '(module)';
  return undefined;
}

export function declaredBy(r: Recogniser, declaration: ts.Declaration, owners: readonly string[], typesPackage: string): boolean {
  const owner = ownerName(r, declaration);
  return owner !== undefined && owners.includes(owner) && packageNameOf(declaration.getSourceFile().fileName) === typesPackage;
}

function firstArgumentFits(r: Recogniser, call: ts.CallExpression, rule: RegistrationRule): boolean {
  if (rule.whenFirstArgument === undefined) return true;
  const first = call.arguments[0];
  return first !== undefined && literalString(r, first) === rule.whenFirstArgument;
}

/** A route path or name: string, RegExp, or an array of those (Express's PathParams). */
function isPathLike(r: Recogniser, node: ts.Expression): boolean {
  // What nearly every route and handler are written as: no type to work out.
  if (r.ts.isStringLiteralLike(node)) return true;
  if (r.ts.isArrowFunction(node) || r.ts.isFunctionExpression(node)) return false;
  return !r.ts.isSpreadElement(node) && isPathLikeType(r, r.checker.getTypeAtLocation(node));
}

function isPathLikeType(r: Recogniser, type: ts.Type): boolean {
  if (type.isUnion()) return type.types.every((member) => isPathLikeType(r, member));
  if (type.flags & r.ts.TypeFlags.StringLike) return true;
  if (type.getSymbol()?.getName() === 'RegExp') return true;
  if (r.checker.isArrayType(type) || r.checker.isTupleType(type)) {
    return r.checker.getTypeArguments(type as ts.TypeReference).every((member) => isPathLikeType(r, member));
  }
  return false;
}

/** Functions, arrays of them, spreads, and anything the checker cannot rule out (any/unknown); not option objects. */
function mayBeHandler(r: Recogniser, node: ts.Expression): boolean {
  if (r.ts.isSpreadElement(node) || r.ts.isArrowFunction(node) || r.ts.isFunctionExpression(node)) return true;
  return mayBeHandlerType(r, r.checker.getTypeAtLocation(node));
}

function mayBeHandlerType(r: Recogniser, type: ts.Type): boolean {
  if (type.flags & (r.ts.TypeFlags.Any | r.ts.TypeFlags.Unknown)) return true;
  if (type.isUnion() || type.isIntersection()) return type.types.some((member) => mayBeHandlerType(r, member));
  if (type.getCallSignatures().length > 0) return true;
  if (r.checker.isArrayType(type) || r.checker.isTupleType(type)) {
    return r.checker.getTypeArguments(type as ts.TypeReference).some((member) => mayBeHandlerType(r, member));
  }
  return false;
}

function literalString(r: Recogniser, node: ts.Expression): string | undefined {
  if (r.ts.isStringLiteralLike(node)) return node.text;
  const type = r.checker.getTypeAtLocation(node);
  return type.isStringLiteral() ? type.value : undefined;
}

/** `express()`, `fastify()`, `new Koa()`, `new Hono()` — however the factory is named locally or reaches the file. */
export function matchAppFactory(r: Recogniser, node: ts.CallExpression | ts.NewExpression): AppFactoryRule | undefined {
  const callee = node.expression;
  if (!r.ts.isIdentifier(callee) && !r.ts.isPropertyAccessExpression(callee)) return undefined;
  if (resolvedOutside(r, node, FACTORY_PACKAGES)) return undefined;
  const symbol = r.checker.getTypeAtLocation(callee).getSymbol();
  if (!symbol) return undefined;
  const isNew = r.ts.isNewExpression(node);
  return APP_FACTORY_RULES.find((rule) =>
    (symbol.declarations ?? []).some((declaration) => {
      if (packageNameOf(declaration.getSourceFile().fileName) !== rule.typesPackage) return false;
      if ('call' in rule.creates) return !isNew && r.ts.isFunctionDeclaration(declaration) && isExportEqualsTarget(r, declaration);
      if ('method' in rule.creates) {
        const { method, of } = rule.creates;
        return !isNew && r.ts.isMethodDeclaration(declaration) && declaration.name.getText() === method && ownerName(r, declaration) === of;
      }
      return isNew && r.ts.isClassDeclaration(declaration) && declaration.name?.text === rule.creates.construct;
    }),
  );
}

const FACTORY_PACKAGES: ReadonlySet<string> = new Set(APP_FACTORY_RULES.map((rule) => rule.typesPackage));

/**
 * True when the signature a call resolved to is declared at module scope outside `packages`: then the callee's type
 * cannot be one those packages declare. A declaration in a global script, `declare global` or `declare module "…"`
 * can merge with one in another file (an augmentation's overload), so it rules nothing out. The signature is the type
 * check's cached answer; the callee's type, asked of every call in a file that names a framework, the checker works
 * out again (a sixth of the plan on a large project).
 */
function resolvedOutside(r: Recogniser, call: ts.CallExpression | ts.NewExpression, packages: ReadonlySet<string>): boolean {
  const declaration = resolvedDeclaration(r, call);
  if (!declaration) return false;
  const file = declaration.getSourceFile();
  if (!r.ts.isExternalModule(file)) return false;
  for (let up: ts.Node = declaration.parent; up !== file; up = up.parent) {
    if (r.ts.isModuleDeclaration(up) && (r.ts.isStringLiteral(up.name) || (up.flags & r.ts.NodeFlags.GlobalAugmentation) !== 0)) return false;
  }
  return !packages.has(packageNameOf(file.fileName) ?? '');
}

/** True for `declare function e(): ...; export = e;` — the module's own export, not some helper beside it. */
function isExportEqualsTarget(r: Recogniser, declaration: ts.FunctionDeclaration): boolean {
  const name = declaration.name?.text;
  if (!name) return false;
  return declaration
    .getSourceFile()
    .statements.some(
      (statement) =>
        r.ts.isExportAssignment(statement) &&
        statement.isExportEquals === true &&
        r.ts.isIdentifier(statement.expression) &&
        statement.expression.text === name,
    );
}

/** `fetch(...)` or `globalThis.fetch(...)` where `fetch` is the global declared by lib.dom or @types/node. */
export function matchGlobalClient(r: Recogniser, call: ts.CallExpression): GlobalClientRule | undefined {
  return matchGlobalReference(r, call.expression);
}

/** `fetch` or `globalThis.fetch`, referring to the global declared by lib.dom or @types/node. */
function matchGlobalReference(r: Recogniser, node: ts.Expression): GlobalClientRule | undefined {
  let nameNode: ts.Identifier;
  if (r.ts.isIdentifier(node)) {
    nameNode = node;
  } else if (
    r.ts.isPropertyAccessExpression(node) &&
    r.ts.isIdentifier(node.expression) &&
    node.expression.text === 'globalThis' &&
    r.ts.isIdentifier(node.name)
  ) {
    nameNode = node.name;
  } else {
    return undefined;
  }
  if (!isCandidateGlobal(nameNode.text)) return undefined;
  const symbol = r.checker.getSymbolAtLocation(nameNode);
  if (!symbol || !isGlobalDeclaration(r, symbol)) return undefined;
  return GLOBAL_CLIENT_RULES.find((rule) => rule.global === nameNode.text);
}

/**
 * A client function handed on as a value (`urls.map(fetch)`, `const get = fetch`, `{ fetch }`): calls made through
 * it cannot be seen here. Asked only of nodes in a value position (`valuePosition`, checked once by the caller for
 * both recognisers), so `typeof fetch` and declarations never count.
 */
export function matchClientValue(r: Recogniser, node: ts.Expression): string | undefined {
  const global = matchGlobalReference(r, node);
  if (global) return global.global;
  return r.ts.isIdentifier(node) && clientFunctionRule(r, node, node) ? node.text : undefined;
}

/**
 * A function that registers handlers (`http.createServer`) handed on as a value: servers made through it cannot be
 * seen here. Only plain functions count (a module's own `createServer`), never methods of an app.
 */
export function matchRegistrationValue(r: Recogniser, node: ts.Expression): RegistrationRule | undefined {
  const nameNode = r.ts.isIdentifier(node) ? node : r.ts.isPropertyAccessExpression(node) && r.ts.isIdentifier(node.name) ? node.name : undefined;
  const name = nameNode && declaredCalleeName(r, nameNode, isCandidateMethod);
  if (!nameNode || !name) return undefined;
  let symbol = r.checker.getSymbolAtLocation(nameNode);
  if (symbol && symbol.flags & r.ts.SymbolFlags.Alias) symbol = r.checker.getAliasedSymbol(symbol);
  const declarations = symbol?.declarations ?? [];
  return REGISTRATION_RULES.find(
    (rule) =>
      rule.methods.includes(name) &&
      declarations.some((d) => r.ts.isFunctionDeclaration(d) && declaredBy(r, d, rule.declaredIn, rule.typesPackage)),
  );
}

/**
 * How a function is handed on rather than called: `passed` (an argument, an initializer, a property, a return value,
 * an assignment), `chosen` (one side of `??`, `||` or `?:`, the whole of which is handed on or called: `custom ??
 * fetch`), or `default` (a default parameter: `(fetchFn = fetch) =>`). `within` is the expression or parameter that
 * says so. Asked once by the caller for both recognisers, so `typeof fetch`, conditions and declarations never count.
 */
export interface ValuePosition {
  readonly how: 'passed' | 'chosen' | 'default';
  readonly within: ts.Node;
}

export function valuePosition(ts_: typeof ts, node: ts.Expression): ValuePosition | undefined {
  let top: ts.Expression = node;
  let chosen = false;
  for (;;) {
    const parent: ts.Node = top.parent;
    if (ts_.isParenthesizedExpression(parent) || ts_.isAsExpression(parent) || ts_.isSatisfiesExpression(parent) || ts_.isNonNullExpression(parent)) {
      top = parent;
    } else if (ts_.isBinaryExpression(parent) && isFallbackOperand(ts_, parent, top)) {
      top = parent;
      chosen = true;
    } else if (ts_.isConditionalExpression(parent) && parent.condition !== top) {
      top = parent;
      chosen = true;
    } else {
      break;
    }
  }
  const parent = top.parent;
  if ((ts_.isParameter(parent) || ts_.isBindingElement(parent)) && parent.initializer === top) return { how: 'default', within: parent };
  const how = chosen ? 'chosen' : 'passed';
  if (chosen && ts_.isCallExpression(parent) && parent.expression === top) return { how, within: top };
  const handedOn =
    (ts_.isCallExpression(parent) && parent.arguments.includes(top)) ||
    ((ts_.isVariableDeclaration(parent) || ts_.isPropertyAssignment(parent) || ts_.isPropertyDeclaration(parent)) && parent.initializer === top) ||
    ts_.isShorthandPropertyAssignment(parent) ||
    (ts_.isArrowFunction(parent) && parent.body === top) ||
    ts_.isReturnStatement(parent) ||
    (ts_.isBinaryExpression(parent) && parent.operatorToken.kind === ts_.SyntaxKind.EqualsToken && parent.right === top);
  return handedOn ? { how, within: top } : undefined;
}

/** `a ?? b`, `a || b` (either side), `a && b` (the right side): the value is one of them. */
function isFallbackOperand(ts_: typeof ts, parent: ts.BinaryExpression, operand: ts.Expression): boolean {
  const operator = parent.operatorToken.kind;
  if (operator === ts_.SyntaxKind.QuestionQuestionToken || operator === ts_.SyntaxKind.BarBarToken) return true;
  return operator === ts_.SyntaxKind.AmpersandAmpersandToken && parent.right === operand;
}

function isGlobalDeclaration(r: Recogniser, symbol: ts.Symbol): boolean {
  const declarations = symbol.declarations ?? [];
  return (
    declarations.length > 0 &&
    declarations.every((declaration) => {
      const file = declaration.getSourceFile();
      if (!file.isDeclarationFile) return false;
      for (let node: ts.Node = declaration.parent; ; node = node.parent) {
        if (r.ts.isSourceFile(node)) return !r.ts.isExternalModule(node);
        if (r.ts.isModuleDeclaration(node)) {
          return r.ts.isIdentifier(node.name) && node.name.text === 'global';
        }
      }
    })
  );
}

/** Whether the checker sees only `any` or `unknown` at an expression (a `require` in a .ts file, an untyped value). */
export function isUntypedAt(r: Recogniser, node: ts.Expression): boolean {
  return (r.checker.getTypeAtLocation(node).flags & (r.ts.TypeFlags.Any | r.ts.TypeFlags.Unknown)) !== 0;
}

/**
 * The declaration of the signature the checker resolved a call to: after the type check a cached answer, where the
 * callee's type is worked out again each time it is asked. Undefined for an untyped call (`any`) and for `unknown`
 * or an error (no signature): those resolve to signatures nothing declares.
 */
export function resolvedDeclaration(r: Recogniser, call: ts.CallExpression | ts.NewExpression): ts.SignatureDeclaration | undefined {
  const declaration = r.checker.getResolvedSignature(call)?.declaration;
  return declaration && !r.ts.isJSDocSignature(declaration) ? declaration : undefined;
}

/** `__autotrace.x(...)`: code autotrace already emitted (the input was transformed before). */
export function isRuntimeCall(r: Pick<Recogniser, 'ts'>, node: ts.Node | undefined): boolean {
  return (
    node !== undefined &&
    r.ts.isCallExpression(node) &&
    r.ts.isPropertyAccessExpression(node.expression) &&
    r.ts.isIdentifier(node.expression.expression) &&
    node.expression.expression.text === RUNTIME_BINDING
  );
}
