import type * as ts from 'typescript';
import { typedRecogniser, type Core } from './core-types';
import { findNearMisses, isFileIgnored, isStatementIgnored, mentionsIgnore, type NearMiss } from './directives';
import type { Gap } from './gaps';
import { packageMajorOf, packageNameOf } from './packages';
import {
  isRuntimeCall,
  isUntypedAt,
  matchAppFactory,
  matchClientCall,
  matchClientInstance,
  matchClientValue,
  matchGlobalClient,
  matchRegistration,
  matchRegistrationValue,
  resolvedDeclaration,
  valuePosition,
  type Recogniser,
  type RegistrationMatch,
  type ValuePosition,
} from './recognise';
import {
  appFactoryByImports,
  globalName,
  mayTrackFunctions,
  mayTrackImports,
  clientCallByImports,
  clientInstanceByImports,
  globalClientByImports,
  registrationByImports,
  registrationValueByImports,
  uncertainSiteByImports,
} from './recognise-imports';
import { argumentRuleByImports, constructedWith, literalArgument, matchArgumentRule } from './recognise-arguments';
import type { SiteRecord } from './report';
import {
  CLIENT_CALL_RULES,
  GLOBAL_CLIENT_RULES,
  isCandidateGlobal,
  mayCreateApps,
  RUNTIME_BINDING,
  type AppFactoryRule,
  type ArgumentRule,
  type ClientCallRule,
  type CallSiteKind,
  type ClientInstanceRule,
  type GlobalClientRule,
  type RegistrationRule,
} from './rules/index';
import { mayDeclareControllers, nestController, type NestControllerAction } from './nest';
import { enclosingFunctionName, ownName, urlTemplate, type SiteInfo } from './sites';
import { mayMeetTracedTypes } from './reach';
import { datastoreFacts } from './sql-facts';
import { matchDynamicCall, matchUnsupportedClient, matchUntracedImport, matchUntypedSite, mentionsUntracedPackage, type UnsupportedMatch } from './unsupported';

// Recognise and decide, once per file: every site autotrace sees becomes a record (for the report), and every site
// it will rewrite an action keyed by its original node (for the transform). The transform only applies actions, so
// the report and the emitted code cannot disagree.

/** What the transform does at one original node. */
export type Action =
  | { readonly type: 'wrapArguments'; readonly rule: RegistrationRule; readonly sites: ReadonlyMap<number, SiteInfo> }
  | { readonly type: 'wrapProperty'; readonly rule: RegistrationRule; readonly optionsIndex: number; readonly property: string; readonly site: SiteInfo }
  | { readonly type: 'wrapApp'; readonly rule: AppFactoryRule; readonly site: SiteInfo | undefined }
  | { readonly type: 'redirectGlobal'; readonly rule: GlobalClientRule; readonly site: SiteInfo }
  | { readonly type: 'callThrough'; readonly rule: ClientCallRule; readonly site: SiteInfo }
  | { readonly type: 'callOnFacade'; readonly rule: ClientInstanceRule; readonly site: SiteInfo }
  | { readonly type: 'wrapArgumentAt'; readonly rule: ArgumentRule; readonly index: number; readonly site: SiteInfo }
  | NestControllerAction;

export interface FilePlan {
  readonly records: readonly SiteRecord[];
  readonly gaps: readonly Gap[];
  readonly actions: ReadonlyMap<ts.Node, Action>;
  /** Comments meant as opt-outs that are not obeyed (misspelled, misplaced): they change nothing but are reported. */
  readonly nearMisses: readonly NearMiss[];
}

/** Why a site is left alone on purpose: the report's status and reason. */
interface OptOut {
  readonly status: 'ignored' | 'excluded';
  readonly reason: string;
}

const EXCLUDED: OptOut = { status: 'excluded', reason: 'its file matches the exclude option' };
const IGNORED_FILE: OptOut = { status: 'ignored', reason: 'its file opts out with // @autotrace-ignore-file' };
const IGNORED: OptOut = { status: 'ignored', reason: 'its statement opts out with // @autotrace-ignore' };

