import type * as ts from 'typescript';
import { bindingOfDeclaration, moduleName, requiredModule, type ModuleBinding } from './imports';
import { APP_FACTORY_RULES, CLIENT_INSTANCE_RULES, MODULE_KINDS, RUNTIME_BINDING, VALUE_KINDS } from './rules/index';
import { EXPORT_HOPS, siblingModule } from './sibling-modules';

// Import tracking: which kind of traced value (transformer/rules VALUE_KINDS) an expression holds, known from one file's text
// alone, with no type checker. Values are followed from their import or require through `const`/`let` bindings,
// aliases, class fields, members and calls, conditional unions, `??`/`||` fallbacks, default parameters, parameters
// whose annotation names an imported type, and the exports of the project's own modules it imports. Names are
// resolved by scope, as the language does: a name declared in two functions is two names.
//
// A value is either certainly of a kind (every way it can be set gives that kind), or only possibly (a fallback, a
// default a caller may override, a field also set from outside). Only certain values are rewritten; possible ones
// are reported. When unsure, nothing is rewritten.

/** What an expression holds: a kind of VALUE_KINDS (or GLOBAL_FETCH), and whether every path gives it. */
export interface Flow {
  readonly kind: string;
  readonly certain: boolean;
}

/** The kind of the global `fetch` (and `globalThis.fetch`) as a value, where the file declares no `fetch` of its own. */
export const GLOBAL_FETCH = 'globalThis.fetch';

export interface Origins {
  /** The kind an expression certainly holds. */
  kindOf(node: ts.Expression): string | undefined;
  /** The kind an expression holds, certainly or possibly. */
  flowOf(node: ts.Expression): Flow | undefined;
  /** Whether an identifier refers to a declaration of this file (a local `fetch` is never the global one). */
  isDeclared(identifier: ts.Identifier): boolean;
  /** Whether the file declares this name exactly once (so every use of it means that declaration). */
  declaredOnce(name: string): boolean;
  /** The string an identifier holds when it is a `const` initialised with a string literal. */
  constantString(identifier: ts.Identifier): string | undefined;
  /** What this module exports under a name, for a module importing it. */
  exportFlow(name: string): Flow | undefined;
  /** The kind a type this module exports names, for a module annotating with it. */
  exportTypeKind(name: string): string | undefined;
  /** The kind a type annotation of this file names (`Express`, `typeof express`, a local alias). */
  typeKindOf(type: ts.TypeNode): string | undefined;
}

/**
 * For emitted JavaScript: the kind the source the user wrote gives a parameter, field or variable by its type
 * annotation (read through the source map; the annotation is gone from the JavaScript).
 */
export type SourceAnnotation = (declaration: ts.Node) => string | undefined;

const originsByFile = new WeakMap<ts.SourceFile, Origins>();
const annotationsByFile = new WeakMap<ts.SourceFile, SourceAnnotation>();

export function originsOf(ts_: typeof ts, file: ts.SourceFile): Origins {
  let origins = originsByFile.get(file);
  if (!origins) originsByFile.set(file, (origins = createOrigins(ts_, file)));
  return origins;
}

/** Whether a file is emitted JavaScript whose source's annotations import tracking may read. */
export function hasSourceAnnotations(file: ts.SourceFile): boolean {
  return annotationsByFile.has(file);
}

/** Lets import tracking in emitted JavaScript read the annotations of the source it was compiled from. */
export function useSourceAnnotations(file: ts.SourceFile, annotation: SourceAnnotation): void {
  annotationsByFile.set(file, annotation);
}

type Declaration = ts.Node;

