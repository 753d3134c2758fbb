import type * as ts from 'typescript';
import { RUNTIME_BINDING, RUNTIME_MODULE, type RuntimeExport } from './rules/index';
import { QUERY_FACTS, type SiteInfo } from './sites';

// "What do we emit?" — small builders from node to node. Every synthesized node takes the original's text range and
// is linked to it, so source maps and stack traces keep pointing at the user's own lines.

function located<T extends ts.Node>(ts_: typeof ts, node: T, original: ts.Node): T {
  return ts_.setOriginalNode(ts_.setTextRange(node, original), original);
}

function runtimeMember(factory: ts.NodeFactory, name: RuntimeExport): ts.PropertyAccessExpression {
  return factory.createPropertyAccessExpression(factory.createIdentifier(RUNTIME_BINDING), name);
}

/** `{ file: "src/app.ts", line: 12, column: 5, function: "load", urlTemplate: "/users/{id}" }`, inline at the site. */
export function siteLiteral(factory: ts.NodeFactory, site: SiteInfo): ts.ObjectLiteralExpression {
  const property = (name: string, value: ts.Expression) => factory.createPropertyAssignment(name, value);
  const properties = [
    property('file', factory.createStringLiteral(site.file)),
    property('line', factory.createNumericLiteral(site.line)),
    property('column', factory.createNumericLiteral(site.column)),
  ];
  if (site.function !== undefined) properties.push(property('function', factory.createStringLiteral(site.function)));
  if (site.urlTemplate !== undefined) properties.push(property('urlTemplate', factory.createStringLiteral(site.urlTemplate)));
  if (site.mount !== undefined) properties.push(property('mount', factory.createStringLiteral(site.mount)));
  const list = (name: string, values: readonly string[] | undefined) => {
    if (values !== undefined) {
      properties.push(property(name, factory.createArrayLiteralExpression(values.map((v) => factory.createStringLiteral(v)))));
    }
  };
  list('propagateTo', site.propagateTo);
  list('redactQueryParams', site.redactQueryParams);
  for (const name of QUERY_FACTS) {
    const value = site[name];
    if (value !== undefined) properties.push(property(name, factory.createStringLiteral(value)));
  }
  if (site.rootSpans === true) properties.push(property('rootSpans', factory.createTrue()));
  if (site.redactKeys === true) properties.push(property('redactKeys', factory.createTrue()));
  return factory.createObjectLiteralExpression(properties, false);
}

/** Transforms the handler argument `h` into `__autotrace.expressRoute(h, site)` (`...hs` into `...__autotrace.x(hs, site)`). */
export function wrapArgument(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  wrapper: RuntimeExport,
  argument: ts.Expression,
  original: ts.Expression,
  site: SiteInfo,
): ts.Expression {
  const inner = ts_.isSpreadElement(argument) ? argument.expression : argument;
  const call = located(
    ts_,
    factory.createCallExpression(runtimeMember(factory, wrapper), undefined, [inner, siteLiteral(factory, site)]),
    original,
  );
  return ts_.isSpreadElement(argument) ? factory.updateSpreadElement(argument, call) : call;
}

/**
 * Transforms the argument at `index` of a call or `new` into `__autotrace.w(argument, site)`; an absent one (the
 * arguments stop just before it) is added as `__autotrace.w(void 0, site)`: `new Client(address, credentials)`.
 */
export function wrapArgumentAt(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  wrapper: RuntimeExport,
  node: ts.CallExpression | ts.NewExpression,
  original: ts.CallExpression | ts.NewExpression,
  index: number,
  site: SiteInfo,
): ts.CallExpression | ts.NewExpression {
  const args = [...(node.arguments ?? [])];
  const originalArgument = original.arguments?.[index];
  args[index] = originalArgument
    ? wrapArgument(ts_, factory, wrapper, args[index]!, originalArgument, site)
    : located(ts_, factory.createCallExpression(runtimeMember(factory, wrapper), undefined, [factory.createVoidZero(), siteLiteral(factory, site)]), original);
  return ts_.isNewExpression(node)
    ? factory.updateNewExpression(node, node.expression, node.typeArguments, args)
    : factory.updateCallExpression(node, node.expression, node.typeArguments, args);
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
  site: SiteInfo,
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
    const args = [value, siteLiteral(factory, site)];
    const wrapped = located(ts_, factory.createCallExpression(runtimeMember(factory, wrapper), undefined, args), property);
    return located(ts_, factory.createPropertyAssignment(property.name, wrapped), property);
  });
  return factory.updateObjectLiteralExpression(options, properties);
}

/**
 * Transforms `express()` into `__autotrace.expressApp(express())`, or `__autotrace.expressApp(express(), site)` when
 * the site carries process-wide settings (it has no code.* use: an app is not an endpoint).
 */
export function wrapResult(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  wrapper: RuntimeExport,
  call: ts.Expression,
  original: ts.Node,
  site: SiteInfo | undefined,
): ts.Expression {
  const args = site ? [call, siteLiteral(factory, site)] : [call];
  return located(ts_, factory.createCallExpression(runtimeMember(factory, wrapper), undefined, args), original);
}

/** Transforms `fetch(a, b)` / `globalThis.fetch(a, b)` into `__autotrace.fetch(site, a, b)`. */
export function redirectCall(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  target: RuntimeExport,
  call: ts.CallExpression,
  original: ts.CallExpression,
  site: SiteInfo,
): ts.CallExpression {
  const callee = located(ts_, runtimeMember(factory, target), original.expression);
  return factory.updateCallExpression(call, callee, call.typeArguments, [siteLiteral(factory, site), ...call.arguments]);
}

/** Transforms `request(a, b)` into `__autotrace.undiciRequest(site, request, a, b)`: the client is passed as is. */
export function callThrough(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  target: RuntimeExport,
  call: ts.CallExpression,
  original: ts.CallExpression,
  site: SiteInfo,
): ts.CallExpression {
  const callee = located(ts_, runtimeMember(factory, target), original.expression);
  return factory.updateCallExpression(call, callee, undefined, [siteLiteral(factory, site), call.expression, ...call.arguments]);
}

/**
 * Transforms `api.get(a)` into `__autotrace.axios(site, api).get(a)`, and `api(a)` into
 * `__autotrace.axios(site, api)(a)`: the receiver is evaluated once, and the method is looked up on the real instance.
 */
export function callOnFacade(
  ts_: typeof ts,
  factory: ts.NodeFactory,
  target: RuntimeExport,
  call: ts.CallExpression,
  original: ts.CallExpression,
  site: SiteInfo,
): ts.CallExpression {
  const facade = (instance: ts.Expression, originalInstance: ts.Node) =>
    located(
      ts_,
      factory.createCallExpression(runtimeMember(factory, target), undefined, [siteLiteral(factory, site), instance]),
      originalInstance,
    );
  const callee = call.expression;
  const originalCallee = original.expression;
  const newCallee =
    ts_.isPropertyAccessExpression(callee) && ts_.isPropertyAccessExpression(originalCallee)
      ? factory.updatePropertyAccessExpression(callee, facade(callee.expression, originalCallee.expression), callee.name)
      : facade(callee, originalCallee);
  return factory.updateCallExpression(call, newCallee, call.typeArguments, call.arguments);
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
