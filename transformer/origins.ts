import type * as ts from 'typescript';
import { moduleBindings, moduleName, requiredModule } from './imports';
import { APP_FACTORY_RULES, CLIENT_INSTANCE_RULES, MODULE_KINDS, RUNTIME_BINDING, VALUE_KINDS } from './rules';

// Import tracking: which kind of traced value (rules.ts VALUE_KINDS) an expression holds, known from one file's text
// alone, with no type checker. Values are followed from their import or require through `const`/`let` bindings,
// aliases, class fields, members and calls, conditional unions and parameters whose annotation names an imported
// type. A name declared more than once in the file (shadowed, or reassigned to something else) is not followed:
// when unsure, the answer is "unknown", and unknown is never rewritten.

export interface Origins {
  kindOf(node: ts.Expression): string | undefined;
  /** Whether the file declares this name anywhere (a local `fetch` is never the global one). */
  declares(name: string): boolean;
  /** Whether the file declares this name exactly once (so every use of it means that declaration). */
  declaredOnce(name: string): boolean;
  /** The string a name holds when it is declared once, as a `const` initialised with a string literal. */
  constantString(name: string): string | undefined;
}

const originsByFile = new WeakMap<ts.SourceFile, Origins>();

export function originsOf(ts_: typeof ts, file: ts.SourceFile): Origins {
  let origins = originsByFile.get(file);
  if (!origins) originsByFile.set(file, (origins = createOrigins(ts_, file)));
  return origins;
}