function createOrigins(ts_: typeof ts, file: ts.SourceFile): Origins {
  /** Per scope node (a file, block, function, loop, catch clause, named function or class expression): name → declarations. */
  const scopes = new Map<ts.Node, Map<string, Declaration[]>>();
  const byName = new Map<string, number>();
  const declare = (scope: ts.Node, name: string, node: Declaration) => {
    let names = scopes.get(scope);
    if (!names) scopes.set(scope, (names = new Map()));
    names.set(name, [...(names.get(name) ?? []), node]);
    byName.set(name, (byName.get(name) ?? 0) + 1);
  };
  const collectDeclarations = (node: ts.Node): void => {
    const scope = declarationScope(ts_, node);
    if (scope) {
      for (const name of declaredNames(ts_, node)) declare(scope, name, node);
    }
    ts_.forEachChild(node, collectDeclarations);
  };
  collectDeclarations(file);

  const declarationsOf = (identifier: ts.Identifier): Declaration[] | undefined => {
    for (let node: ts.Node | undefined = identifier.parent; node; node = node.parent) {
      const found = scopes.get(node)?.get(identifier.text);
      if (found) return found;
    }
    return undefined;
  };
  /** The one declaration a name refers to here; undefined for a global, or a name declared twice in one scope. */
  const declarationOf = (identifier: ts.Identifier): Declaration | undefined => {
    const found = declarationsOf(identifier);
    return found?.length === 1 ? found[0] : undefined;
  };

  const reassignments = new Map<Declaration, ts.Expression[]>();
  const classFields = new Map<ts.ClassLikeDeclaration, Map<string, (ts.Expression | ts.TypeNode | Declaration)[]>>();
  const field = (owner: ts.ClassLikeDeclaration | undefined, name: string, source: ts.Expression | ts.TypeNode | Declaration | undefined) => {
    if (!owner || !source) return;
    let fields = classFields.get(owner);
    if (!fields) classFields.set(owner, (fields = new Map()));
    fields.set(name, [...(fields.get(name) ?? []), source]);
  };
  const collectAssignments = (node: ts.Node): void => {
    if (ts_.isParameter(node) && ts_.isIdentifier(node.name) && ts_.isConstructorDeclaration(node.parent) && node.modifiers?.length) {
      // A parameter property (`constructor(private app: Express)`): the field holds whatever the parameter does.
      field(node.parent.parent, node.name.text, node);
    }
    if (ts_.isBinaryExpression(node) && isAssignment(ts_, node.operatorToken.kind)) {
      if (ts_.isIdentifier(node.left)) {
        const declaration = declarationOf(node.left);
        if (declaration) reassignments.set(declaration, [...(reassignments.get(declaration) ?? []), node.right]);
      } else if (ts_.isPropertyAccessExpression(node.left) && node.left.expression.kind === ts_.SyntaxKind.ThisKeyword) {
        field(enclosingClass(ts_, node), node.left.name.text, node.right);
      }
    } else if (ts_.isPropertyDeclaration(node) && ts_.isIdentifier(node.name)) {
      const owner = node.parent as ts.ClassLikeDeclaration;
      if (node.initializer || node.type) field(owner, node.name.text, node);
      else if (annotationsByFile.has(file)) field(owner, node.name.text, node);
    }
    ts_.forEachChild(node, collectAssignments);
  };
  collectAssignments(file);

  const resolving = new Set<ts.Node>();
  const guarded = <T>(node: ts.Node, work: () => T | undefined): T | undefined => {
    if (resolving.has(node)) return undefined;
    resolving.add(node);
    try {
      return work();
    } finally {
      resolving.delete(node);
    }
  };

  const bindingFlow = (binding: ModuleBinding): Flow | undefined => {
    if (binding.typeOnly) return undefined;
    if (binding.module.startsWith('.')) {
      const sibling = siblingModule(ts_, file, binding.module);
      if (!sibling || binding.imported === '(interop)' || binding.imported === '*') return undefined;
      return originsOf(ts_, sibling).exportFlow(binding.imported);
    }
    const kind = bindingKind(binding.module, binding.imported);
    return kind === undefined ? undefined : { kind, certain: true };
  };

  /** The kind a type annotation names: an imported type, `typeof x`, a local alias, a union of one kind. */
  const typeKind = (type: ts.TypeNode | undefined): string | undefined => {
    if (!type) return undefined;
    if (ts_.isParenthesizedTypeNode(type)) return typeKind(type.type);
    if (ts_.isUnionTypeNode(type)) return same(type.types.filter((member) => !isNullish(ts_, member)).map(typeKind));
    if (ts_.isTypeQueryNode(type)) {
      const flow = ts_.isIdentifier(type.exprName) ? nameFlow(type.exprName) : undefined;
      return flow?.certain ? flow.kind : undefined;
    }
    if (!ts_.isTypeReferenceNode(type)) return undefined;
    const name = type.typeName;
    if (ts_.isIdentifier(name)) {
      const declaration = declarationOf(name);
      if (declaration && ts_.isTypeAliasDeclaration(declaration)) return guarded(declaration, () => typeKind(declaration.type));
      const binding = declaration && bindingOfDeclaration(ts_, declaration);
      return binding && bindingTypeKind(binding.module, binding.imported);
    }
    if (ts_.isIdentifier(name.left)) {
      const declaration = declarationOf(name.left);
      const binding = declaration && bindingOfDeclaration(ts_, declaration);
      return binding && (binding.imported === '*' || binding.imported === 'default') ? bindingTypeKind(binding.module, name.right.text) : undefined;
    }
    return undefined;
  };

  const bindingTypeKind = (module: string, name: string): string | undefined => {
    if (!module.startsWith('.')) return MODULE_KINDS[moduleName(module)]?.types?.[name];
    const sibling = siblingModule(ts_, file, module);
    return sibling && originsOf(ts_, sibling).exportTypeKind(name);
  };

  /** What a declaration gives the name it declares, before any reassignment. */
  const initialFlow = (declaration: Declaration): Flow | undefined => {
    const binding = bindingOfDeclaration(ts_, declaration);
    if (binding) return bindingFlow(binding);
    const annotated = annotatedKind(declaration);
    if (annotated !== undefined) return { kind: annotated, certain: true };
    if (ts_.isVariableDeclaration(declaration)) {
      return declaration.initializer ? flowOf(declaration.initializer) : undefined;
    }
    // A default (`(fetchFn = fetch) =>`, `{ app = express() }`) is what the value is only when the caller gives none.
    if ((ts_.isParameter(declaration) || ts_.isBindingElement(declaration)) && declaration.initializer) {
      return possibly(flowOf(declaration.initializer));
    }
    return undefined;
  };

  /** The kind a declaration's type annotation names, in this file or (for emitted JavaScript) in its source. */
  const annotatedKind = (declaration: Declaration): string | undefined => {
    const type = (ts_.isVariableDeclaration(declaration) || ts_.isParameter(declaration) || ts_.isPropertyDeclaration(declaration)) ? declaration.type : undefined;
    if (type) return typeKind(type);
    return annotationsByFile.get(file)?.(declaration);
  };

  /** Every value a declared name can hold: its declaration's, and every assignment's. */
  const declarationFlow = (declaration: Declaration): Flow | undefined =>
    guarded(declaration, () => {
      const reassigned = reassignments.get(declaration) ?? [];
      // `let app;` then `app = express()`: a declaration with nothing in it gives no value of its own.
      const empty = ts_.isVariableDeclaration(declaration) && !declaration.initializer && !declaration.type && annotatedKind(declaration) === undefined;
      const flows = [...(empty ? [] : [initialFlow(declaration)]), ...reassigned.map(flowOf)];
      return flows.length === 0 ? undefined : combine(flows);
    });

  const nameFlow = (identifier: ts.Identifier): Flow | undefined => {
    const found = declarationsOf(identifier);
    if (!found) return identifier.text === 'fetch' ? { kind: GLOBAL_FETCH, certain: true } : undefined;
    return found.length === 1 ? declarationFlow(found[0]!) : undefined;
  };

  const fieldFlow = (node: ts.PropertyAccessExpression): Flow | undefined => {
    const owner = enclosingClass(ts_, node);
    const sources = owner && classFields.get(owner)?.get(node.name.text);
    if (!sources) return undefined;
    return guarded(node, () =>
      combine(
        sources.map((source) => {
          if (ts_.isParameter(source) || ts_.isPropertyDeclaration(source)) {
            const annotated = annotatedKind(source);
            if (annotated !== undefined) return { kind: annotated, certain: true };
            return ts_.isPropertyDeclaration(source) && source.initializer ? flowOf(source.initializer) : undefined;
          }
          return isTypeNode(ts_, source) ? certainly(typeKind(source)) : flowOf(source as ts.Expression);
        }),
      ),
    );
  };

  const flowOf = (node: ts.Expression): Flow | undefined => {
    while (ts_.isParenthesizedExpression(node) || ts_.isAsExpression(node) || ts_.isNonNullExpression(node) || ts_.isSatisfiesExpression(node) || ts_.isTypeAssertionExpression(node)) {
      node = node.expression;
    }
    if (ts_.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind;
      // `(0, express_1.default)(…)`: the comma form compilers emit for a call without a `this`.
      if (operator === ts_.SyntaxKind.CommaToken) return flowOf(node.right);
      // `custom ?? fetch`, `opts.createServer || http.createServer`: either side, whichever is set at run time.
      if (operator === ts_.SyntaxKind.QuestionQuestionToken || operator === ts_.SyntaxKind.BarBarToken) {
        return combine([flowOf(node.left), flowOf(node.right)]);
      }
      return undefined;
    }
    if (ts_.isIdentifier(node)) return nameFlow(node);
    if (ts_.isPropertyAccessExpression(node) && ts_.isIdentifier(node.name)) {
      if (node.expression.kind === ts_.SyntaxKind.ThisKeyword) return fieldFlow(node);
      const member = node.name.text;
      if (ts_.isIdentifier(node.expression)) {
        const declaration = declarationOf(node.expression);
        const binding = declaration && bindingOfDeclaration(ts_, declaration);
        // `express_1.default` / `http_1.request`: members of a module object made by the interop helpers;
        // `axiosNs.default`: the default export through a namespace import.
        if (binding && (binding.imported === '(interop)' || (binding.imported === '*' && member === 'default'))) {
          return bindingFlow({ module: binding.module, imported: member });
        }
        if (binding && binding.imported === '*' && binding.module.startsWith('.')) {
          const sibling = siblingModule(ts_, file, binding.module);
          return sibling && originsOf(ts_, sibling).exportFlow(member);
        }
        if (node.expression.text === 'globalThis' && !declarationsOf(node.expression) && member === 'fetch') return { kind: GLOBAL_FETCH, certain: true };
      }
      return follow(flowOf(node.expression), (kind) => VALUE_KINDS[kind]?.members?.[member] ?? VALUE_KINDS[kind]?.memberOf?.(member));
    }
    if (ts_.isCallExpression(node)) {
      const module = requiredModule(ts_, node);
      if (module !== undefined && !declarationsOf(node.expression as ts.Identifier)) return bindingFlow({ module, imported: '*' });
      // Code autotrace already rewrote: its wrappers hand back what they were given.
      const passedThrough = runtimePassThrough(ts_, node);
      if (passedThrough) return flowOf(passedThrough);
      return follow(flowOf(node.expression), (kind) => VALUE_KINDS[kind]?.call);
    }
    if (ts_.isNewExpression(node)) return follow(flowOf(node.expression), (kind) => VALUE_KINDS[kind]?.construct);
    if (ts_.isAwaitExpression(node)) return follow(flowOf(node.expression), (kind) => VALUE_KINDS[kind]?.awaited);
    if (ts_.isConditionalExpression(node)) return combine([flowOf(node.whenTrue), flowOf(node.whenFalse)]);
    return undefined;
  };

  const constantString = (identifier: ts.Identifier): string | undefined => {
    const declaration = declarationOf(identifier);
    if (!declaration || !ts_.isVariableDeclaration(declaration) || !(declaration.parent.flags & ts_.NodeFlags.Const)) return undefined;
    const initializer = declaration.initializer;
    return initializer && ts_.isStringLiteralLike(initializer) ? initializer.text : undefined;
  };

  /** The top-level declaration of a name, as an export names it. */
  const topLevel = (name: string): Declaration | undefined => {
    const found = scopes.get(file)?.get(name);
    return found?.length === 1 ? found[0] : undefined;
  };

  const exportFlow = (name: string): Flow | undefined => {
    for (const statement of file.statements) {
      if (name === 'default' && ts_.isExportAssignment(statement) && !statement.isExportEquals) return flowOf(statement.expression);
      if (ts_.isVariableStatement(statement) && hasExport(ts_, statement)) {
        const declaration = statement.declarationList.declarations.find((d) => ts_.isIdentifier(d.name) && d.name.text === name);
        if (declaration) return declarationFlow(declaration);
      }
      if (ts_.isExportDeclaration(statement) && !statement.isTypeOnly && statement.exportClause && ts_.isNamedExports(statement.exportClause)) {
        const element = statement.exportClause.elements.find((e) => e.name.text === name);
        if (!element || element.isTypeOnly) continue;
        const local = (element.propertyName ?? element.name).text;
        if (statement.moduleSpecifier && ts_.isStringLiteral(statement.moduleSpecifier)) return bindingFlow({ module: statement.moduleSpecifier.text, imported: local });
        const declaration = topLevel(local);
        return declaration && declarationFlow(declaration);
      }
      // CommonJS output: `exports.api = …`, `module.exports.api = …`.
      if (ts_.isExpressionStatement(statement) && ts_.isBinaryExpression(statement.expression) && statement.expression.operatorToken.kind === ts_.SyntaxKind.EqualsToken) {
        const target = statement.expression.left;
        if (ts_.isPropertyAccessExpression(target) && target.name.text === name && isExportsObject(ts_, target.expression)) return flowOf(statement.expression.right);
      }
    }
    return undefined;
  };

  const exportTypeKind = (name: string): string | undefined => {
    for (const statement of file.statements) {
      if (ts_.isTypeAliasDeclaration(statement) && statement.name.text === name && hasExport(ts_, statement)) return guarded(statement, () => typeKind(statement.type));
      if (ts_.isExportDeclaration(statement) && statement.exportClause && ts_.isNamedExports(statement.exportClause)) {
        const element = statement.exportClause.elements.find((e) => e.name.text === name);
        if (!element) continue;
        const local = (element.propertyName ?? element.name).text;
        if (statement.moduleSpecifier && ts_.isStringLiteral(statement.moduleSpecifier)) return bindingTypeKind(statement.moduleSpecifier.text, local);
        const declaration = topLevel(local);
        if (declaration && ts_.isTypeAliasDeclaration(declaration)) return guarded(declaration, () => typeKind(declaration.type));
        const binding = declaration && bindingOfDeclaration(ts_, declaration);
        return binding && bindingTypeKind(binding.module, binding.imported);
      }
    }
    return undefined;
  };

  return {
    kindOf: (node) => {
      const flow = flowOf(node);
      return flow?.certain ? flow.kind : undefined;
    },
    flowOf,
    isDeclared: (identifier) => declarationsOf(identifier) !== undefined,
    declaredOnce: (name) => byName.get(name) === 1,
    constantString,
    typeKindOf: typeKind,
    exportFlow: (name) => (siblingDepth < EXPORT_HOPS ? withSiblingDepth(() => exportFlow(name)) : undefined),
    exportTypeKind: (name) => (siblingDepth < EXPORT_HOPS ? withSiblingDepth(() => exportTypeKind(name)) : undefined),
  };
}