export function planFile(core: Core, file: ts.SourceFile): FilePlan {
  const { ts: ts_ } = core;
  const records: SiteRecord[] = [];
  const gaps: Gap[] = [];
  const actions = new Map<ts.Node, Action>();
  if (file.isDeclarationFile) return { records, gaps, actions, nearMisses: [] };
  ensureParents(ts_, file);
  const checksDirectives = mentionsIgnore(file.text);
  const checksFactories = mayCreateApps(file.text);
  const checksControllers = mayDeclareControllers(file.text);
  const typed = typedRecogniser(core);
  // The rule table's checker questions, where the file can meet a traced package's types (transformer/reach.ts).
  const asksChecker = typed && core.program && !mayMeetTracedTypes(ts_, core.program, file) ? undefined : typed;
  const tracksImports = mayTrackImports(ts_, file);
  // An import of an untraced package is looked for only in a file whose text names one (the walk meets every node).
  let untracedNamed: boolean | undefined;
  const namesUntracedPackage = () => (untracedNamed ??= mentionsUntracedPackage(file.text));
  let functionsTracked: boolean | undefined;
  const tracksFunctions = () => (functionsTracked ??= tracksImports && mayTrackFunctions(file));
  /**
   * Asks the checker first. Import tracking answers where there is no checker, and where the checker sees only
   * `any`/`unknown` at `subject` (a `require` in a .ts file): never against a type the checker did resolve. That one
   * question goes before import tracking: after the type check it is a cached answer, while tracking follows the
   * subject's value through the file (a third of the plugin's time when it came first).
   */
  const ask = <T>(byChecker: (r: Recogniser) => T | undefined, byImports: () => T | undefined, subject: ts.Expression, importsMayAnswer = true) => {
    if (asksChecker) {
      const match = byChecker(asksChecker);
      if (match) return { match, by: 'checker' as const };
    }
    if (!tracksImports || !importsMayAnswer || (typed && !isUntyped(subject))) return undefined;
    const match = byImports();
    return match ? { match, by: 'imports' as const } : undefined;
  };
  // Asked of the same receiver or callee by up to six questions of one call: the checker works out its type again
  // each time (a third of the plan's time on a large project before this memo).
  const untypedSubjects = new Map<ts.Expression, boolean>();
  const isUntyped = (subject: ts.Expression): boolean => {
    let untyped = untypedSubjects.get(subject);
    if (untyped !== undefined) return untyped;
    // A method the checker types is read off a receiver it types (a member of `any` or `unknown` is `any`): asked of
    // `res.json`, one question answers for `res` too.
    const member = subject.parent;
    const calledMember = ts_.isPropertyAccessExpression(member) && member.expression === subject && ts_.isCallExpression(member.parent) && member.parent.expression === member;
    // A callee the checker resolved to a declared signature is typed: after the type check that is the call's cached
    // answer, where the callee's own type is worked out again (a fifth of the plan on a large project).
    const callee = (ts_.isCallExpression(member) || ts_.isNewExpression(member)) && member.expression === subject;
    untyped = (calledMember && !isUntyped(member)) || (callee && resolvedDeclaration(typed!, member) !== undefined) ? false : isUntypedAt(typed!, subject);
    untypedSubjects.set(subject, untyped);
    return untyped;
  };
  /** Whether import tracking may speak about this receiver: no checker, or one that sees only `any`/`unknown` there. */
  const receiverUntyped = (subject: ts.Expression) => !typed || isUntyped(subject);
  // A file that can hold no site is not walked: no checker question can meet a traced type in it, import tracking
  // has nothing to follow, and it names no app factory, controller, untraced package or code autotrace emitted.
  const mayHoldSites =
    asksChecker !== undefined ||
    tracksImports ||
    checksFactories ||
    checksControllers ||
    file.text.includes(RUNTIME_BINDING) ||
    namesUntracedPackage();
  if (!mayHoldSites) return { records, gaps, actions, nearMisses: findNearMisses(ts_, file, core.projectRoot) };
  const fileOptOut = core.isExcluded(file.fileName) ? EXCLUDED : isFileIgnored(ts_, file) ? IGNORED_FILE : undefined;

  /** Records a site; acts on it only when nobody opted it out. */
  const site = (node: ts.Node, fields: SiteFields, optedOut: OptOut | undefined, action?: Action) => {
    const where = core.locate(node, undefined);
    if (optedOut) {
      records.push({ ...where, ...fields, status: optedOut.status, reason: optedOut.reason });
      return;
    }
    records.push({ ...where, ...fields, status: 'instrumented' });
    if (action) actions.set(node, action);
  };
  /** Records a site autotrace sees but leaves as written, with what it is and why. */
  const unsupported = (node: ts.Node, match: UnsupportedMatch, optedOut: OptOut | undefined) => {
    const { what, why, ...fields } = match;
    if (optedOut) return site(node, fields, optedOut);
    const where = core.locate(node, undefined);
    records.push({ ...where, ...fields, status: 'unsupported', reason: `${what}: ${why}` });
    gaps.push({ file: where.file, line: where.line, column: where.column, what, why });
  };

  const visitCall = (call: ts.CallExpression, optedOut: OptOut | undefined): void => {
    if (isRuntimeCall(core, call)) {
      // Code autotrace already rewrote (output instrumented again): a redirected client call is still a traced site.
      const client = redirectedClient((call.expression as ts.PropertyAccessExpression).name.text);
      if (client) site(call, { kind: 'client', client, ...bakedFacts(ts_, call), recogniser: typed ? 'checker' : 'imports' }, optedOut);
      return;
    }
    const callee = call.expression;
    const receiver = ts_.isPropertyAccessExpression(callee) ? callee.expression : callee;
    const registration = ask((r) => matchRegistration(r, call), () => registrationByImports(ts_, call), receiver);
    if (registration) return visitRegistration(call, registration.match, registration.by, optedOut);
    if (visitArgumentRule(call, optedOut)) return;
    if (checksFactories && visitFactory(call, optedOut)) return;
    const global = ask((r) => matchGlobalClient(r, call), () => globalClientByImports(ts_, callee), callee);
    const client = global ? undefined : ask((r) => matchClientCall(r, call), () => clientCallByImports(ts_, callee), callee);
    const instance = global || client ? undefined : ask((r) => matchClientInstance(r, call), () => clientInstanceByImports(ts_, call), receiver);
    const found = global ?? client ?? instance;
    const clientName = global?.match.client ?? client?.match.client ?? instance?.match.rule.client;
    if (found && clientName !== undefined) {
      const kind = callSiteKind(client?.match.kind ?? instance?.match.rule.kind, call, ts_);
      const destinations = instance?.match.rule.destination;
      const fromConstructor = instance?.match.rule.destinationFromConstructor === true;
      const destination = fromConstructor ? constructedWith(ts_, typed?.checker, instance!.match.instance) : undefined;
      // A datastore call's site and record say what it does: a Redis command from the method called, a SQL query's
      // summary from its literal text (transformer/sql-facts.ts); never an HTTP method or URL.
      const operation = instance && operationOf(ts_, instance.match.rule, call);
      const byCommand = kind === 'datastore' && instance?.match.rule.operationOf !== undefined;
      const datastore = kind === 'datastore' && !byCommand && instance && !isRuntimeCall(core, instance.match.instance) ? datastoreFacts(core, call, instance.match.rule.sql) : undefined;
      const facts = byCommand
        ? operation !== undefined ? { operation } : {}
        : datastore
          ? datastore.known ? datastore.record : {}
          : destinations ? destinationFacts(ts_, call, destinations) : fromConstructor ? {} : clientFacts(core, call, instance !== undefined);
      const fields = { kind, client: clientName, ...facts, ...(destination !== undefined ? { destination } : {}), recogniser: found.by };
      if (datastore && !datastore.known) return unsupported(call, { ...fields, what: datastore.what, why: datastore.why }, optedOut);
      if (instance && isRuntimeCall(core, instance.match.instance)) return site(call, fields, optedOut); // traced already
      if (isOptionalCall(ts_, call)) {
        const what = `optional call ${call.expression.getText()}?.(…)`;
        return unsupported(call, { ...fields, what, why: 'it may mean "only if there is one"; call it plainly to trace it' }, optedOut);
      }
      const untraced = instance && typed && untracedReceiver(typed, instance.match.rule, instance.match.instance);
      if (untraced !== undefined) {
        const what = `${call.expression.getText()}(…) on a ${untraced} of ${clientName}`;
        return unsupported(call, { ...fields, what, why: `autotrace does not trace ${untraced} yet; its calls are left as written` }, optedOut);
      }
      const unknownMajor = instance && unknownVersion(instance.match.rule, instance.match.declaredAt);
      if (unknownMajor !== undefined) {
        const what = `${call.expression.getText()}(…) on ${clientName} ${unknownMajor}`;
        const why = `autotrace knows ${instance!.match.rule.typesPackage} ${instance!.match.rule.majors!.map((major) => `${major}.x`).join(', ')}; a call through another version is left as written`;
        return unsupported(call, { ...fields, what, why }, optedOut);
      }
      const info = datastore?.known ? datastore.site : byCommand ? datastoreSite(core, call, operation) : clientSite(core, call, !destinations);
      const action: Action = global
        ? { type: 'redirectGlobal', rule: global.match, site: info }
        : client
          ? { type: 'callThrough', rule: client.match, site: info }
          : { type: 'callOnFacade', rule: instance!.match.rule, site: info };
      return site(call, fields, optedOut, action);
    }
    const black =
      (asksChecker && matchDynamicCall(asksChecker, call)) ||
      matchUnsupportedClient(ts_, asksChecker, call) ||
      (tracksImports && receiverUntyped(receiver) ? uncertainSiteByImports(ts_, call) : undefined) ||
      (typed && matchUntypedSite(typed, call, isUntyped));
    if (black) unsupported(call, black, optedOut);
  };

  const visitRegistration = (call: ts.CallExpression, match: RegistrationMatch, by: Recognised, optedOut: OptOut | undefined): void => {
    const { rule } = match;
    const fields = { kind: rule.kind, framework: rule.framework, ...registrationFacts(core, call, rule), recogniser: by };
    if (typeof rule.handlers === 'object') {
      if (match.optionsIndex === undefined) {
        const what = `${call.expression.getText()}(options) with options that are not an object literal`;
        const why = 'its handler cannot be wrapped where it is written; the request still gets its span from the app';
        return unsupported(call, { ...fields, what, why }, optedOut);
      }
      const options = call.arguments[match.optionsIndex] as ts.ObjectLiteralExpression;
      const property = rule.handlers.property;
      const handler = handlerProperty(ts_, options, property);
      if (!handler) return;
      if (ts_.isPropertyAssignment(handler) && isRuntimeCall(core, handler.initializer)) return site(call, fields, optedOut);
      const info = handlerSite(core, options, undefined, undefined);
      return site(call, fields, optedOut, { type: 'wrapProperty', rule, optionsIndex: match.optionsIndex, property, site: info });
    }
    // No handler among the arguments: `app.get('env')` reads a setting.
    if (match.handlerIndexes.length === 0) return;
    const sites = new Map<number, SiteInfo>();
    for (const index of match.handlerIndexes) {
      const original = call.arguments[index]!;
      const value = ts_.isSpreadElement(original) ? original.expression : original;
      if (!isRuntimeCall(core, value)) sites.set(index, handlerSite(core, original, ownName(ts_, original), match.mountPath));
    }
    site(call, fields, optedOut, sites.size > 0 ? { type: 'wrapArguments', rule, sites } : undefined);
  };

  /**
   * `new Worker(queue, processor)`, `server.addService(service, implementation)`, `new Client(address, credentials)`:
   * true when an argument rule matches (recorded, and its argument wrapped unless it already is, or is a black box).
   */
  const visitArgumentRule = (node: ts.CallExpression | ts.NewExpression, optedOut: OptOut | undefined): boolean => {
    const found = ask((r) => matchArgumentRule(r, node), () => argumentRuleByImports(ts_, node), ts_.isNewExpression(node) ? node.expression : receiverOf(ts_, node));
    if (!found) return false;
    const rule = found.match;
    const args = node.arguments ?? [];
    const destination = rule.destinationArgument !== undefined ? literalArgument(ts_, typed?.checker, args[rule.destinationArgument]) : undefined;
    const fields: SiteFields = {
      kind: rule.kind,
      ...(rule.framework !== undefined ? { framework: rule.framework } : {}),
      ...(rule.client !== undefined ? { client: rule.client } : {}),
      ...(destination !== undefined ? { destination } : {}),
      recogniser: found.by,
    };
    const argument = args[rule.argument];
    // `new Worker(name)` has no processor; `new C` without parentheses or with too few arguments is left alone.
    const absentAndAdded = argument === undefined && rule.whenAbsent === true && node.arguments !== undefined && args.length === rule.argument;
    if (!argument && !absentAndAdded) return true;
    if (argument && (ts_.isSpreadElement(argument) || args.slice(0, rule.argument).some((a) => ts_.isSpreadElement(a)))) {
      unsupported(node, { ...fields, what: `${shortText(node)} with spread arguments`, why: 'the argument to trace cannot be told where it is written' }, optedOut);
      return true;
    }
    if (argument && isRuntimeCall(core, argument)) {
      site(node, fields, optedOut);
      return true;
    }
    if (argument && rule.textIsBlackBox !== undefined && isText(ts_, typed?.checker, argument)) {
      unsupported(node, { ...fields, what: `${shortText(argument)} given to ${shortText(node.expression)}`, why: rule.textIsBlackBox }, optedOut);
      return true;
    }
    const info = handlerSite(core, argument ?? node, argument ? ownName(ts_, argument) : undefined, undefined);
    site(node, fields, optedOut, { type: 'wrapArgumentAt', rule, index: rule.argument, site: info });
    return true;
  };

  /** `express()`, `new Koa()`: true when the node is an app factory (recorded, and wrapped unless it already is). */
  const visitFactory = (node: ts.CallExpression | ts.NewExpression, optedOut: OptOut | undefined): boolean => {
    const found = ask((r) => matchAppFactory(r, node), () => appFactoryByImports(ts_, node), node.expression);
    if (!found) return false;
    const rule = found.match;
    const fields = { kind: 'app' as const, framework: rule.framework, recogniser: found.by };
    if (isRuntimeCall(core, node.parent)) {
      site(node, fields, optedOut);
      return true;
    }
    const info = core.options.redactQueryParams ? { ...core.locate(node, undefined), ...processWide(core) } : undefined;
    site(node, fields, optedOut, { type: 'wrapApp', rule, site: info });
    return true;
  };

  /** A `@Controller` class: one route site per template; one statement after it gives the runtime their sites. */
  const visitController = (node: ts.ClassDeclaration, optedOut: OptOut | undefined): void => {
    const controller = nestController(ts_, typed, node);
    if (!controller) return;
    const sites: NestControllerAction['sites'][number][] = [];
    for (const route of controller.routes) {
      const ignored = optedOut ?? (checksDirectives && isStatementIgnored(ts_, file, route.node.parent) ? IGNORED : undefined);
      const fields = { kind: 'route' as const, framework: 'nest', method: route.verb === 'all' ? undefined : route.verb.toUpperCase(), route: route.template, recogniser: route.by };
      site(route.node, fields, ignored);
      if (ignored) continue;
      const at = core.locate(route.node, `${controller.name}.${route.method}`);
      sites.push({ ...at, method: route.method, verb: route.verb, ...(route.template !== undefined ? { route: route.template } : {}) });
    }
    if (sites.length > 0) actions.set(node, { type: 'describeNestController', name: controller.name, sites });
  };

  const untracedImports: { node: ts.Node; match: UnsupportedMatch; optedOut: OptOut | undefined }[] = [];

  /** A client function or a server-making function handed on as a value (`urls.map(fetch)`, `custom ?? fetch`). */
  const handedOn = (node: ts.Identifier | ts.PropertyAccessExpression, position: ValuePosition): UnsupportedMatch | undefined => {
    // Import tracking finds a client or server-making function only where one of their modules is in reach, or fetch.
    const global = globalName(ts_, node);
    const client = ask((r) => matchClientValue(r, node), () => clientValueByImports(ts_, node), node, tracksFunctions() || (global !== undefined && isCandidateGlobal(global.text)))?.match;
    const server = client === undefined ? ask((r) => matchRegistrationValue(r, node), () => registrationValueByImports(ts_, node), node, tracksFunctions())?.match : undefined;
    if (client === undefined && !server) return undefined;
    const name = client ?? node.getText();
    const what =
      position.how === 'passed'
        ? `${name} passed as a value`
        : position.how === 'chosen'
          ? `${name} chosen at run time in ${shortText(position.within)}`
          : `${name} as a default parameter (${shortText(position.within)})`;
    const made = client !== undefined ? 'calls made through it are not traced' : 'servers made through it are not traced (their handlers are not wrapped)';
    const why =
      position.how === 'passed'
        ? `${made}; call it where it is used`
        : `${made}, as it may be another function at run time; call ${name} by name where it is used to trace it`;
    return client !== undefined ? { kind: 'client', client, what, why } : { kind: server!.kind, framework: server!.framework, what, why };
  };

  const walk = (node: ts.Node, inherited: OptOut | undefined): void => {
    let optedOut = inherited;
    if (!optedOut && checksDirectives && (ts_.isStatement(node) || ts_.isClassElement(node)) && isStatementIgnored(ts_, file, node)) {
      optedOut = IGNORED;
    }
    const position = (ts_.isIdentifier(node) || ts_.isPropertyAccessExpression(node)) && !isRuntimeCall(core, node.parent) ? valuePosition(ts_, node) : undefined;
    if (position) {
      const black = handedOn(node as ts.Identifier | ts.PropertyAccessExpression, position);
      if (black) unsupported(node, black, optedOut);
    }
    const untraced = namesUntracedPackage() ? matchUntracedImport(ts_, node) : undefined;
    if (untraced) untracedImports.push({ node, match: untraced, optedOut });
    if (checksControllers && ts_.isClassDeclaration(node)) visitController(node, optedOut);
    if (ts_.isCallExpression(node)) visitCall(node, optedOut);
    else if (ts_.isNewExpression(node) && !(checksFactories && visitFactory(node, optedOut)) && !visitArgumentRule(node, optedOut)) {
      const black = matchUnsupportedClient(ts_, asksChecker, node);
      if (black) unsupported(node, black, optedOut);
    }
    ts_.forEachChild(node, (child) => {
      // Types hold no call, no `new` and no value handed on (`typeof fetch` names a type). A class's `extends`
      // clause is a value and is walked.
      if (!isTypeOnly(ts_, child)) walk(child, optedOut);
    });
  };

  walk(file, fileOptOut);
  // An import of an untraced package is a black box, unless calls through it already are (they name the lines).
  for (const { node, match, optedOut } of untracedImports) {
    if (!records.some((record) => record.status === 'unsupported' && match.client !== undefined && record.client === match.client)) unsupported(node, match, optedOut);
  }
  return { records, gaps, actions, nearMisses: findNearMisses(ts_, file, core.projectRoot) };
}

