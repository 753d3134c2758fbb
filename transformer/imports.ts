import type * as ts from 'typescript';

// Which local names of a file are bound to which module, read from its import and require statements alone (no
// checker): `import x from 'm'`, `import * as x from 'm'`, `import { a as x } from 'm'`, `import x = require('m')`,
// `const x = require('m')`, `const { a: x } = require('m')` and the interop shapes compilers emit. Read once per file.

export interface ModuleBinding {
  readonly module: string;
  /**
   * The export the name is bound to: a named export, `default`, `*` for the whole module, or `(interop)` for the
   * object an interop helper wraps it in (its members are the module's).
   */
  readonly imported: string;
  /** `import type` / `import { type X }`: names a type only, never a value. */
  readonly typeOnly?: true;
}

const bindingsByFile = new WeakMap<ts.SourceFile, ReadonlyMap<string, ModuleBinding>>();

export function moduleBindings(ts_: typeof ts, file: ts.SourceFile): ReadonlyMap<string, ModuleBinding> {
  let bindings = bindingsByFile.get(file);
  if (!bindings) bindingsByFile.set(file, (bindings = readBindings(ts_, file)));
  return bindings;
}

function readBindings(ts_: typeof ts, file: ts.SourceFile): Map<string, ModuleBinding> {
  const map = new Map<string, ModuleBinding>();
  for (const statement of file.statements) {
    if (ts_.isImportDeclaration(statement) && ts_.isStringLiteral(statement.moduleSpecifier)) {
      const module = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (!clause) continue;
      const typeOnly = clause.isTypeOnly ? { typeOnly: true as const } : {};
      if (clause.name) map.set(clause.name.text, { module, imported: 'default', ...typeOnly });
      const named = clause.namedBindings;
      if (named && ts_.isNamespaceImport(named)) map.set(named.name.text, { module, imported: '*', ...typeOnly });
      if (named && ts_.isNamedImports(named)) {
        for (const element of named.elements) {
          const imported = (element.propertyName ?? element.name).text;
          map.set(element.name.text, { module, imported, ...(clause.isTypeOnly || element.isTypeOnly ? { typeOnly: true as const } : {}) });
        }
      }
    } else if (ts_.isImportEqualsDeclaration(statement) && ts_.isExternalModuleReference(statement.moduleReference)) {
      const expression = statement.moduleReference.expression;
      if (ts_.isStringLiteral(expression)) map.set(statement.name.text, { module: expression.text, imported: '*' });
    }
  }
  // Requires may sit inside a wrapper (tsx and bundlers wrap a module in a function): every declaration counts, and
  // a name declared more than once is not followed (origins.ts).
  const visit = (node: ts.Node): void => {
    if (ts_.isVariableDeclaration(node) && node.initializer) requireBinding(ts_, node, map);
    ts_.forEachChild(node, visit);
  };
  if (file.text.includes('require')) visit(file);
  return map;
}

function requireBinding(ts_: typeof ts, declaration: ts.VariableDeclaration, map: Map<string, ModuleBinding>): void {
  const initializer = declaration.initializer!;
  const interop = interopRequire(ts_, initializer);
  if (interop !== undefined && ts_.isIdentifier(declaration.name)) {
    map.set(declaration.name.text, { module: interop, imported: '(interop)' });
    return;
  }
  const module = requiredModule(ts_, initializer);
  if (module === undefined) return;
  if (ts_.isIdentifier(declaration.name)) map.set(declaration.name.text, { module, imported: '*' });
  else if (ts_.isObjectBindingPattern(declaration.name)) {
    for (const element of declaration.name.elements) {
      const key = element.propertyName ?? element.name;
      if (ts_.isIdentifier(element.name) && ts_.isIdentifier(key)) map.set(element.name.text, { module, imported: key.text });
    }
  }
}

/**
 * `__importDefault(require('m'))`, `__importStar(require('m'))` (also as `tslib_1.__importDefault`) and esbuild's
 * `__toESM(require('m'))`: what TypeScript, Babel and esbuild emit for an import in CommonJS output. The binding is an
 * object whose members are the module's.
 */