// Following exports from module to module stops after a few hops (and so never loops between two modules).
let siblingDepth = 0;
function withSiblingDepth<T>(work: () => T): T {
  siblingDepth++;
  try {
    return work();
  } finally {
    siblingDepth--;
  }
}

/** The scope a node declares its names in, or undefined when it declares none. */
function declarationScope(ts_: typeof ts, node: ts.Node): ts.Node | undefined {
  if (ts_.isVariableDeclaration(node)) {
    if (ts_.isCatchClause(node.parent)) return node.parent;
    const list = node.parent;
    const blockScoped = ts_.isVariableDeclarationList(list) && (list.flags & (ts_.NodeFlags.Let | ts_.NodeFlags.Const)) !== 0;
    return blockScoped ? blockScope(ts_, list) : functionScope(ts_, node);
  }
  if (ts_.isBindingElement(node)) {
    let root: ts.Node = node;
    while (ts_.isBindingElement(root) || ts_.isObjectBindingPattern(root) || ts_.isArrayBindingPattern(root)) root = root.parent;
    return declarationScope(ts_, root);
  }
  if (ts_.isParameter(node)) return node.parent;
  if (ts_.isFunctionExpression(node) || ts_.isClassExpression(node)) return node.name ? node : undefined;
  if (ts_.isFunctionDeclaration(node) || ts_.isClassDeclaration(node) || ts_.isEnumDeclaration(node) || ts_.isTypeAliasDeclaration(node) || ts_.isInterfaceDeclaration(node)) {
    return node.name ? blockScope(ts_, node) : undefined;
  }
  if (ts_.isModuleDeclaration(node)) return ts_.isIdentifier(node.name) ? blockScope(ts_, node) : undefined;
  if (ts_.isImportClause(node) || ts_.isNamespaceImport(node) || ts_.isImportSpecifier(node) || ts_.isImportEqualsDeclaration(node)) {
    return node.getSourceFile();
  }
  return undefined;
}

