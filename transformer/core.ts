import type * as ts from 'typescript';
import picomatch from 'picomatch';
import { dirname, relative, sep } from 'node:path';
import { isFileIgnored, isStatementIgnored, mentionsIgnore } from './directives';
import type { AutotraceOptions } from './options';
import { printGap, type GapSink } from './gaps';
import {
  isRuntimeCall,
  matchAppFactory,
  matchClientCall,
  matchClientInstance,
  matchClientValue,
  matchGlobalClient,
  matchRegistration,
  type Recogniser,
  type RegistrationMatch,
} from './recognise';
import {
  bindsRuntime,
  callOnFacade,
  callThrough,
  redirectCall,
  runtimeImport,
  wrapArgument,
  wrapProperty,
  wrapResult,
} from './rewrite';
import { enclosingFunctionName, locate, ownName, urlTemplate, type SiteInfo } from './sites';
import { packageNameOf } from './packages';
import { mayCreateApps } from './rules';

// The transform itself, knowing nothing of ts-patch: any front door (tsconfig plugin, customTransformers, a bundler
// plugin later) builds a Core and asks for the factory.

export interface Core extends Recogniser {
  readonly program: ts.Program;
  readonly options: AutotraceOptions;
  /** The folder `exclude` globs are relative to: the tsconfig's, else the program's working directory. */
  readonly projectRoot: string;
  readonly isExcluded: (fileName: string) => boolean;
  /** Where sites that could not be traced are reported. */
  readonly reportGap: GapSink;
}