/** Syntax that is types only: a type annotation or argument, an interface, a type alias. */
function isTypeOnly(ts_: typeof ts, node: ts.Node): boolean {
  return (ts_.isTypeNode(node) && !ts_.isExpressionWithTypeArguments(node)) || ts_.isInterfaceDeclaration(node) || ts_.isTypeAliasDeclaration(node);
}

/**
 * A program that was never bound (transpileModule's, where nothing asks for a checker) has no parent pointers; the
 * binder would set exactly these.
 */
function ensureParents(ts_: typeof ts, file: ts.SourceFile): void {
  if (file.statements.length === 0 || file.statements[0]!.parent) return;
  const link = (node: ts.Node): void => {
    ts_.forEachChild(node, (child) => {
      (child as { parent: ts.Node }).parent = node;
      link(child);
    });
  };
  link(file);
}

/** What a rewritten call's site literal says (`__autotrace.fetch({ …, urlTemplate: "/users/{id}" }, url)`). */
function bakedFacts(ts_: typeof ts, call: ts.CallExpression): { urlTemplate?: string } {
  const [site] = call.arguments;
  const template = site && ts_.isObjectLiteralExpression(site) ? literalProperty(ts_, site, 'urlTemplate') : undefined;
  return template && ts_.isStringLiteralLike(template) ? { urlTemplate: template.text } : {};
}