function declaredNames(ts_: typeof ts, node: ts.Node): string[] {
  const name = (node as { name?: ts.Node }).name;
  if (ts_.isImportClause(node)) return node.name ? [node.name.text] : [];
  if ((ts_.isVariableDeclaration(node) || ts_.isParameter(node) || ts_.isBindingElement(node)) && name && !ts_.isIdentifier(name)) return []; // patterns: their elements declare
  return name && ts_.isIdentifier(name) ? [name.text] : [];
}

function blockScope(ts_: typeof ts, node: ts.Node): ts.Node {
  for (let current = node.parent; ; current = current.parent) {
    if (
      ts_.isSourceFile(current) ||
      ts_.isBlock(current) ||
      ts_.isModuleBlock(current) ||
      ts_.isCaseBlock(current) ||
      ts_.isForStatement(current) ||
      ts_.isForInStatement(current) ||
      ts_.isForOfStatement(current) ||
      ts_.isFunctionLike(current) ||
      ts_.isClassStaticBlockDeclaration(current)
    ) {
      return current;
    }
  }
}

function functionScope(ts_: typeof ts, node: ts.Node): ts.Node {
  for (let current = node.parent; ; current = current.parent) {
    if (ts_.isSourceFile(current) || ts_.isModuleBlock(current) || ts_.isFunctionLike(current) || ts_.isClassStaticBlockDeclaration(current)) return current;
  }
}

