import { CLIENT_RULES } from './clients';
import { DATASTORE_RULES } from './datastores';
import { JOB_RULES } from './jobs';
import { MESSAGING_RULES } from './messaging';
import { NEST_RULES } from './nest';
import { REDIS_RULES } from './redis';
import { RPC_RULES } from './rpc';
import { SERVER_RULES } from './servers';
import type {
  AppFactoryRule,
  ArgumentRule,
  ClientCallRule,
  ClientInstanceRule,
  GlobalClientRule,
  ModuleKinds,
  RegistrationRule,
  RuleSet,
  TracedModule,
  UnsupportedClientRule,
  ValueKind,
} from './types';

// The one table of what autotrace recognises, joined from its areas: web servers (servers.ts), HTTP clients
// (clients.ts), message brokers and RPC (messaging.ts), datastores (datastores.ts), Redis (redis.ts). Adding a framework or client adds
// rows to its area (and, where it needs new run-time behaviour, a wrapper in runtime/); the visitor, recognisers and
// rewriters read only the joined tables below.

export type * from './types';

const AREAS: readonly RuleSet[] = [SERVER_RULES, NEST_RULES, CLIENT_RULES, MESSAGING_RULES, JOB_RULES, RPC_RULES, DATASTORE_RULES, REDIS_RULES];

function rows<T>(pick: (area: RuleSet) => readonly T[] | undefined): readonly T[] {
  return AREAS.flatMap((area) => pick(area) ?? []);
}
function entries<T>(pick: (area: RuleSet) => Readonly<Record<string, T>> | undefined): Readonly<Record<string, T>> {
  return Object.assign({}, ...AREAS.map((area) => pick(area) ?? {}));
}

export const REGISTRATION_RULES: readonly RegistrationRule[] = rows((area) => area.registrations);
export const APP_FACTORY_RULES: readonly AppFactoryRule[] = rows((area) => area.appFactories);
export const GLOBAL_CLIENT_RULES: readonly GlobalClientRule[] = rows((area) => area.globalClients);
export const CLIENT_CALL_RULES: readonly ClientCallRule[] = rows((area) => area.clientCalls);
export const CLIENT_INSTANCE_RULES: readonly ClientInstanceRule[] = rows((area) => area.clientInstances);
/** Calls and `new`s one argument of which is wrapped where it is written (a job processor, a service implementation). */
export const ARGUMENT_RULES: readonly ArgumentRule[] = rows((area) => area.wrappedArguments);
/** Clients autotrace sees but does not trace yet: their calls are black boxes, listed in the report as unsupported. */
export const UNSUPPORTED_CLIENT_RULES: readonly UnsupportedClientRule[] = rows((area) => area.unsupportedClients);
/**
 * Modules whose values autotrace traces when it can see their types. A value typed `any` that comes from one of them
 * (`const express = require('express')` in a .ts file) cannot be traced by type and is reported, naming its origin.
 */
export const TRACED_MODULES: Readonly<Record<string, TracedModule>> = entries((area) => area.tracedModules);
/**
 * What autotrace knows of a traced module's values without a type checker (see ValueKind): the import recogniser
 * (transformer/origins.ts) follows values through a file by this table alone, then asks the same rows as the checker.
 */
export const VALUE_KINDS: Readonly<Record<string, ValueKind>> = entries((area) => area.valueKinds);
/**
 * The kinds of a module's exports (`*` the module object as `require` or `import * as` gives it, `default` its
 * default export) and of the type names it exports (for parameters annotated `(app: Express)`).
 */
export const MODULE_KINDS: Readonly<Record<string, ModuleKinds>> = entries((area) => area.moduleKinds);

/**
 * The packages whose declarations the checker questions look for (transformer/reach.ts): a file that reaches none of
 * them through its imports is not asked.
 */
export const TYPES_PACKAGES: ReadonlySet<string> = new Set(
  [...REGISTRATION_RULES, ...APP_FACTORY_RULES, ...CLIENT_CALL_RULES, ...CLIENT_INSTANCE_RULES, ...ARGUMENT_RULES, ...UNSUPPORTED_CLIENT_RULES].flatMap(
    (rule) => (rule.typesPackage !== undefined ? [rule.typesPackage] : []),
  ),
);

/** The module emitted code imports the runtime from. */
export const RUNTIME_MODULE = 'autotrace/runtime';
/** The local name emitted code binds the runtime to. */
export const RUNTIME_BINDING = '__autotrace';

const methodNames = new Set(REGISTRATION_RULES.flatMap((rule) => rule.methods));
const globalNames = new Set(GLOBAL_CLIENT_RULES.map((rule) => rule.global));
const argumentMethodNames = new Set(ARGUMENT_RULES.flatMap((rule) => (rule.on === 'construct' ? [] : rule.on.methods)));
const clientNames = new Set([
  ...CLIENT_CALL_RULES.flatMap((rule) => rule.functions),
  ...CLIENT_INSTANCE_RULES.flatMap((rule) => rule.methods),
]);

/** Cheap first filter for client calls made by name: `request(...)`, `http.get(...)`, `api.post(...)`. */
export function isCandidateClientName(name: string): boolean {
  return clientNames.has(name);
}

/** Cheap first filter for argument rules on calls: `server.addService(…)`. */
export function isCandidateArgumentMethod(name: string): boolean {
  return argumentMethodNames.has(name);
}

/** Cheap first filter before any checker call: is this a method name some rule registers with? */
export function isCandidateMethod(name: string): boolean {
  return methodNames.has(name);
}

export function isCandidateGlobal(name: string): boolean {
  return globalNames.has(name);
}

/** Whether a file's text could hold an app factory call at all (it must mention the framework's module). */
export function mayCreateApps(text: string): boolean {
  return APP_FACTORY_RULES.some((rule) => text.includes(rule.module));
}