/** The client a runtime stand-in (`fetch`, `undiciRequest`, `httpRequest`) calls. */
function redirectedClient(runtimeExport: string): string | undefined {
  return (
    GLOBAL_CLIENT_RULES.find((rule) => rule.callInstead === runtimeExport)?.client ??
    CLIENT_CALL_RULES.find((rule) => rule.callThrough === runtimeExport)?.client
  );
}

/** What a client rule's site is in the report: the rule's kind, or its kind for the method called. */
function callSiteKind(kind: ClientInstanceRule['kind'], call: ts.CallExpression, ts_: typeof ts): CallSiteKind {
  if (kind === undefined || typeof kind === 'string') return kind ?? 'client';
  const method = ts_.isPropertyAccessExpression(call.expression) ? call.expression.name.text : undefined;
  return (method !== undefined ? kind[method] : undefined) ?? 'client';
}

type SiteFields = Omit<SiteRecord, 'file' | 'line' | 'column' | 'status' | 'reason'>;
type Recognised = 'checker' | 'imports';

/** A client function handed on as a value, known by its import (`urls.map(fetch)`, `const get = request`). */
function clientValueByImports(ts_: typeof ts, node: ts.Expression): string | undefined {
  return globalClientByImports(ts_, node)?.global ?? (ts_.isIdentifier(node) && clientCallByImports(ts_, node) ? node.text : undefined);
}

