import type * as ts from 'typescript';
import { RUNTIME_BINDING, RUNTIME_MODULE, type RuntimeExport } from './rules';

// "What do we emit?" — small builders from node to node. Every synthesized node takes the original's text range and
// is linked to it, so source maps and stack traces keep pointing at the user's own lines.

function located<T extends ts.Node>(ts_: typeof ts, node: T, original: ts.Node): T {
  return ts_.setOriginalNode(ts_.setTextRange(node, original), original);
}

function runtimeMember(factory: ts.NodeFactory, name: RuntimeExport): ts.PropertyAccessExpression {
  return factory.createPropertyAccessExpression(factory.createIdentifier(RUNTIME_BINDING), name);
}

/** Transforms the handler argument `h` into `__autotrace.expressRoute(h)` (and `...hs` into `...__autotrace.x(hs)`). */
export function wrapArgument(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  wrapper: RuntimeExport,
  argument: ts.Expression,
  original: ts.Expression,
  mountPath: string | undefined,
): ts.Expression {
  const inner = ts_.isSpreadElement(argument) ? argument.expression : argument;
  const extra = mountPath === undefined ? [] : [factory.createStringLiteral(mountPath)];
  const call = located(ts_, factory.createCallExpression(runtimeMember(factory, wrapper), undefined, [inner, ...extra]), original);
  return ts_.isSpreadElement(argument) ? factory.updateSpreadElement(argument, call) : call;
}

/**
 * Transforms `{ url, handler: h }` into `{ url, handler: __autotrace.fastifyHandler(h) }`; a shorthand `{ handler }`
 * and a method `{ handler(req, reply) {} }` become the same property assignment (a method's body becomes a function
 * expression's: route handlers do not use `super`).
 */
export function wrapProperty(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  wrapper: RuntimeExport,
  options: ts.ObjectLiteralExpression,
  name: string,
): ts.ObjectLiteralExpression {
  const properties = options.properties.map((property) => {
    if (property.name === undefined || !ts_.isIdentifier(property.name) || property.name.text !== name) return property;
    let value: ts.Expression;
    if (ts_.isPropertyAssignment(property)) value = property.initializer;
    else if (ts_.isShorthandPropertyAssignment(property)) value = factory.createIdentifier(property.name.text);
    else if (ts_.isMethodDeclaration(property) && property.body) {
      value = factory.createFunctionExpression(
        property.modifiers?.filter(ts_.isModifier),
        property.asteriskToken,
        undefined,
        property.typeParameters,
        property.parameters,
        property.type,
        property.body,
      );
    } else return property;
    const wrapped = located(ts_, factory.createCallExpression(runtimeMember(factory, wrapper), undefined, [value]), property);
    return located(ts_, factory.createPropertyAssignment(property.name, wrapped), property);
  });
  return factory.updateObjectLiteralExpression(options, properties);
}

/** Transforms `express()` into `__autotrace.expressApp(express())`. */
export function wrapResult(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  wrapper: RuntimeExport,
  call: ts.Expression,
  original: ts.Node,
): ts.Expression {
  return located(ts_, factory.createCallExpression(runtimeMember(factory, wrapper), undefined, [call]), original);
}

/** Transforms `fetch(a, b)` / `globalThis.fetch(a, b)` into `__autotrace.fetch(a, b)`. */
export function redirectCall(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  target: RuntimeExport,
  call: ts.CallExpression,
  original: ts.CallExpression,
): ts.CallExpression {
  const callee = located(ts_, runtimeMember(factory, target), original.expression);
  return factory.updateCallExpression(call, callee, call.typeArguments, call.arguments);
}

/**
 * The one runtime import of a file. CommonJS output gets a plain `require` rather than `import * as`, which TypeScript
 * would lower through the `__importStar` helper (and, under `importHelpers`, a tslib the service may not have).
 */
export function runtimeImport(factory: ts.NodeFactory, ts_: typeof ts, commonJs: boolean): ts.Statement {
  const binding = factory.createIdentifier(RUNTIME_BINDING);
  const specifier = factory.createStringLiteral(RUNTIME_MODULE);
  if (commonJs) {
    const require = factory.createCallExpression(factory.createIdentifier('require'), undefined, [specifier]);
    return factory.createVariableStatement(
      undefined,
      factory.createVariableDeclarationList(
        [factory.createVariableDeclaration(binding, undefined, undefined, require)],
        ts_.NodeFlags.Const,
      ),
    );
  }
  return factory.createImportDeclaration(
    undefined,
    factory.createImportClause(false, undefined, factory.createNamespaceImport(binding)),
    specifier,
  );
}

/** True when a top-level statement already binds the runtime (the file was transformed before). */
export function bindsRuntime(ts_: typeof ts, statement: ts.Statement): boolean {
  if (ts_.isImportDeclaration(statement)) {
    const bindings = statement.importClause?.namedBindings;
    return bindings !== undefined && ts_.isNamespaceImport(bindings) && bindings.name.text === RUNTIME_BINDING;
  }
  if (ts_.isVariableStatement(statement)) {
    return statement.declarationList.declarations.some(
      (declaration) => ts_.isIdentifier(declaration.name) && declaration.name.text === RUNTIME_BINDING,
    );
  }
  return false;
}
