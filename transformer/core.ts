import type * as ts from 'typescript';
import type picomatch from 'picomatch';
import { dirname, relative, sep } from 'node:path';
import { planFile, type Action, type FilePlan } from './analyse';
import type { Gap } from './gaps';
import type { AutotraceOptions } from './options';
import { buildReport, type Report } from './report';
import {
  bindsRuntime,
  callOnFacade,
  callThrough,
  redirectCall,
  runtimeImport,
  wrapArgument,
  wrapArgumentAt,
  wrapProperty,
  wrapResult,
} from './rewrite';
import { writtenAsCommonJs } from './imports';
import { packageNameOf } from './packages';
import { describeController } from './nest';
import { locate, projectPath } from './sites';
import { heldBy } from './sibling-modules';
import { resolvedImports } from './program-imports';
import type { Core, SourcePosition } from './core-types';

export { typedRecogniser, type Core, type SourcePosition } from './core-types';

// The transform itself, knowing nothing of ts-patch: any front door (tsconfig plugin, customTransformers, the CLI)
// builds a Core for a program, and asks it for the report, the gaps or the transformer factory.

export function createCore(ts_: typeof ts, program: ts.Program, options: AutotraceOptions): Core {
  const configFile = program.getCompilerOptions().configFilePath;
  const projectRoot =
    typeof configFile === 'string' ? dirname(configFile) : program.getCurrentDirectory();
  let packages: Set<string> | undefined;
  const compilerOptions = program.getCompilerOptions();
  // transpileModule's program: one file, no lib, nothing resolved. Every type in it is an error type.
  const alone = compilerOptions.noLib === true && compilerOptions.noResolve === true;
  return {
    ts: ts_,
    checker: alone ? undefined : program.getTypeChecker(),
    hasPackage: (name) => (packages ??= packagesIn(program)).has(name),
    program,
    options,
    projectRoot,
    isExcluded: excluder(options, projectRoot),
    plans: new Map(),
    locate: (node, functionName) => locate(projectRoot, node, functionName),
  };
}

/** A core for files that come without a program: a bundler's modules, modules as they load, emitted JavaScript. */
export function createFileCore(
  ts_: typeof ts,
  options: AutotraceOptions,
  projectRoot: string,
  toSource?: SourcePosition,
): Core {
  return {
    ts: ts_,
    checker: undefined,
    hasPackage: () => true,
    program: undefined,
    options,
    projectRoot,
    isExcluded: excluder(options, projectRoot),
    plans: new Map(),
    locate: (node, functionName) => {
      const at = locate(projectRoot, node, functionName);
      return { ...at, ...toSource?.(at.line, at.column) };
    },
  };
}

function excluder(options: AutotraceOptions, projectRoot: string): (fileName: string) => boolean {
  // Loaded only for an exclude option: most builds have none, and every build loads the plugin.
  const matches = options.exclude.length > 0 ? (require('picomatch') as typeof picomatch)(options.exclude as string[], { dot: true }) : undefined;
  return (fileName) => matches !== undefined && matches(relative(projectRoot, fileName).split(sep).join('/'));
}

/** The project's own source files: what the report covers (declaration files and imported libraries left out). */
export function projectFiles(core: Core): ts.SourceFile[] {
  const program = core.program;
  if (!program) return [];
  return program
    .getSourceFiles()
    .filter((file) => !file.isDeclarationFile && !program.isSourceFileFromExternalLibrary(file));
}

/** Every site of the whole program, and the black boxes among them, whichever files are emitted this time. */
export function analyseProgram(core: Core): { readonly report: Report; readonly gaps: readonly Gap[] } {
  const files = projectFiles(core);
  const plans = files.map((file) => planOf(core, file));
  // Every file, sites or not: the report says how many files it saw nothing in.
  const names = files.map((file) => projectPath(core.projectRoot, file));
  const nearMisses = plans.flatMap((plan) => plan.nearMisses);
  return { report: buildReport(plans.flatMap((plan) => plan.records), names, undefined, nearMisses), gaps: plans.flatMap((plan) => plan.gaps) };
}

/** The packages whose declaration files the program holds, read once per program. */
function packagesIn(program: ts.Program): Set<string> {
  const names = new Set<string>();
  for (const file of program.getSourceFiles()) {
    if (!file.isDeclarationFile) continue;
    const name = packageNameOf(file.fileName);
    if (name) names.add(name);
  }
  return names;
}