/** An expression's text for a reason, on one line and cut short. */
function shortText(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Settings every site of a build carries to the runtime, which applies them to the whole process. */
function processWide(core: Core): Pick<SiteInfo, 'redactQueryParams'> {
  const { redactQueryParams } = core.options;
  return redactQueryParams !== undefined ? { redactQueryParams } : {};
}

/** Where a handler is: it names the SERVER span's code.* attributes. */
function handlerSite(core: Core, node: ts.Node, functionName: string | undefined, mount: string | undefined): SiteInfo {
  return { ...core.locate(node, functionName), ...(mount !== undefined ? { mount } : {}), ...processWide(core) };
}

/** The operation a datastore method performs (`hSet` → HSET), as its rule says. */
function operationOf(ts_: typeof ts, rule: ClientInstanceRule, call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  return ts_.isPropertyAccessExpression(callee) ? rule.operationOf?.(callee.name.text) : undefined;
}

/** The class the receiver is, when it is one the rule lists as not traced (an ioredis `Cluster`). */
function untracedReceiver(r: Recogniser, rule: ClientInstanceRule, receiver: ts.Expression): string | undefined {
  if (!rule.notOn) return undefined;
  const type = r.checker.getTypeAtLocation(receiver);
  for (const part of type.isIntersection() || type.isUnion() ? type.types : [type]) {
    const declaration = part.getSymbol()?.declarations?.[0];
    // By the class's own name: a default-exported class's symbol is called `default`.
    const name = declaration && r.ts.isClassDeclaration(declaration) ? declaration.name?.text : undefined;
    if (name !== undefined && rule.notOn.includes(name) && packageNameOf(declaration!.getSourceFile().fileName) === rule.typesPackage) return name;
  }
  return undefined;
}

/** The declaring package's major when the rule lists the majors it knows and this is not one (`5.x`), else undefined. */
function unknownVersion(rule: ClientInstanceRule, declaredAt: string | undefined): string | undefined {
  if (!rule.majors || declaredAt === undefined) return undefined;
  const major = packageMajorOf(declaredAt);
  return major === undefined || rule.majors.includes(major) ? undefined : `${major}.x`;
}

/** Where a datastore call is, its command, and the datastore options its span applies. */
function datastoreSite(core: Core, call: ts.CallExpression, operation: string | undefined): SiteInfo {
  const { datastoreSpans, redactRedisKeys } = core.options;
  return {
    ...core.locate(call, enclosingFunctionName(core.ts, call)),
    ...(operation !== undefined ? { queryOperation: operation } : {}),
    ...(datastoreSpans === 'always' ? { rootSpans: true } : {}),
    ...(redactRedisKeys ? { redactKeys: true } : {}),
  };
}

/** Where a client call is, what its URL's path template is (a broker's call has none), and where it may propagate to. */
function clientSite(core: Core, call: ts.CallExpression, hasUrl = true): SiteInfo {
  const url = hasUrl ? urlArgument(core.ts, call) : undefined;
  const template = url && urlTemplate(core.ts, url);
  const { propagateTo } = core.options;
  return {
    ...core.locate(call, enclosingFunctionName(core.ts, call)),
    ...(template !== undefined ? { urlTemplate: template } : {}),
    ...(propagateTo !== undefined ? { propagateTo } : {}),
    ...processWide(core),
  };
}

/** The URL of a client call: its first argument, or the `url` of a config object passed first (axios). */
function urlArgument(ts_: typeof ts, call: ts.CallExpression): ts.Expression | undefined {
  const first = call.arguments[0];
  if (!first || !ts_.isObjectLiteralExpression(first)) return first;
  return literalProperty(ts_, first, 'url');
}

function literalProperty(ts_: typeof ts, object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const property of object.properties) {
    if (ts_.isPropertyAssignment(property) && ts_.isIdentifier(property.name) && property.name.text === name) return property.initializer;
  }
  return undefined;
}