function createOrigins(ts_: typeof ts, file: ts.SourceFile): Origins {
  const bindings = moduleBindings(ts_, file);
  const declarations = new Map<string, ts.Node[]>();
  const assignments = new Map<string, ts.Expression[]>();
  const classFields = new Map<ts.ClassLikeDeclaration, Map<string, (ts.Expression | ts.TypeNode)[]>>();

  const declare = (name: string, node: ts.Node) => declarations.set(name, [...(declarations.get(name) ?? []), node]);
  const field = (owner: ts.ClassLikeDeclaration | undefined, name: string, source: ts.Expression | ts.TypeNode | undefined) => {
    if (!owner || !source) return;
    let fields = classFields.get(owner);
    if (!fields) classFields.set(owner, (fields = new Map()));
    fields.set(name, [...(fields.get(name) ?? []), source]);
  };
  const collect = (node: ts.Node): void => {
    if (ts_.isParameter(node) && ts_.isIdentifier(node.name) && ts_.isConstructorDeclaration(node.parent) && node.modifiers?.length) {
      field(node.parent.parent, node.name.text, node.type); // a parameter property: `constructor(private app: Express)`
    }
    if ((ts_.isVariableDeclaration(node) || ts_.isParameter(node) || ts_.isBindingElement(node)) && ts_.isIdentifier(node.name)) {
      declare(node.name.text, node);
    } else if ((ts_.isFunctionDeclaration(node) || ts_.isClassDeclaration(node) || ts_.isFunctionExpression(node) || ts_.isClassExpression(node)) && node.name) {
      declare(node.name.text, node);
    } else if (ts_.isImportClause(node) && node.name) declare(node.name.text, node);
    else if ((ts_.isNamespaceImport(node) || ts_.isImportSpecifier(node) || ts_.isImportEqualsDeclaration(node))) declare(node.name.text, node);
    else if (ts_.isBinaryExpression(node) && node.operatorToken.kind === ts_.SyntaxKind.EqualsToken) {
      if (ts_.isIdentifier(node.left)) assignments.set(node.left.text, [...(assignments.get(node.left.text) ?? []), node.right]);
      else if (ts_.isPropertyAccessExpression(node.left) && node.left.expression.kind === ts_.SyntaxKind.ThisKeyword) {
        field(enclosingClass(ts_, node), node.left.name.text, node.right);
      }
    } else if (ts_.isPropertyDeclaration(node) && ts_.isIdentifier(node.name)) {
      field(node.parent as ts.ClassLikeDeclaration, node.name.text, node.initializer ?? node.type);
    }
    ts_.forEachChild(node, collect);
  };
  collect(file);

  const typeKind = (type: ts.TypeNode | undefined): string | undefined => {
    if (!type) return undefined;
    if (ts_.isUnionTypeNode(type)) return same(type.types.map(typeKind));
    if (!ts_.isTypeReferenceNode(type)) return undefined;
    const name = type.typeName;
    if (ts_.isIdentifier(name)) {
      const binding = bindings.get(name.text);
      return binding && MODULE_KINDS[moduleName(binding.module)]?.types?.[binding.imported];
    }
    if (ts_.isIdentifier(name.left)) {
      const binding = bindings.get(name.left.text);
      return binding && (binding.imported === '*' || binding.imported === 'default') ? MODULE_KINDS[moduleName(binding.module)]?.types?.[name.right.text] : undefined;
    }
    return undefined;
  };

  const resolving = new Set<ts.Node>();
  const guarded = (node: ts.Node, work: () => string | undefined): string | undefined => {
    if (resolving.has(node)) return undefined;
    resolving.add(node);
    try {
      return work();
    } finally {
      resolving.delete(node);
    }
  };

  const nameKind = (name: string): string | undefined => {
    const declared = declarations.get(name) ?? [];
    const binding = bindings.get(name);
    if (declared.length !== 1) return undefined;
    const declaration = declared[0]!;
    return guarded(declaration, () => {
      let kind: string | undefined;
      if (binding) kind = binding.typeOnly ? undefined : bindingKind(binding.module, binding.imported);
      else if (ts_.isVariableDeclaration(declaration) || ts_.isParameter(declaration)) {
        kind = declaration.initializer && !ts_.isParameter(declaration) ? kindOf(declaration.initializer) : typeKind(declaration.type);
        if (kind === undefined && declaration.type) kind = typeKind(declaration.type);
      }
      const reassigned = assignments.get(name) ?? [];
      return reassigned.length === 0 ? kind : same([kind, ...reassigned.map(kindOf)]);
    });
  };

  const kindOf = (node: ts.Expression): string | undefined => {
    while (ts_.isParenthesizedExpression(node) || ts_.isAsExpression(node) || ts_.isNonNullExpression(node) || ts_.isSatisfiesExpression(node) || ts_.isTypeAssertionExpression(node)) {
      node = node.expression;
    }
    // `(0, express_1.default)(…)`: the comma form compilers emit for a call without a `this`.
    if (ts_.isBinaryExpression(node) && node.operatorToken.kind === ts_.SyntaxKind.CommaToken) return kindOf(node.right);
    if (ts_.isIdentifier(node)) return nameKind(node.text);
    if (ts_.isPropertyAccessExpression(node) && ts_.isIdentifier(node.name)) {
      if (node.expression.kind === ts_.SyntaxKind.ThisKeyword) {
        const owner = enclosingClass(ts_, node);
        const sources = owner && classFields.get(owner)?.get(node.name.text);
        return sources && guarded(node, () => same(sources.map((source) => (isTypeNode(ts_, source) ? typeKind(source) : kindOf(source)))));
      }
      const member = node.name.text;
      // `express_1.default` / `http_1.request`: members of a module object made by the interop helpers.
      const interop = interopModule(node.expression);
      if (interop) return bindingKind(interop, member === 'default' ? 'default' : member);
      const kind = kindOf(node.expression);
      return kind && VALUE_KINDS[kind]?.members?.[member];
    }
    if (ts_.isCallExpression(node)) {
      const module = requiredModule(ts_, node);
      if (module !== undefined) return bindingKind(module, '*');
      // Code autotrace already rewrote: its wrappers hand back what they were given.
      const passedThrough = runtimePassThrough(ts_, node);
      if (passedThrough) return kindOf(passedThrough);
      const kind = kindOf(node.expression);
      return kind && VALUE_KINDS[kind]?.call;
    }
    if (ts_.isNewExpression(node)) {
      const kind = kindOf(node.expression);
      return kind && VALUE_KINDS[kind]?.construct;
    }
    if (ts_.isConditionalExpression(node)) return same([kindOf(node.whenTrue), kindOf(node.whenFalse)]);
    return undefined;
  };

  /** The module behind `x` in `x.member` when `x` is bound to `require(m)` through an interop helper. */
  const interopModule = (node: ts.Expression): string | undefined => {
    if (!ts_.isIdentifier(node)) return undefined;
    const binding = bindings.get(node.text);
    return binding && binding.imported === '(interop)' && (declarations.get(node.text)?.length ?? 0) === 1 ? binding.module : undefined;
  };

  const constantString = (name: string): string | undefined => {
    const declared = declarations.get(name);
    const declaration = declared?.length === 1 ? declared[0]! : undefined;
    if (!declaration || !ts_.isVariableDeclaration(declaration) || !(declaration.parent.flags & ts_.NodeFlags.Const)) return undefined;
    const initializer = declaration.initializer;
    return initializer && ts_.isStringLiteralLike(initializer) ? initializer.text : undefined;
  };

  return { kindOf, declares: (name) => declarations.has(name), declaredOnce: (name) => declarations.get(name)?.length === 1, constantString };
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
