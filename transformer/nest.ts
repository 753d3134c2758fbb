import type * as ts from 'typescript';
import { packageNameOf } from './packages';
import { isUntypedAt, type Recogniser } from './recognise';
import { RUNTIME_BINDING } from './rules/index';
import { NEST_COMMON, NEST_ROUTE_DECORATORS } from './rules/nest';
import type { SiteInfo } from './sites';

// NestJS routes are decorators on a controller class: `@Controller('cats')` with `@Get(':id') findOne()`. This reads
// them (recognised as @nestjs/common's by the checker, or by the file's imports without one) into one route site per
// template, and plans statements after the class, `__autotrace.nestRoute(CatsController, {...})`, that hand the
// runtime the templates and handler locations. The class, its methods and their decorator metadata are left as
// written: Nest reflects on them (`design:paramtypes`, the methods' own metadata), so nothing in them is rewritten.

/** One route a decorated method serves, as the build sees it. */
export interface NestRoute {
  /** The method's name node: where the site is. */
  readonly node: ts.Node;
  readonly method: string;
  /** The adapter method Nest registers it with (`get`, `all`). */
  readonly verb: string;
  /** Controller and method paths joined (`/cats/:id`); undefined where a path is not a literal the build can read. */
  readonly template: string | undefined;
  /** What recognised the decorators: the checker, or the file's imports where the checker sees only `any`. */
  readonly by: 'checker' | 'imports';
}

export interface NestController {
  readonly name: string;
  readonly routes: readonly NestRoute[];
}

/** The statement to add after a controller class: its name and each route's site. */
export interface NestControllerAction {
  readonly type: 'describeNestController';
  readonly name: string;
  readonly sites: readonly (SiteInfo & { readonly method: string; readonly verb: string; readonly route?: string })[];
}

/** Whether a file could declare a controller at all (a cheap filter before walking decorators). */
export function mayDeclareControllers(text: string): boolean {
  return text.includes(NEST_COMMON);
}

/** The routes of a `@Controller` class, or undefined when the class is not one. */
export function nestController(ts_: typeof ts, typed: Recogniser | undefined, node: ts.ClassDeclaration): NestController | undefined {
  if (!node.name) return undefined;
  let imports: CommonImports | undefined;
  let by: NestRoute['by'] = typed ? 'checker' : 'imports';
  const nameOf = (decorator: ts.Decorator) => {
    const byChecker = typed && decoratorName(ts_, typed, undefined, decorator);
    if (byChecker || (typed && !untyped(ts_, typed, decorator))) return byChecker;
    imports ??= commonImports(ts_, node.getSourceFile());
    const byImports = decoratorName(ts_, undefined, imports, decorator);
    if (byImports) by = 'imports';
    return byImports;
  };
  const controller = decoratorsOf(ts_, node).find((decorator) => nameOf(decorator) === 'Controller');
  if (!controller) return undefined;
  const prefixes = controllerPaths(ts_, typed, controller);
  const routes: NestRoute[] = [];
  for (const member of node.members) {
    if (!ts_.isMethodDeclaration(member) || !ts_.isIdentifier(member.name)) continue;
    for (const decorator of decoratorsOf(ts_, member)) {
      const name = nameOf(decorator);
      const verb = name !== undefined ? NEST_ROUTE_DECORATORS[name] : undefined;
      if (!verb) continue;
      const paths = decoratorPaths(ts_, typed, decorator);
      const templates = prefixes && paths ? prefixes.flatMap((prefix) => paths.map((path) => joinPaths(prefix, path))) : [undefined];
      for (const template of templates) routes.push({ node: member.name, method: member.name.text, verb, template, by });
    }
  }
  return { name: node.name.text, routes };
}

function decoratorsOf(ts_: typeof ts, node: ts.HasDecorators): readonly ts.Decorator[] {
  return ts_.canHaveDecorators(node) ? (ts_.getDecorators(node) ?? []) : [];
}

/** Whether the checker sees only `any` for a decorator's function (a package declared loosely, `declare module`). */
function untyped(ts_: typeof ts, typed: Recogniser, decorator: ts.Decorator): boolean {
  const expression = decorator.expression;
  const callee = ts_.isCallExpression(expression) ? expression.expression : expression;
  return isUntypedAt(typed, callee);
}