const NOT_A_METHOD = new Set(['use', 'all', 'on', 'route', 'createServer', 'addListener', 'prependListener', 'once', 'request', 'del']);

/** The report's method and route of a registration, where the source says them. */
function registrationFacts(core: Core, call: ts.CallExpression, rule: RegistrationRule): { method?: string; route?: string } {
  const ts_ = core.ts;
  const callee = call.expression;
  const name = ts_.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  const facts: { method?: string; route?: string } = {};
  if (name === 'del') facts.method = 'DELETE';
  else if (name && !NOT_A_METHOD.has(name)) facts.method = name.toUpperCase();
  const first = call.arguments[0];
  if (typeof rule.handlers === 'object' && first && ts_.isObjectLiteralExpression(first)) {
    const method = literalProperty(ts_, first, 'method');
    const url = literalProperty(ts_, first, 'url');
    if (method && ts_.isStringLiteralLike(method)) facts.method = method.text.toUpperCase();
    if (url && ts_.isStringLiteralLike(url)) facts.route = url.text;
  } else if (name === 'on' && first && ts_.isStringLiteralLike(first) && rule.framework === 'hono') {
    facts.method = first.text.toUpperCase();
    const second = call.arguments[1];
    if (second && ts_.isStringLiteralLike(second)) facts.route = second.text;
  } else if (first && ts_.isStringLiteralLike(first) && rule.whenFirstArgument === undefined) {
    facts.route = first.text;
  }
  return facts;
}