function isAssignment(ts_: typeof ts, operator: ts.SyntaxKind): boolean {
  return (
    operator === ts_.SyntaxKind.EqualsToken ||
    operator === ts_.SyntaxKind.QuestionQuestionEqualsToken ||
    operator === ts_.SyntaxKind.BarBarEqualsToken
  );
}

function hasExport(ts_: typeof ts, statement: ts.Statement): boolean {
  return ts_.canHaveModifiers(statement) && (ts_.getModifiers(statement)?.some((m) => m.kind === ts_.SyntaxKind.ExportKeyword) ?? false);
}

function isExportsObject(ts_: typeof ts, node: ts.Expression): boolean {
  if (ts_.isIdentifier(node)) return node.text === 'exports';
  return ts_.isPropertyAccessExpression(node) && ts_.isIdentifier(node.expression) && node.expression.text === 'module' && node.name.text === 'exports';
}

function isNullish(ts_: typeof ts, type: ts.TypeNode): boolean {
  if (type.kind === ts_.SyntaxKind.UndefinedKeyword) return true;
  return ts_.isLiteralTypeNode(type) && type.literal.kind === ts_.SyntaxKind.NullKeyword;
}

/** `__autotrace.expressApp(app)` is `app`; `__autotrace.axios(site, api)` is `api`. */
function runtimePassThrough(ts_: typeof ts, call: ts.CallExpression): ts.Expression | undefined {
  const callee = call.expression;
  if (!ts_.isPropertyAccessExpression(callee) || !ts_.isIdentifier(callee.expression) || callee.expression.text !== RUNTIME_BINDING) return undefined;
  const name = callee.name.text;
  if (APP_FACTORY_RULES.some((rule) => rule.wrapWith === name)) return call.arguments[0];
  if (CLIENT_INSTANCE_RULES.some((rule) => rule.wrapWith === name)) return call.arguments[1];
  return undefined;
}