/** `@Get(':id')` → `Get`, when the decorator is @nestjs/common's (however it is imported or renamed). */
function decoratorName(ts_: typeof ts, typed: Recogniser | undefined, imports: CommonImports | undefined, decorator: ts.Decorator): string | undefined {
  const expression = decorator.expression;
  if (!ts_.isCallExpression(expression)) return undefined;
  const callee = expression.expression;
  if (typed) {
    const nameNode = ts_.isPropertyAccessExpression(callee) ? callee.name : callee;
    let symbol = typed.checker.getSymbolAtLocation(nameNode);
    if (symbol && symbol.flags & ts_.SymbolFlags.Alias) symbol = typed.checker.getAliasedSymbol(symbol);
    const declaration = symbol?.declarations?.[0];
    return declaration && packageNameOf(declaration.getSourceFile().fileName) === NEST_COMMON ? symbol!.getName() : undefined;
  }
  if (ts_.isIdentifier(callee)) return imports?.named.get(callee.text);
  if (ts_.isPropertyAccessExpression(callee) && ts_.isIdentifier(callee.expression) && imports?.namespaces.has(callee.expression.text)) {
    return callee.name.text;
  }
  return undefined;
}

interface CommonImports {
  /** Local name → exported name. */
  readonly named: Map<string, string>;
  readonly namespaces: Set<string>;
}

/** What a file imports from @nestjs/common, for a build without a checker (transpileModule, bundlers). */
function commonImports(ts_: typeof ts, file: ts.SourceFile): CommonImports {
  const named = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const statement of file.statements) {
    if (!ts_.isImportDeclaration(statement) || !ts_.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== NEST_COMMON) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts_.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
    else if (bindings) for (const element of bindings.elements) named.set(element.name.text, (element.propertyName ?? element.name).text);
  }
  return { named, namespaces };
}

/** `@Controller()`, `@Controller('cats')`, `@Controller(['a', 'b'])`, `@Controller({ path: 'cats', version: '1' })`. */
function controllerPaths(ts_: typeof ts, typed: Recogniser | undefined, decorator: ts.Decorator): string[] | undefined {
  const [first] = (decorator.expression as ts.CallExpression).arguments;
  if (first && ts_.isObjectLiteralExpression(first)) {
    const path = first.properties.find(
      (property): property is ts.PropertyAssignment => ts_.isPropertyAssignment(property) && ts_.isIdentifier(property.name) && property.name.text === 'path',
    );
    return path ? pathsOf(ts_, typed, path.initializer) : [''];
  }
  return first ? pathsOf(ts_, typed, first) : [''];
}

/** `@Get()`, `@Get(':id')`, `@Get(['a', 'b'])`. */
function decoratorPaths(ts_: typeof ts, typed: Recogniser | undefined, decorator: ts.Decorator): string[] | undefined {
  const [first] = (decorator.expression as ts.CallExpression).arguments;
  return first ? pathsOf(ts_, typed, first) : [''];
}

/** A path or list of paths written as literals, or known to the checker as string literal types (a `const`). */
function pathsOf(ts_: typeof ts, typed: Recogniser | undefined, node: ts.Expression): string[] | undefined {
  if (ts_.isStringLiteralLike(node)) return [node.text];
  if (ts_.isArrayLiteralExpression(node)) {
    const all = node.elements.map((element) => pathsOf(ts_, typed, element));
    return all.every((paths) => paths !== undefined) ? all.flat() as string[] : undefined;
  }
  if (typed) {
    const type = typed.checker.getTypeAtLocation(node);
    if (type.isStringLiteral()) return [type.value];
  }
  return undefined;
}

/** Nest's own joining: each part without its edge slashes, one leading slash (`cats` + `:id` → `/cats/:id`). */
export function joinPaths(...parts: string[]): string {
  const inner = parts.map((part) => part.replace(/^\/+|\/+$/g, '')).filter((part) => part.length > 0);
  return `/${inner.join('/')}`;
}

/**
 * `__autotrace.nestRoute(CatsController, { file, line, column, function, method, verb, route });`, one statement per
 * route (as each other site is one runtime call, which `autotrace check` counts in the output).
 */
export function describeController(ts_: typeof ts, factory: ts.NodeFactory, action: NestControllerAction, original: ts.Node): ts.Statement[] {
  const value = (v: unknown): ts.Expression => (typeof v === 'number' ? factory.createNumericLiteral(v) : factory.createStringLiteral(String(v)));
  return action.sites.map((site) => {
    const literal = factory.createObjectLiteralExpression(
      Object.entries(site)
        .filter(([, v]) => v !== undefined)
        .map(([key, v]) => factory.createPropertyAssignment(key, value(v))),
    );
    const call = factory.createCallExpression(
      factory.createPropertyAccessExpression(factory.createIdentifier(RUNTIME_BINDING), 'nestRoute'),
      undefined,
      [factory.createIdentifier(action.name), literal],
    );
    return ts_.setOriginalNode(factory.createExpressionStatement(call), original);
  });
}
