import type * as ts from 'typescript';
import { originsOf } from './origins';
import { packageNameOf } from './packages';
import { declaredBy, type Recogniser } from './recognise';
import { ARGUMENT_RULES, isCandidateArgumentMethod, VALUE_KINDS, type ArgumentRule } from './rules/index';

// Argument rules (rules/types.ts ArgumentRule): a call or `new` one argument of which is wrapped where it is written
// (`new Worker(queue, processor)`, `server.addService(service, implementation)`, `new Client(address, credentials,
// options)`), asked of the checker or, where there is none, of import tracking. A `new` is recognised by what it
// makes: a value whose type is, or derives from, a class or interface of the rule (so a proto-loader stub typed
// `ServiceClientConstructor`, a generated client interface extending `grpc.Client`, or a subclass all count).

const constructRules = ARGUMENT_RULES.filter((rule) => rule.on === 'construct');

export function matchArgumentRule(r: Recogniser, node: ts.CallExpression | ts.NewExpression): ArgumentRule | undefined {
  if (r.ts.isNewExpression(node)) {
    if (!constructRules.some((rule) => r.hasPackage(rule.typesPackage))) return undefined;
    const type = r.checker.getTypeAtLocation(node);
    if (type.flags & (r.ts.TypeFlags.Any | r.ts.TypeFlags.Unknown)) return undefined;
    return constructRules.find((rule) => r.hasPackage(rule.typesPackage) && derivesFrom(r, type, rule, 0));
  }
  const callee = node.expression;
  if (!r.ts.isPropertyAccessExpression(callee) || !r.ts.isIdentifier(callee.name) || !isCandidateArgumentMethod(callee.name.text)) return undefined;
  const symbol = r.checker.getSymbolAtLocation(callee.name);
  const name = callee.name.text;
  return (
    symbol &&
    ARGUMENT_RULES.find(
      (rule) =>
        rule.on !== 'construct' &&
        rule.on.methods.includes(name) &&
        (symbol.declarations ?? []).some((declaration) => declaredBy(r, declaration, rule.declaredIn, rule.typesPackage)),
    )
  );
}

/** Whether a type is one of the rule's classes or interfaces, or extends one (through a few levels of bases). */
function derivesFrom(r: Recogniser, type: ts.Type, rule: ArgumentRule, depth: number): boolean {
  const declarations = type.getSymbol()?.declarations ?? [];
  const named = declarations.some(
    (declaration) =>
      (r.ts.isClassDeclaration(declaration) || r.ts.isInterfaceDeclaration(declaration)) &&
      declaration.name !== undefined &&
      rule.declaredIn.includes(declaration.name.text) &&
      packageNameOf(declaration.getSourceFile().fileName) === rule.typesPackage,
  );
  if (named || depth > 6) return named;
  const target = ((type as ts.TypeReference).target ?? type) as ts.InterfaceType;
  if (!(target.flags & r.ts.TypeFlags.Object) || !(target.objectFlags & r.ts.ObjectFlags.ClassOrInterface)) return false;
  return (r.checker.getBaseTypes(target) ?? []).some((base) => derivesFrom(r, base, rule, depth + 1));
}

/** The same question by import tracking: `new Worker(…)` from bullmq, `server.addService(…)` on `new grpc.Server()`. */
export function argumentRuleByImports(ts_: typeof ts, node: ts.CallExpression | ts.NewExpression): ArgumentRule | undefined {
  const origins = originsOf(ts_, node.getSourceFile());
  const kindOf = (expression: ts.Expression) => {
    const kind = origins.kindOf(expression);
    return kind === undefined ? undefined : VALUE_KINDS[kind];
  };
  if (ts_.isNewExpression(node)) {
    const made = kindOf(node.expression)?.construct;
    const is = made !== undefined ? VALUE_KINDS[made]?.is : undefined;
    return is && constructRules.find((rule) => rule.typesPackage === is.typesPackage && rule.declaredIn.includes(is.owner));
  }
  const callee = node.expression;
  if (!ts_.isPropertyAccessExpression(callee) || !ts_.isIdentifier(callee.name) || !isCandidateArgumentMethod(callee.name.text)) return undefined;
  const is = kindOf(callee.expression)?.is;
  const name = callee.name.text;
  return (
    is &&
    ARGUMENT_RULES.find(
      (rule) => rule.on !== 'construct' && rule.on.methods.includes(name) && rule.typesPackage === is.typesPackage && rule.declaredIn.includes(is.owner),
    )
  );
}

/** The literal an argument holds, where the source says it (a string literal or a `const` of literal type). */
export function literalArgument(ts_: typeof ts, checker: ts.TypeChecker | undefined, node: ts.Expression | undefined): string | undefined {
  if (!node) return undefined;
  if (ts_.isStringLiteralLike(node)) return node.text;
  if (ts_.isIdentifier(node)) {
    const fromImports = originsOf(ts_, node.getSourceFile()).constantString(node);
    if (fromImports !== undefined) return fromImports;
  }
  const type = checker?.getTypeAtLocation(node);
  return type?.isStringLiteral() ? type.value : undefined;
}

/**
 * The literal first argument of the `new` that made a receiver (`const emails = new Queue('emails')`, a class
 * field initialised so), where its declaration says it: for the report's destination of a producer call.
 */
export function constructedWith(ts_: typeof ts, checker: ts.TypeChecker | undefined, receiver: ts.Expression): string | undefined {
  const initializer = initializerOf(ts_, checker, receiver);
  return initializer && ts_.isNewExpression(initializer) ? literalArgument(ts_, checker, initializer.arguments?.[0]) : undefined;
}

function initializerOf(ts_: typeof ts, checker: ts.TypeChecker | undefined, receiver: ts.Expression): ts.Expression | undefined {
  const name = ts_.isIdentifier(receiver) ? receiver : ts_.isPropertyAccessExpression(receiver) ? receiver.name : undefined;
  if (!name || !ts_.isIdentifier(name)) return undefined;
  const declaration = checker?.getSymbolAtLocation(name)?.valueDeclaration;
  if (declaration) {
    if (ts_.isVariableDeclaration(declaration) && ts_.getCombinedNodeFlags(declaration) & ts_.NodeFlags.Const) return declaration.initializer;
    if (ts_.isPropertyDeclaration(declaration) && declaration.modifiers?.some((m) => m.kind === ts_.SyntaxKind.ReadonlyKeyword)) return declaration.initializer;
    return undefined;
  }
  if (checker || !ts_.isIdentifier(receiver)) return undefined;
  // No checker: a `const` of the same name at the top of the file.
  for (const statement of receiver.getSourceFile().statements) {
    if (!ts_.isVariableStatement(statement) || !(statement.declarationList.flags & ts_.NodeFlags.Const)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts_.isIdentifier(declaration.name) && declaration.name.text === receiver.text) return declaration.initializer;
    }
  }
  return undefined;
}