function bindingKind(module: string, imported: string): string | undefined {
  const values = MODULE_KINDS[moduleName(module)]?.values;
  if (!values) return undefined;
  // A CommonJS module's `default` (esModuleInterop) is the module itself.
  return values[imported] ?? (imported === 'default' ? values['*'] : undefined);
}

function certainly(kind: string | undefined): Flow | undefined {
  return kind === undefined ? undefined : { kind, certain: true };
}

function possibly(flow: Flow | undefined): Flow | undefined {
  return flow && { kind: flow.kind, certain: false };
}

/** A member, call or construction of a value: as certain as the value it is made from. */
function follow(flow: Flow | undefined, next: (kind: string) => string | undefined): Flow | undefined {
  const kind = flow && next(flow.kind);
  return kind === undefined ? undefined : { kind, certain: flow!.certain };
}

/**
 * The values a name or expression can hold, taken together: certain when every one is the same known kind, possible
 * when the known ones agree and some are unknown, nothing when two kinds disagree.
 */
function combine(flows: readonly (Flow | undefined)[]): Flow | undefined {
  const known = flows.filter((flow): flow is Flow => flow !== undefined);
  const [first] = known;
  if (!first || !known.every((flow) => flow.kind === first.kind)) return undefined;
  return { kind: first.kind, certain: known.length === flows.length && known.every((flow) => flow.certain) };
}

/** The one kind every candidate agrees on, or unknown. */
function same(kinds: readonly (string | undefined)[]): string | undefined {
  const [first] = kinds;
  return first !== undefined && kinds.every((kind) => kind === first) ? first : undefined;
}

function enclosingClass(ts_: typeof ts, node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (ts_.isClassLike(current)) return current;
  }
  return undefined;
}

function isTypeNode(ts_: typeof ts, node: ts.Node): node is ts.TypeNode {
  return ts_.isTypeNode(node);
}