export function createSourceFileTransformer(core: Core): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (file) => transformSourceFile(core, context, file);
}

/** The plan of a file: decided once per program, shared by the report and the transform. */
export function planOf(core: Core, file: ts.SourceFile): FilePlan {
  let plan = core.plans.get(file);
  if (!plan) {
    if (core.program) heldBy(core.program, file);
    plan = planFromEarlierProgram(core, file) ?? planFile(core, file);
    core.plans.set(file, plan);
    if (core.program) earlierPlans.set(file, { plan, program: core.program, optionsKey: optionsKeyOf(core) });
  }
  return plan;
}

// Plans kept across programs: a watch or incremental rebuild makes a new program that reuses the SourceFile objects
// of files whose text did not change. Such a file's plan is taken as it was when nothing it depends on changed: every
// file it imports, directly or through others, is the same object in both programs, and so is every global
// declaration file (they can change any type). Keyed by the SourceFile, so a plan goes when its file does; each entry
// points at the latest program that used it, so older programs are not held.
interface EarlierPlan {
  readonly plan: FilePlan;
  program: ts.Program;
  readonly optionsKey: string;
}
const earlierPlans = new WeakMap<ts.SourceFile, EarlierPlan>();

// What a plan depends on besides its files: the options, the project root and which packages have types (rules ask).
const optionsKeys = new WeakMap<Core, string>();

function optionsKeyOf(core: Core): string {
  let key = optionsKeys.get(core);
  if (key === undefined) {
    const packages = core.program ? [...packagesIn(core.program)].sort().join(',') : '';
    optionsKeys.set(core, (key = `${core.projectRoot}\0${JSON.stringify(core.options)}\0${packages}`));
  }
  return key;
}

/** The plan an earlier program made for this same file, when nothing it depends on changed; else undefined. */
function planFromEarlierProgram(core: Core, file: ts.SourceFile): FilePlan | undefined {
  const program = core.program;
  const earlier = earlierPlans.get(file);
  if (!program || !earlier || earlier.program === program || earlier.optionsKey !== optionsKeyOf(core)) return undefined;
  if (!sameGlobals(earlier.program, program) || !sameImports(earlier.program, program, file)) return undefined;
  earlier.program = program;
  return earlier.plan;
}

// Compared once per pair of programs: whether their global (non-module) declaration files are the same objects.
const sameGlobalsOf = new WeakMap<ts.Program, { readonly earlier: ts.Program; readonly same: boolean }>();

function sameGlobals(earlier: ts.Program, program: ts.Program): boolean {
  const known = sameGlobalsOf.get(program);
  if (known?.earlier === earlier) return known.same;
  const isGlobal = (f: ts.SourceFile) => (f as { externalModuleIndicator?: unknown }).externalModuleIndicator === undefined;
  const before = earlier.getSourceFiles().filter(isGlobal);
  const after = program.getSourceFiles().filter(isGlobal);
  const same = before.length === after.length && after.every((f) => earlier.getSourceFile(f.fileName) === f);
  sameGlobalsOf.set(program, { earlier, same });
  return same;
}

/** Whether every file reached through `file`'s imports is the same object in both programs (unknown: not reused). */
function sameImports(earlier: ts.Program, program: ts.Program, file: ts.SourceFile): boolean {
  const seen = new Set<ts.SourceFile>([file]);
  const queue = [file];
  while (queue.length > 0) {
    const imports = resolvedImports(program, queue.pop()!);
    if (!imports) return false;
    for (const { file: next } of imports) {
      if (!next || seen.has(next)) continue;
      if (earlier.getSourceFile(next.fileName) !== next) return false;
      seen.add(next);
      queue.push(next);
    }
  }
  return true;
}