const INSTANCE_METHODS = new Set(['get', 'delete', 'head', 'options', 'post', 'put', 'patch']);

/** The report's method and url.template of a client call, where the source says them. */
function clientFacts(core: Core, call: ts.CallExpression, onInstance: boolean): { method?: string; urlTemplate?: string } {
  const ts_ = core.ts;
  const facts: { method?: string; urlTemplate?: string } = {};
  const callee = call.expression;
  const name = ts_.isPropertyAccessExpression(callee) ? callee.name.text.replace(/Form$/, '') : undefined;
  if (onInstance && name && INSTANCE_METHODS.has(name)) facts.method = name.toUpperCase();
  else if (name === 'get' && !onInstance) facts.method = 'GET';
  for (const argument of call.arguments.slice(0, 2)) {
    const method = ts_.isObjectLiteralExpression(argument) ? literalProperty(ts_, argument, 'method') : undefined;
    if (method && ts_.isStringLiteralLike(method)) facts.method = method.text.toUpperCase();
  }
  const url = urlArgument(ts_, call);
  const template = url && urlTemplate(ts_, url);
  if (template !== undefined) facts.urlTemplate = template;
  return facts;
}

/** A broker call's destination for the report, from the arguments its rule names for the method (see ClientInstanceRule). */
function destinationFacts(ts_: typeof ts, call: ts.CallExpression, destinations: Readonly<Record<string, readonly number[]>>): { destination?: string } {
  const callee = call.expression;
  const indexes = ts_.isPropertyAccessExpression(callee) ? destinations[callee.name.text] : undefined;
  if (!indexes) return {};
  const names: string[] = [];
  for (const index of indexes) {
    const argument = call.arguments[index];
    if (!argument || !ts_.isStringLiteralLike(argument)) return {};
    if (argument.text !== '' && !names.includes(argument.text)) names.push(argument.text);
  }
  return names.length > 0 ? { destination: names.join(':') } : {};
}