function interopRequire(ts_: typeof ts, node: ts.Expression): string | undefined {
  if (!ts_.isCallExpression(node) || node.arguments.length !== 1) return undefined;
  const callee = node.expression;
  const name = ts_.isIdentifier(callee) ? callee.text : ts_.isPropertyAccessExpression(callee) ? callee.name.text : '';
  if (!/^_*(importDefault|importStar|interopRequireDefault|interopRequireWildcard|toESM)$/.test(name)) return undefined;
  return requiredModule(ts_, node.arguments[0]!);
}

/** `require('m')`: the module it names. */
export function requiredModule(ts_: typeof ts, node: ts.Expression): string | undefined {
  if (!ts_.isCallExpression(node) || !ts_.isIdentifier(node.expression) || node.expression.text !== 'require') return undefined;
  const [first] = node.arguments;
  return first && ts_.isStringLiteral(first) ? first.text : undefined;
}

/** `node:http` and `http` are one module. */
export function moduleName(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}

/** A module name as it stands in a pattern (`@nestjs/core`, `node.js`). */
export function escapeForPattern(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A pattern that finds any of these names in a text; a short one (`pg`, `ky`) only as a whole word, not in `jpg`. */
export function mentionOf(names: Iterable<string>): RegExp {
  return new RegExp([...new Set(names)].map((name) => (name.length <= 3 ? `\\b${escapeForPattern(name)}\\b` : escapeForPattern(name))).join('|'));
}

/**
 * Whether a file is CommonJS by its own text: no import or export statement, and a `require`, `module.exports` or
 * `exports.` in it, or a .cjs/.cts name. Where the text says neither, the caller's default applies.
 */
export function writtenAsCommonJs(ts_: typeof ts, file: ts.SourceFile, otherwise = true): boolean {
  if (/\.c[jt]s$/.test(file.fileName)) return true;
  if (/\.m[jt]s$/.test(file.fileName)) return false;
  const esm = file.statements.some(
    (statement) =>
      ts_.isImportDeclaration(statement) ||
      ts_.isExportDeclaration(statement) ||
      ts_.isExportAssignment(statement) ||
      (ts_.canHaveModifiers(statement) && ts_.getModifiers(statement)?.some((m) => m.kind === ts_.SyntaxKind.ExportKeyword)),
  );
  if (esm) return false;
  return /\brequire\s*\(|\bmodule\.exports\b|\bexports\./.test(file.text) ? true : otherwise;
}

/**
 * The module binding one declaration makes, read from that declaration alone: an import clause, specifier or
 * namespace import, `import x = require('m')`, `const x = require('m')` (or an interop helper around it), and
 * `const { a: x } = require('m')`. Scope-aware callers (origins.ts) resolve a name to its declaration first.
 */
export function bindingOfDeclaration(ts_: typeof ts, declaration: ts.Node): ModuleBinding | undefined {
  const fromImport = (clause: ts.ImportClause, imported: string, typeOnly: boolean): ModuleBinding | undefined => {
    const statement = clause.parent;
    if (!ts_.isStringLiteral(statement.moduleSpecifier)) return undefined;
    return { module: statement.moduleSpecifier.text, imported, ...(clause.isTypeOnly || typeOnly ? { typeOnly: true as const } : {}) };
  };
  if (ts_.isImportClause(declaration)) return fromImport(declaration, 'default', false);
  if (ts_.isNamespaceImport(declaration)) return fromImport(declaration.parent, '*', false);
  if (ts_.isImportSpecifier(declaration)) {
    return fromImport(declaration.parent.parent, (declaration.propertyName ?? declaration.name).text, declaration.isTypeOnly);
  }
  if (ts_.isImportEqualsDeclaration(declaration)) {
    const reference = declaration.moduleReference;
    return ts_.isExternalModuleReference(reference) && ts_.isStringLiteral(reference.expression) ? { module: reference.expression.text, imported: '*' } : undefined;
  }
  const map = new Map<string, ModuleBinding>();
  if (ts_.isVariableDeclaration(declaration) && declaration.initializer) {
    requireBinding(ts_, declaration, map);
    return ts_.isIdentifier(declaration.name) ? map.get(declaration.name.text) : undefined;
  }
  if (ts_.isBindingElement(declaration) && ts_.isIdentifier(declaration.name) && ts_.isObjectBindingPattern(declaration.parent)) {
    const owner = declaration.parent.parent;
    if (ts_.isVariableDeclaration(owner) && owner.initializer) requireBinding(ts_, owner, map);
    return map.get(declaration.name.text);
  }
  return undefined;
}
