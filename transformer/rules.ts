// The one table of what autotrace recognises. Adding a framework or client adds rows here (and, where it needs new
// run-time behaviour, a wrapper in runtime/); the visitor, recognisers and rewriters read only this table.

/** Names exported by autotrace/runtime that emitted code calls. */
export type RuntimeExport = 'expressApp' | 'expressRoute' | 'expressUse' | 'fetch';

/** A method call that registers handlers: `receiver.method([path], ...handlers)`. */
export interface RegistrationRule {
  readonly framework: string;
  /** The npm package whose declarations type the method (read from its package.json `name`). */
  readonly typesPackage: string;
  /** Interfaces that declare the method: a look-alike declared anywhere else is never touched. */
  readonly declaredIn: readonly string[];
  readonly methods: readonly string[];
  /** Wraps each handler argument. */
  readonly wrapWith: RuntimeExport;
  /** Passes the leading path argument's literal value to the wrapper (a mount path joins the route template). */
  readonly passesMountPath: boolean;
}

/** A call that creates an application: its result is wrapped so every request gets a span, 404s included. */
export interface AppFactoryRule {
  readonly framework: string;
  /** The module a file must mention to hold such a call (a cheap filter before asking the checker). */
  readonly module: string;
  /** The package whose `export =` function creates the app. */
  readonly typesPackage: string;
  readonly wrapWith: RuntimeExport;
}

/** A call to a global HTTP client function, redirected to the runtime's traced stand-in. */
export interface GlobalClientRule {
  readonly client: string;
  /** The global's name; also reached as `globalThis.<name>`. */
  readonly global: string;
  readonly callInstead: RuntimeExport;
}

// Every verb @types/express-serve-static-core declares on IRouter / IRoute (Express's own `methods` list).
const EXPRESS_VERBS = [
  'all', 'get', 'post', 'put', 'delete', 'patch', 'options', 'head', 'checkout', 'connect', 'copy', 'lock', 'merge',
  'mkactivity', 'mkcol', 'move', 'm-search', 'notify', 'propfind', 'proppatch', 'purge', 'report', 'search',
  'subscribe', 'trace', 'unlock', 'unsubscribe', 'link', 'unlink',
] as const;

const EXPRESS_TYPES = '@types/express-serve-static-core';

export const REGISTRATION_RULES: readonly RegistrationRule[] = [
  {
    framework: 'express',
    typesPackage: EXPRESS_TYPES,
    declaredIn: ['IRouter', 'IRoute', 'Application'],
    methods: EXPRESS_VERBS,
    wrapWith: 'expressRoute',
    passesMountPath: false,
  },
  {
    framework: 'express',
    typesPackage: EXPRESS_TYPES,
    declaredIn: ['IRouter', 'Application'],
    methods: ['use'],
    wrapWith: 'expressUse',
    passesMountPath: true,
  },
];

export const APP_FACTORY_RULES: readonly AppFactoryRule[] = [
  { framework: 'express', module: 'express', typesPackage: '@types/express', wrapWith: 'expressApp' },
];

export const GLOBAL_CLIENT_RULES: readonly GlobalClientRule[] = [
  { client: 'fetch', global: 'fetch', callInstead: 'fetch' },
];

/** The module emitted code imports the runtime from. */
export const RUNTIME_MODULE = 'autotrace/runtime';
/** The local name emitted code binds the runtime to. */
export const RUNTIME_BINDING = '__autotrace';

const methodNames = new Set(REGISTRATION_RULES.flatMap((rule) => rule.methods));
const globalNames = new Set(GLOBAL_CLIENT_RULES.map((rule) => rule.global));

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