/** The options literal's handler property (`handler: h`, `{ handler }`, `handler() {}`). */
function handlerProperty(ts_: typeof ts, options: ts.ObjectLiteralExpression, name: string): ts.ObjectLiteralElementLike | undefined {
  return options.properties.find(
    (property) =>
      property.name !== undefined &&
      ts_.isIdentifier(property.name) &&
      property.name.text === name &&
      (ts_.isPropertyAssignment(property) || ts_.isShorthandPropertyAssignment(property) || ts_.isMethodDeclaration(property)),
  );
}

/** The receiver of a method call (`server` in `server.addService(…)`), or the callee of a plain call. */
function receiverOf(ts_: typeof ts, call: ts.CallExpression): ts.Expression {
  return ts_.isPropertyAccessExpression(call.expression) ? call.expression.expression : call.expression;
}

/** A path or URL rather than a function: a string or template literal, or a value the checker types as text or URL. */
function isText(ts_: typeof ts, checker: ts.TypeChecker | undefined, node: ts.Expression): boolean {
  if (ts_.isStringLiteralLike(node) || ts_.isTemplateExpression(node)) return true;
  if (ts_.isNewExpression(node) && ts_.isIdentifier(node.expression) && node.expression.text === 'URL') return true;
  if (!checker) return false;
  const type = checker.getTypeAtLocation(node);
  const members = type.isUnion() ? type.types : [type];
  return members.every((member) => (member.flags & ts_.TypeFlags.StringLike) !== 0 || member.getSymbol()?.getName() === 'URL');
}

/** `f?.()`, `x?.f()`: a call that may not happen. */
function isOptionalCall(ts_: typeof ts, call: ts.CallExpression): boolean {
  const callee = call.expression;
  return call.questionDotToken !== undefined || (ts_.isPropertyAccessExpression(callee) && callee.questionDotToken !== undefined);
}