function transformSourceFile(core: Core, context: ts.TransformationContext, file: ts.SourceFile): ts.SourceFile {
  const { ts: ts_ } = core;
  const { actions } = planOf(core, file);
  // A file with nothing to rewrite is returned as it came, so it emits byte-identical JS.
  if (actions.size === 0) return file;
  const { factory } = context;

  // Actions are keyed by original nodes; rewriting uses the visited ones, so nested sites are rewritten too. Only the
  // nodes that hold an action are descended into: every other subtree comes back as it went in.
  const holdsAction = new Set<ts.Node>();
  for (const node of actions.keys()) {
    for (let at: ts.Node | undefined = node.parent; at && !holdsAction.has(at); at = at.parent) holdsAction.add(at);
  }
  const visit = (node: ts.Node): ts.VisitResult<ts.Node> => {
    const action = actions.get(node);
    if (action) return apply(node, action);
    return holdsAction.has(node) ? ts_.visitEachChild(node, visit, context) : node;
  };

  const apply = (node: ts.Node, action: Action): ts.VisitResult<ts.Node> => {
    const visited = ts_.visitEachChild(node, visit, context);
    switch (action.type) {
      case 'wrapArguments': {
        const call = visited as ts.CallExpression;
        const original = node as ts.CallExpression;
        const args = call.arguments.map((argument, index) => {
          const site = action.sites.get(index);
          return site ? wrapArgument(ts_, factory, action.rule.wrapWith, argument, original.arguments[index]!, site) : argument;
        });
        return factory.updateCallExpression(call, call.expression, call.typeArguments, args);
      }
      case 'wrapProperty': {
        const call = visited as ts.CallExpression;
        const args = call.arguments.map((argument, index) =>
          index === action.optionsIndex
            ? wrapProperty(ts_, factory, action.rule.wrapWith, argument as ts.ObjectLiteralExpression, action.property, action.site)
            : argument,
        );
        return factory.updateCallExpression(call, call.expression, call.typeArguments, args);
      }
      case 'wrapApp':
        return wrapResult(ts_, factory, action.rule.wrapWith, visited as ts.Expression, node, action.site);
      case 'redirectGlobal':
        return redirectCall(ts_, factory, action.rule.callInstead, visited as ts.CallExpression, node as ts.CallExpression, action.site);
      case 'callThrough':
        return callThrough(ts_, factory, action.rule.callThrough, visited as ts.CallExpression, node as ts.CallExpression, action.site);
      case 'callOnFacade':
        return callOnFacade(ts_, factory, action.rule.wrapWith, visited as ts.CallExpression, node as ts.CallExpression, action.site);
      case 'wrapArgumentAt':
        return wrapArgumentAt(ts_, factory, action.rule.wrapWith, visited as ts.CallExpression | ts.NewExpression, node as ts.CallExpression | ts.NewExpression, action.index, action.site);
      case 'describeNestController':
        // After the class: the statement reads the decorated class, and the class itself is left as written.
        return [visited, ...describeController(ts_, factory, action, node)];
    }
  };

  return withRuntimeImport(core, factory, ts_.visitEachChild(file, visit, context));
}

function withRuntimeImport(core: Core, factory: ts.NodeFactory, file: ts.SourceFile): ts.SourceFile {
  const { ts: ts_ } = core;
  const statements = [...file.statements];
  if (statements.some((statement) => bindsRuntime(ts_, statement))) return file;
  let prologueEnd = 0;
  while (prologueEnd < statements.length && isPrologueDirective(ts_, statements[prologueEnd]!)) prologueEnd++;
  statements.splice(prologueEnd, 0, runtimeImport(factory, ts_, emitsCommonJs(core, file)));
  return factory.updateSourceFile(file, statements);
}

/** Whether this file is emitted as CommonJS (per file under node16/nodenext: .cts, package.json "type"). */
function emitsCommonJs(core: Core, file: ts.SourceFile): boolean {
  const { ts: ts_, program } = core;
  if (!program) return writtenAsCommonJs(ts_, file);
  // Public on Program since TypeScript 5.6 (typed internal); asked first because it knows every rule.
  const format = (program as { getEmitModuleFormatOfFile?: (f: ts.SourceFile) => ts.ModuleKind }).getEmitModuleFormatOfFile?.(file);
  if (format !== undefined) return format === ts_.ModuleKind.CommonJS;
  const options = program.getCompilerOptions();
  const module = options.module ?? (options.target !== undefined && options.target >= ts_.ScriptTarget.ES2015 ? ts_.ModuleKind.ES2015 : ts_.ModuleKind.CommonJS);
  if (module >= ts_.ModuleKind.Node16 && module <= ts_.ModuleKind.NodeNext) {
    return file.impliedNodeFormat !== ts_.ModuleKind.ESNext;
  }
  return module === ts_.ModuleKind.CommonJS;
}

/** `"use strict";` and friends: they must stay first, so the runtime import goes after them. */
function isPrologueDirective(ts_: typeof ts, statement: ts.Statement): boolean {
  return ts_.isExpressionStatement(statement) && ts_.isStringLiteral(statement.expression);
}


