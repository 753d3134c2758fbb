import type * as ts from 'typescript';
import { packageNameOf } from './packages';
import { resolvedImports } from './program-imports';
import { GLOBAL_CLIENT_RULES, TYPES_PACKAGES } from './rules/index';

// Which files of a program can meet a traced package's types at all. Every checker question of the rule table asks
// whether a declaration lives in one of the rules' packages (express's types, axios, @types/node's http, …), and a
// module sees a package's types only through its imports: its own, or those of a module it imports, however deep
// (`import { api } from './client'`, where client.ts imports axios). A module that reaches none of them cannot answer
// yes to any checker question, so those questions are not asked there (seven files in ten of the benchmark project,
// bench/build-large.mjs, are helpers and models of that kind). Whatever this cannot see through counts as reaching:
// an import the program did not resolve to a file (other than Node's modules no rule traces), a `/// <reference>`, a
// mention of a global client (fetch), and a name declared globally where traced types are in reach (a script's
// declarations, `declare global`), which every file sees without an import.

/** Node's modules whose declarations no rule reads: an import of one reaches nothing traced. */
const UNTRACED_NODE_MODULES = new Set([
  'assert', 'assert/strict', 'async_hooks', 'buffer', 'child_process', 'console', 'crypto', 'events', 'fs',
  'fs/promises', 'module', 'os', 'path', 'path/posix', 'path/win32', 'perf_hooks', 'process', 'querystring',
  'readline', 'readline/promises', 'stream', 'stream/promises', 'stream/web', 'string_decoder', 'timers',
  'timers/promises', 'url', 'util', 'util/types', 'v8', 'vm', 'worker_threads', 'zlib',
]);

const reachingByProgram = new WeakMap<ts.Program, ReadonlySet<ts.SourceFile> | 'all'>();

/** Whether checker questions about traced packages can find anything in this file of the program. */
export function mayMeetTracedTypes(ts_: typeof ts, program: ts.Program, file: ts.SourceFile): boolean {
  let reaching = reachingByProgram.get(program);
  if (reaching === undefined) reachingByProgram.set(program, (reaching = filesReachingTracedTypes(ts_, program)));
  return reaching === 'all' || reaching.has(file);
}

/** The files that reach; 'all' where the program's resolution cannot be read. */
function filesReachingTracedTypes(ts_: typeof ts, program: ts.Program): ReadonlySet<ts.SourceFile> | 'all' {
  const importers = new Map<ts.SourceFile, ts.SourceFile[]>();
  const reaching = new Set<ts.SourceFile>();
  const queue: ts.SourceFile[] = [];
  const reaches = (file: ts.SourceFile) => {
    if (reaching.has(file)) return;
    reaching.add(file);
    queue.push(file);
  };
  for (const file of program.getSourceFiles()) {
    if (isSeed(program, file)) reaches(file);
    const imports = resolvedImports(program, file);
    if (!imports) return 'all';
    for (const { specifier, file: target } of imports) {
      if (target) {
        const list = importers.get(target);
        if (list) list.push(file);
        else importers.set(target, [file]);
      } else if (!UNTRACED_NODE_MODULES.has(specifier.text.replace(/^node:/, ''))) {
        reaches(file);
      }
    }
  }
  // Everything that imports a reaching file reaches, through any number of modules (cycles included).
  const spread = () => {
    while (queue.length > 0) for (const importer of importers.get(queue.pop()!) ?? []) reaches(importer);
  };
  spread();
  // Globals declared where traced types are in reach (`declare global { type App = Express }`, a script's `var`)
  // are seen without an import: a file that names one reaches too, and so on while that brings more globals in reach.
  const named = new Set<string>();
  const asked = new Set<ts.SourceFile>();
  for (;;) {
    const fresh: string[] = [];
    for (const file of reaching) {
      if (asked.has(file)) continue;
      asked.add(file);
      for (const name of globalNames(ts_, program, file)) {
        if (named.has(name)) continue;
        named.add(name);
        fresh.push(name);
      }
    }
    if (fresh.length === 0) break;
    const naming = new RegExp(`\\b(?:${fresh.join('|')})\\b`);
    for (const file of program.getSourceFiles()) {
      if (!reaching.has(file) && !program.isSourceFileDefaultLibrary(file) && naming.test(file.text)) reaches(file);
    }
    spread();
  }
  return reaching;
}

/** A file that reaches by itself: a traced package's declarations, a mention of a global client, a reference. */
function isSeed(program: ts.Program, file: ts.SourceFile): boolean {
  if (file.isDeclarationFile && program.isSourceFileFromExternalLibrary(file)) {
    const name = packageNameOf(file.fileName);
    if (name !== undefined && TYPES_PACKAGES.has(name)) return true;
  }
  if (program.isSourceFileDefaultLibrary(file)) return false;
  if (file.referencedFiles.length > 0 || file.typeReferenceDirectives.length > 0) return true;
  return GLOBAL_CLIENT_RULES.some((rule) => file.text.includes(rule.global));
}

/**
 * The names a file declares for every file to see: a script's top-level declarations, a module's `declare global`.
 * TypeScript's own libraries and @types/node are left out: the one global of theirs a rule traces, fetch, is asked
 * for by name.
 */
function globalNames(ts_: typeof ts, program: ts.Program, file: ts.SourceFile): string[] {
  if (program.isSourceFileDefaultLibrary(file) || packageNameOf(file.fileName) === '@types/node') return [];
  const isGlobalBlock = (statement: ts.Statement): statement is ts.ModuleDeclaration & { body: ts.ModuleBlock } =>
    ts_.isModuleDeclaration(statement) && (statement.flags & ts_.NodeFlags.GlobalAugmentation) !== 0 && statement.body !== undefined && ts_.isModuleBlock(statement.body);
  // A module declares globally only inside `declare global`; a script declares globally at its top level.
  const statements = ts_.isExternalModule(file) ? file.statements.filter(isGlobalBlock).flatMap((block) => block.body.statements) : file.statements;
  return statements.flatMap((statement) => {
    if (ts_.isVariableStatement(statement)) return statement.declarationList.declarations.flatMap((declaration) => boundNames(ts_, declaration.name));
    const name = (statement as { name?: ts.Node }).name;
    const declares =
      ts_.isFunctionDeclaration(statement) || ts_.isClassDeclaration(statement) || ts_.isInterfaceDeclaration(statement) ||
      ts_.isTypeAliasDeclaration(statement) || ts_.isEnumDeclaration(statement) || ts_.isModuleDeclaration(statement);
    return declares && name !== undefined && ts_.isIdentifier(name) ? [name.text] : [];
  });
}

function boundNames(ts_: typeof ts, name: ts.BindingName): string[] {
  if (ts_.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) => (ts_.isOmittedExpression(element) ? [] : boundNames(ts_, element.name)));
}
