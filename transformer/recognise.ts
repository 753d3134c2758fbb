import type * as ts from 'typescript';
import { packageNameOf } from './packages';
import {
  APP_FACTORY_RULES,
  GLOBAL_CLIENT_RULES,
  isCandidateGlobal,
  isCandidateMethod,
  REGISTRATION_RULES,
  RUNTIME_BINDING,
  type AppFactoryRule,
  type GlobalClientRule,
  type RegistrationRule,
} from './rules';

// "What is this call?" — pure questions over original nodes and the checker. Nothing here builds nodes.

export interface Recogniser {
  readonly ts: typeof ts;
  readonly checker: ts.TypeChecker;
}

export interface RegistrationMatch {
  readonly rule: RegistrationRule;
  /** Indexes of the arguments that are (or may be) handlers: every argument after a leading path. */
  readonly handlerIndexes: readonly number[];
  /** The leading path's value when it is known at build time (a literal, or a const of literal type). */
  readonly mountPath: string | undefined;
}

/** `app.get('/x', h)`, `router.use('/api', r)`, `app.route('/x').post(h)`: a typed registration on a known receiver. */
export function matchRegistration(r: Recogniser, call: ts.CallExpression): RegistrationMatch | undefined {
  const callee = call.expression;
  if (!r.ts.isPropertyAccessExpression(callee) || !r.ts.isIdentifier(callee.name)) return undefined;
  const name = callee.name.text;
  if (!isCandidateMethod(name)) return undefined;
  const symbol = r.checker.getSymbolAtLocation(callee.name);
  const rule = symbol && REGISTRATION_RULES.find((candidate) => declaresRegistration(r, symbol, candidate, name));
  if (!rule) return undefined;
  const args = call.arguments;
  const first = args[0];
  const hasPath = first !== undefined && !r.ts.isSpreadElement(first) && isPathLike(r, r.checker.getTypeAtLocation(first));
  const handlerIndexes = args.map((_, index) => index).filter((index) => index >= (hasPath ? 1 : 0));
  const mountPath = hasPath && rule.passesMountPath ? literalString(r, first) : undefined;
  return { rule, handlerIndexes, mountPath };
}

function declaresRegistration(r: Recogniser, symbol: ts.Symbol, rule: RegistrationRule, name: string): boolean {
  if (!rule.methods.includes(name)) return false;
  return (symbol.declarations ?? []).some((declaration) => {
    const owner = declaration.parent;
    return (
      r.ts.isInterfaceDeclaration(owner) &&
      rule.declaredIn.includes(owner.name.text) &&
      packageNameOf(declaration.getSourceFile().fileName) === rule.typesPackage
    );
  });
}

/** A route path: string, RegExp, or an array of those (Express's PathParams). */
function isPathLike(r: Recogniser, type: ts.Type): boolean {
  if (type.isUnion()) return type.types.every((member) => isPathLike(r, member));
  if (type.flags & r.ts.TypeFlags.StringLike) return true;
  if (type.getSymbol()?.getName() === 'RegExp') return true;
  if (r.checker.isArrayType(type) || r.checker.isTupleType(type)) {
    return r.checker.getTypeArguments(type as ts.TypeReference).every((member) => isPathLike(r, member));
  }
  return false;
}

function literalString(r: Recogniser, node: ts.Expression): string | undefined {
  if (r.ts.isStringLiteralLike(node)) return node.text;
  const type = r.checker.getTypeAtLocation(node);
  return type.isStringLiteral() ? type.value : undefined;
}

/** `express()` — however the factory is named locally or reaches the file (import, alias, `typeof express` param). */
export function matchAppFactory(r: Recogniser, call: ts.CallExpression): AppFactoryRule | undefined {
  const callee = call.expression;
  if (!r.ts.isIdentifier(callee) && !r.ts.isPropertyAccessExpression(callee)) return undefined;
  const symbol = r.checker.getTypeAtLocation(callee).getSymbol();
  if (!symbol) return undefined;
  return APP_FACTORY_RULES.find((rule) =>
    (symbol.declarations ?? []).some(
      (declaration) =>
        r.ts.isFunctionDeclaration(declaration) &&
        isExportEqualsTarget(r, declaration) &&
        packageNameOf(declaration.getSourceFile().fileName) === rule.typesPackage,
    ),
  );
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
  if (call.questionDotToken) return undefined; // `fetch?.()` may mean "if there is one": not ours to change
  const callee = call.expression;
  let nameNode: ts.Identifier;
  if (r.ts.isIdentifier(callee)) {
    nameNode = callee;
  } else if (
    r.ts.isPropertyAccessExpression(callee) &&
    r.ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'globalThis' &&
    r.ts.isIdentifier(callee.name)
  ) {
    nameNode = callee.name;
  } else {
    return undefined;
  }
  if (!isCandidateGlobal(nameNode.text)) return undefined;
  const symbol = r.checker.getSymbolAtLocation(nameNode);
  if (!symbol || !isGlobalDeclaration(r, symbol)) return undefined;
  return GLOBAL_CLIENT_RULES.find((rule) => rule.global === nameNode.text);
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

/** `__autotrace.x(...)`: code autotrace already emitted (the input was transformed before). */
export function isRuntimeCall(r: Recogniser, node: ts.Node | undefined): boolean {
  return (
    node !== undefined &&
    r.ts.isCallExpression(node) &&
    r.ts.isPropertyAccessExpression(node.expression) &&
    r.ts.isIdentifier(node.expression.expression) &&
    node.expression.expression.text === RUNTIME_BINDING
  );
}