export function createCore(ts_: typeof ts, program: ts.Program, options: AutotraceOptions, reportGap: GapSink = printGap): Core {
  const configFile = program.getCompilerOptions().configFilePath;
  const projectRoot =
    typeof configFile === 'string' ? dirname(configFile) : program.getCurrentDirectory();
  const matches = options.exclude.length > 0 ? picomatch(options.exclude as string[], { dot: true }) : undefined;
  let packages: Set<string> | undefined;
  return {
    ts: ts_,
    checker: program.getTypeChecker(),
    hasPackage: (name) => (packages ??= packagesIn(program)).has(name),
    program,
    options,
    projectRoot,
    isExcluded: (fileName) => matches !== undefined && matches(relative(projectRoot, fileName).split(sep).join('/')),
    reportGap,
  };
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

function transformSourceFile(core: Core, context: ts.TransformationContext, file: ts.SourceFile): ts.SourceFile {
  const { ts: ts_ } = core;
  if (file.isDeclarationFile || core.isExcluded(file.fileName) || isFileIgnored(ts_, file)) return file;
  const { factory } = context;
  const checksDirectives = mentionsIgnore(file.text);
  const checksFactories = mayCreateApps(file.text);
  let rewrites = 0;

  const gap = (node: ts.Node, what: string, why: string) => {
    const { file: path, line, column } = locate(core.projectRoot, node, undefined);
    core.reportGap({ file: path, line, column, what, why });
  };

  const visit = (node: ts.Node): ts.Node => {
    if (checksDirectives && (ts_.isStatement(node) || ts_.isClassElement(node)) && isStatementIgnored(ts_, file, node)) {
      return node;
    }
    if ((ts_.isIdentifier(node) || ts_.isPropertyAccessExpression(node)) && !isRuntimeCall(core, node.parent)) {
      const value = matchClientValue(core, node);
      if (value) gap(node, `${value} passed as a value`, 'calls made through it are not traced; call it where it is used');
    }
    const rewritten = ts_.isCallExpression(node)
      ? visitCall(node)
      : checksFactories && ts_.isNewExpression(node)
        ? visitFactory(node)
        : undefined;
    if (rewritten) {
      rewrites++;
      return rewritten;
    }
    return ts_.visitEachChild(node, visit, context);
  };

  // Recognition asks about the original node; rewriting uses the visited one, so nested sites are rewritten too.
  const visitCall = (call: ts.CallExpression): ts.Expression | undefined => {
    if (isRuntimeCall(core, call)) return undefined;
    const registration = matchRegistration(core, call);
    if (registration) return visitRegistration(call, registration);
    if (checksFactories) {
      const created = visitFactory(call);
      if (created) return created;
    }
    const global = matchGlobalClient(core, call);
    const client = global ? undefined : matchClientCall(core, call);
    const instance = global || client ? undefined : matchClientInstance(core, call);
    if (!global && !client && (!instance || isRuntimeCall(core, instance.instance))) return undefined;
    if (isOptionalCall(ts_, call)) {
      // Redirected, `fetch?.()` would call the runtime whether or not there is a fetch: it may mean "if there is one".
      gap(call, `optional call ${call.expression.getText()}?.(…)`, 'it may mean "only if there is one"; call it plainly to trace it');
      return undefined;
    }
    const site = clientSite(core, call);
    if (global) return redirectCall(ts_, factory, global.callInstead, visitChildren(call), call, site);
    if (client) return callThrough(ts_, factory, client.callThrough, visitChildren(call), call, site);
    return callOnFacade(ts_, factory, instance!.rule.wrapWith, visitChildren(call), call, site);
  };

  const visitChildren = (call: ts.CallExpression) => ts_.visitEachChild(call, visit, context);

  const visitRegistration = (call: ts.CallExpression, match: RegistrationMatch): ts.Expression | undefined => {
    const { rule } = match;
    if (typeof rule.handlers === 'object') {
      if (match.optionsIndex === undefined) {
        gap(call, `${call.expression.getText()}(options) with options that are not an object literal`, 'its handler cannot be wrapped where it is written; the request still gets its span from the app');
        return undefined;
      }
      const options = call.arguments[match.optionsIndex] as ts.ObjectLiteralExpression;
      const property = rule.handlers.property;
      if (!hasUnwrappedProperty(core, options, property)) return undefined;
      const visited = ts_.visitEachChild(call, visit, context);
      const site = handlerSite(core, options, undefined, undefined);
      const args = visited.arguments.map((argument, index) =>
        index === match.optionsIndex
          ? wrapProperty(ts_, factory, rule.wrapWith, argument as ts.ObjectLiteralExpression, property, site)
          : argument,
      );
      return factory.updateCallExpression(visited, visited.expression, visited.typeArguments, args);
    }
    const wrapIndexes = match.handlerIndexes.filter((index) => !isRuntimeCall(core, call.arguments[index]));
    if (wrapIndexes.length === 0) return undefined;
    const visited = ts_.visitEachChild(call, visit, context);
    const args = visited.arguments.map((argument, index) => {
      if (!wrapIndexes.includes(index)) return argument;
      const original = call.arguments[index]!;
      const site = handlerSite(core, original, ownName(ts_, original), match.mountPath);
      return wrapArgument(ts_, factory, rule.wrapWith, argument, original, site);
    });
    return factory.updateCallExpression(visited, visited.expression, visited.typeArguments, args);
  };

  const visitFactory = (node: ts.CallExpression | ts.NewExpression): ts.Expression | undefined => {
    if (isRuntimeCall(core, node.parent)) return undefined;
    const app = matchAppFactory(core, node);
    if (!app) return undefined;
    const site = core.options.redactQueryParams ? { ...locate(core.projectRoot, node, undefined), ...processWide(core) } : undefined;
    return wrapResult(ts_, factory, app.wrapWith, ts_.visitEachChild(node, visit, context), node, site);
  };

  const visited = ts_.visitEachChild(file, visit, context);
  // A file with nothing recognised is returned as it came, so it emits byte-identical JS.
  if (rewrites === 0) return file;
  return withRuntimeImport(core, factory, visited);
}

/** Settings every site of a build carries to the runtime, which applies them to the whole process. */
function processWide(core: Core): Pick<SiteInfo, 'redactQueryParams'> {
  const { redactQueryParams } = core.options;
  return redactQueryParams !== undefined ? { redactQueryParams } : {};
}

/** Where a handler is: it names the SERVER span's code.* attributes. */
function handlerSite(core: Core, node: ts.Node, functionName: string | undefined, mount: string | undefined): SiteInfo {
  return { ...locate(core.projectRoot, node, functionName), ...(mount !== undefined ? { mount } : {}), ...processWide(core) };
}

/** Where a client call is, what its URL's path template is, and where it may propagate to. */
function clientSite(core: Core, call: ts.CallExpression): SiteInfo {
  const url = urlArgument(core.ts, call);
  const template = url && urlTemplate(core.ts, url);
  const { propagateTo } = core.options;
  return {
    ...locate(core.projectRoot, call, enclosingFunctionName(core.ts, call)),
    ...(template !== undefined ? { urlTemplate: template } : {}),
    ...(propagateTo !== undefined ? { propagateTo } : {}),
    ...processWide(core),
  };
}

/** The URL of a client call: its first argument, or the `url` of a config object passed first (axios). */
function urlArgument(ts_: typeof ts, call: ts.CallExpression): ts.Expression | undefined {
  const first = call.arguments[0];
  if (!first || !ts_.isObjectLiteralExpression(first)) return first;
  for (const property of first.properties) {
    if (ts_.isPropertyAssignment(property) && ts_.isIdentifier(property.name) && property.name.text === 'url') {
      return property.initializer;
    }
  }
  return undefined;
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
  const { ts: ts_ } = core;
  // Public on Program since TypeScript 5.6 (typed internal); asked first because it knows every rule.
  const format = (core.program as { getEmitModuleFormatOfFile?: (f: ts.SourceFile) => ts.ModuleKind })
    .getEmitModuleFormatOfFile?.(file);
  if (format !== undefined) return format === ts_.ModuleKind.CommonJS;
  const options = core.program.getCompilerOptions();
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

/** Whether an options literal has the handler property, not yet wrapped (the input may be transformed output). */
function hasUnwrappedProperty(core: Core, options: ts.ObjectLiteralExpression, name: string): boolean {
  const { ts: ts_ } = core;
  return options.properties.some((property) => {
    if (property.name === undefined || !ts_.isIdentifier(property.name) || property.name.text !== name) return false;
    if (ts_.isPropertyAssignment(property)) return !isRuntimeCall(core, property.initializer);
    return ts_.isShorthandPropertyAssignment(property) || ts_.isMethodDeclaration(property);
  });
}

/** `f?.()`, `x?.f()`: a call that may not happen. */
function isOptionalCall(ts_: typeof ts, call: ts.CallExpression): boolean {
  const callee = call.expression;
  return call.questionDotToken !== undefined || (ts_.isPropertyAccessExpression(callee) && callee.questionDotToken !== undefined);
}
