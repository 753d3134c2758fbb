// The one table of what autotrace recognises. Adding a framework or client adds rows here (and, where it needs new
// run-time behaviour, a wrapper in runtime/); the visitor, recognisers and rewriters read only this table.

/** Names exported by autotrace/runtime that emitted code calls. */
export type RuntimeExport =
  | 'expressApp'
  | 'expressRoute'
  | 'expressUse'
  | 'fastifyApp'
  | 'fastifyHandler'
  | 'koaApp'
  | 'koaMiddleware'
  | 'koaRoute'
  | 'honoApp'
  | 'honoMiddleware'
  | 'honoRoute'
  | 'httpHandler'
  | 'fetch'
  | 'undiciFetch'
  | 'undiciRequest'
  | 'httpRequest'
  | 'axios';

/**
 * A call that registers handlers: `receiver.method(...paths, ...handlers)`, or a plain function such as
 * `createServer(options, handler)`. Recognised when the checker resolves the method or function to a declaration
 * inside one of `declaredIn` (an interface, class or `declare module` block) in a file owned by `typesPackage`.
 */
export interface RegistrationRule {
  readonly framework: string;
  /** What the report calls a site of this rule: an endpoint's handler, or middleware on the way. */
  readonly kind: 'route' | 'middleware';
  /** The npm package whose declarations type the method (read from its package.json `name`). */
  readonly typesPackage: string;
  /** Interfaces, classes or ambient modules that declare the method: a look-alike declared elsewhere is never touched. */
  readonly declaredIn: readonly string[];
  readonly methods: readonly string[];
  /** Wraps each handler. */
  readonly wrapWith: RuntimeExport;
  /** Where the handlers are: function arguments after any leading path/name strings, or an options object's property. */
  readonly handlers: 'arguments' | { readonly property: string };
  /** Passes the leading path argument's literal value to the wrapper (a mount path joins the route template). */
  readonly passesMountPath?: boolean;
  /** Only when the first argument is this string literal (`server.on('request', handler)`). */
  readonly whenFirstArgument?: string;
}

/** A call or `new` that creates an application: its result is wrapped so every request gets a span, 404s included. */
export interface AppFactoryRule {
  readonly framework: string;
  /** The module a file must mention to hold such a call (a cheap filter before asking the checker). */
  readonly module: string;
  /** The package that declares the factory. */
  readonly typesPackage: string;
  /** `call` of the module's `export =` function, or `new` of the named class. */
  readonly creates: { readonly call: 'export=' } | { readonly construct: string };
  readonly wrapWith: RuntimeExport;
}

/**
 * A call to an HTTP client function, made through the runtime with the function itself as an argument:
 * `request(url, opts)` → `__autotrace.undiciRequest(site, request, url, opts)`. Recognised by the callee's type, so
 * named, default and namespace imports all count, and a local function of the same name does not.
 */
export interface ClientCallRule {
  readonly client: string;
  readonly typesPackage: string;
  /** Ambient modules (`declare module "http"`) or `(module)` for a package's own top-level declarations. */
  readonly declaredIn: readonly string[];
  readonly functions: readonly string[];
  readonly callThrough: RuntimeExport;
}

/**
 * Calls on a client instance, made through a traced facade: `api.get(url)` → `__autotrace.axios(site, api).get(url)`
 * and `api(config)` → `__autotrace.axios(site, api)(config)`. The facade runs the real call unchanged.
 */
export interface ClientInstanceRule {
  readonly client: string;
  readonly typesPackage: string;
  /** Classes or interfaces that declare the request methods. */
  readonly declaredIn: readonly string[];
  readonly methods: readonly string[];
  /** Interfaces whose call signatures make the instance itself callable (`axios(config)`). */
  readonly callableIn: readonly string[];
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
const FASTIFY_VERBS = ['all', 'get', 'post', 'put', 'delete', 'patch', 'options', 'head', 'search', 'propfind', 'proppatch', 'mkcol', 'copy', 'move', 'lock', 'unlock', 'trace', 'report', 'mkcalendar'] as const;
const KOA_ROUTER_VERBS = ['all', 'get', 'post', 'put', 'delete', 'del', 'patch', 'options', 'head', 'link', 'unlink'] as const;
const HONO_VERBS = ['all', 'get', 'post', 'put', 'delete', 'patch', 'options', 'on'] as const;

const EXPRESS_TYPES = '@types/express-serve-static-core';

export const REGISTRATION_RULES: readonly RegistrationRule[] = [
  // Express 4 and 5 (typed by @types/express 4 / 5).
  { kind: 'route', framework: 'express', typesPackage: EXPRESS_TYPES, declaredIn: ['IRouter', 'IRoute', 'Application'], methods: EXPRESS_VERBS, wrapWith: 'expressRoute', handlers: 'arguments' },
  { kind: 'middleware', framework: 'express', typesPackage: EXPRESS_TYPES, declaredIn: ['IRouter', 'Application'], methods: ['use'], wrapWith: 'expressUse', handlers: 'arguments', passesMountPath: true },
  // Fastify 4 and 5 (own types): shorthand routes and `route({ method, url, handler })`.
  { kind: 'route', framework: 'fastify', typesPackage: 'fastify', declaredIn: ['FastifyInstance'], methods: FASTIFY_VERBS, wrapWith: 'fastifyHandler', handlers: 'arguments' },
  { kind: 'route', framework: 'fastify', typesPackage: 'fastify', declaredIn: ['FastifyInstance'], methods: ['route'], wrapWith: 'fastifyHandler', handlers: { property: 'handler' } },
  // Koa 2 and 3 (@types/koa) and @koa/router (own types).
  { kind: 'middleware', framework: 'koa', typesPackage: '@types/koa', declaredIn: ['Application'], methods: ['use'], wrapWith: 'koaMiddleware', handlers: 'arguments' },
  { kind: 'route', framework: 'koa', typesPackage: '@koa/router', declaredIn: ['RouterImplementation', 'Router'], methods: KOA_ROUTER_VERBS, wrapWith: 'koaRoute', handlers: 'arguments' },
  { kind: 'middleware', framework: 'koa', typesPackage: '@koa/router', declaredIn: ['RouterImplementation', 'Router'], methods: ['use'], wrapWith: 'koaMiddleware', handlers: 'arguments' },
  // Hono 4 (own types; served by @hono/node-server).
  { kind: 'route', framework: 'hono', typesPackage: 'hono', declaredIn: ['Hono'], methods: HONO_VERBS, wrapWith: 'honoRoute', handlers: 'arguments' },
  { kind: 'middleware', framework: 'hono', typesPackage: 'hono', declaredIn: ['Hono'], methods: ['use'], wrapWith: 'honoMiddleware', handlers: 'arguments' },
  // node:http and node:https (@types/node): no router, so the span is named by the method alone.
  { kind: 'route', framework: 'node:http', typesPackage: '@types/node', declaredIn: ['http', 'https'], methods: ['createServer'], wrapWith: 'httpHandler', handlers: 'arguments' },
  { kind: 'route', framework: 'node:http', typesPackage: '@types/node', declaredIn: ['Server'], methods: ['on', 'addListener', 'prependListener', 'once'], wrapWith: 'httpHandler', handlers: 'arguments', whenFirstArgument: 'request' },
];

export const APP_FACTORY_RULES: readonly AppFactoryRule[] = [
  { framework: 'express', module: 'express', typesPackage: '@types/express', creates: { call: 'export=' }, wrapWith: 'expressApp' },
  { framework: 'fastify', module: 'fastify', typesPackage: 'fastify', creates: { call: 'export=' }, wrapWith: 'fastifyApp' },
  { framework: 'koa', module: 'koa', typesPackage: '@types/koa', creates: { construct: 'Application' }, wrapWith: 'koaApp' },
  { framework: 'hono', module: 'hono', typesPackage: 'hono', creates: { construct: 'Hono' }, wrapWith: 'honoApp' },
];

export const GLOBAL_CLIENT_RULES: readonly GlobalClientRule[] = [
  { client: 'fetch', global: 'fetch', callInstead: 'fetch' },
];

export const CLIENT_CALL_RULES: readonly ClientCallRule[] = [
  { client: 'undici', typesPackage: 'undici', declaredIn: ['(module)'], functions: ['fetch'], callThrough: 'undiciFetch' },
  { client: 'undici', typesPackage: 'undici', declaredIn: ['(module)'], functions: ['request'], callThrough: 'undiciRequest' },
  { client: 'node:http', typesPackage: '@types/node', declaredIn: ['http', 'https'], functions: ['request', 'get'], callThrough: 'httpRequest' },
];

const AXIOS_METHODS = ['request', 'get', 'delete', 'head', 'options', 'post', 'put', 'patch', 'postForm', 'putForm', 'patchForm'] as const;

export const CLIENT_INSTANCE_RULES: readonly ClientInstanceRule[] = [
  { client: 'axios', typesPackage: 'axios', declaredIn: ['Axios'], methods: AXIOS_METHODS, callableIn: ['AxiosInstance', 'AxiosStatic'], wrapWith: 'axios' },
];

/**
 * HTTP clients autotrace sees but does not trace yet: their calls are black boxes, listed in the report as unsupported.
 * Recognised by import (any call made through a binding of one of `modules`, or `new` of one of `constructs`) or, for
 * `methods`, by the declaration behind the method as for the traced clients.
 */
export interface UnsupportedClientRule {
  readonly client: string;
  readonly modules?: readonly string[];
  /** Only these named exports of the modules (a class to `new`, a function to call); default: every binding. */
  readonly exports?: readonly string[];
  readonly typesPackage?: string;
  readonly declaredIn?: readonly string[];
  readonly methods?: readonly string[];
}

export const UNSUPPORTED_CLIENT_RULES: readonly UnsupportedClientRule[] = [
  { client: 'got', modules: ['got'] },
  { client: 'node-fetch', modules: ['node-fetch'] },
  { client: 'superagent', modules: ['superagent'] },
  { client: 'ky', modules: ['ky'] },
  { client: 'needle', modules: ['needle'] },
  { client: 'request', modules: ['request', 'request-promise', 'request-promise-native'] },
  { client: 'cross-fetch', modules: ['cross-fetch', 'isomorphic-fetch'] },
  { client: 'http2', modules: ['http2', 'node:http2'], exports: ['connect'] },
  { client: 'http2', typesPackage: '@types/node', declaredIn: ['ClientHttp2Session'], methods: ['request'] },
  { client: 'undici Dispatcher', modules: ['undici'], exports: ['Pool', 'Client', 'Agent', 'BalancedPool', 'ProxyAgent', 'RetryAgent', 'EnvHttpProxyAgent', 'stream', 'pipeline', 'connect', 'upgrade'] },
  { client: 'undici Dispatcher', typesPackage: 'undici', declaredIn: ['Dispatcher'], methods: ['request', 'stream', 'pipeline', 'dispatch', 'connect', 'upgrade'] },
];

/**
 * Modules whose values autotrace traces when it can see their types. A value typed `any` that comes from one of them
 * (`const express = require('express')` in a .ts file) cannot be traced by type and is reported, naming its origin.
 */
export const TRACED_MODULES: Readonly<Record<string, { readonly framework?: string; readonly client?: string }>> = {
  express: { framework: 'express' },
  fastify: { framework: 'fastify' },
  koa: { framework: 'koa' },
  '@koa/router': { framework: 'koa' },
  hono: { framework: 'hono' },
  http: { framework: 'node:http', client: 'node:http' },
  https: { framework: 'node:http', client: 'node:http' },
  axios: { client: 'axios' },
  undici: { client: 'undici' },
};

/**
 * What autotrace knows of a traced module's values without a type checker: for each kind of value, the declaration
 * the checker would have resolved it to (`is`: a type in a package, matched against the rows above), what calling it,
 * `new`-ing it or reading a member gives, and the app factory it is. The import recogniser (transformer/origins.ts)
 * follows values through a file by this table alone, then asks the same rows above as the checker path does.
 */
export interface ValueKind {
  /** The type the checker would name: registration and client-instance rows declared in it apply. */
  readonly is?: { readonly typesPackage: string; readonly owner: string };
  /** A function the checker would name: client-call and registration-function rows with this name apply. */
  readonly fn?: { readonly typesPackage: string; readonly owner: string; readonly name: string };
  readonly call?: string;
  readonly construct?: string;
  readonly members?: Readonly<Record<string, string>>;
  /** Calling (or `new`-ing) it creates an app of this framework: wrapped as the app-factory row says. */
  readonly createsApp?: string;
}

export const VALUE_KINDS: Readonly<Record<string, ValueKind>> = {
  express: { call: 'express.app', createsApp: 'express', members: { Router: 'express.Router' } },
  'express.Router': { call: 'express.router' },
  'express.app': { is: { typesPackage: EXPRESS_TYPES, owner: 'Application' }, members: { route: 'express.app.route' } },
  'express.app.route': { call: 'express.route' },
  'express.router': { is: { typesPackage: EXPRESS_TYPES, owner: 'IRouter' }, members: { route: 'express.app.route' } },
  'express.route': { is: { typesPackage: EXPRESS_TYPES, owner: 'IRoute' } },
  fastify: { call: 'fastify.app', createsApp: 'fastify' },
  'fastify.app': { is: { typesPackage: 'fastify', owner: 'FastifyInstance' } },
  koa: { construct: 'koa.app', createsApp: 'koa' },
  'koa.app': { is: { typesPackage: '@types/koa', owner: 'Application' } },
  'koa-router': { construct: 'koa-router.router' },
  'koa-router.router': { is: { typesPackage: '@koa/router', owner: 'Router' } },
  hono: { construct: 'hono.app', createsApp: 'hono' },
  'hono.app': { is: { typesPackage: 'hono', owner: 'Hono' }, members: { basePath: 'hono.app.derive', route: 'hono.app.derive' } },
  'hono.app.derive': { call: 'hono.app' },
  http: { members: { createServer: 'http.createServer', request: 'http.request', get: 'http.get' } },
  'http.createServer': { fn: { typesPackage: '@types/node', owner: 'http', name: 'createServer' }, call: 'http.server' },
  'http.server': { is: { typesPackage: '@types/node', owner: 'Server' } },
  'http.request': { fn: { typesPackage: '@types/node', owner: 'http', name: 'request' } },
  'http.get': { fn: { typesPackage: '@types/node', owner: 'http', name: 'get' } },
  axios: { is: { typesPackage: 'axios', owner: 'AxiosStatic' }, members: { create: 'axios.create' } },
  'axios.create': { call: 'axios.instance' },
  'axios.instance': { is: { typesPackage: 'axios', owner: 'AxiosInstance' } },
  undici: { members: { fetch: 'undici.fetch', request: 'undici.request' } },
  'undici.fetch': { fn: { typesPackage: 'undici', owner: '(module)', name: 'fetch' } },
  'undici.request': { fn: { typesPackage: 'undici', owner: '(module)', name: 'request' } },
};

/**
 * The kinds of a module's exports (`*` the module object as `require` or `import * as` gives it, `default` its
 * default export) and of the type names it exports (for parameters annotated `(app: Express)`).
 */
export const MODULE_KINDS: Readonly<Record<string, { readonly values: Readonly<Record<string, string>>; readonly types?: Readonly<Record<string, string>> }>> = {
  express: { values: { '*': 'express', default: 'express', Router: 'express.Router' }, types: { Express: 'express.app', Application: 'express.app', Router: 'express.router', IRouter: 'express.router' } },
  fastify: { values: { '*': 'fastify', default: 'fastify', fastify: 'fastify' }, types: { FastifyInstance: 'fastify.app' } },
  koa: { values: { '*': 'koa', default: 'koa' }, types: { default: 'koa.app', '*': 'koa.app' } },
  '@koa/router': { values: { '*': 'koa-router', default: 'koa-router', Router: 'koa-router' }, types: { default: 'koa-router.router', Router: 'koa-router.router' } },
  hono: { values: { Hono: 'hono' }, types: { Hono: 'hono.app' } },
  http: { values: { '*': 'http', default: 'http', createServer: 'http.createServer', request: 'http.request', get: 'http.get' }, types: { Server: 'http.server' } },
  https: { values: { '*': 'http', default: 'http', createServer: 'http.createServer', request: 'http.request', get: 'http.get' }, types: { Server: 'http.server' } },
  axios: { values: { '*': 'axios', default: 'axios' }, types: { AxiosInstance: 'axios.instance', AxiosStatic: 'axios' } },
  undici: { values: { '*': 'undici', fetch: 'undici.fetch', request: 'undici.request' } },
};

/** The module emitted code imports the runtime from. */
export const RUNTIME_MODULE = 'autotrace/runtime';
/** The local name emitted code binds the runtime to. */
export const RUNTIME_BINDING = '__autotrace';

const methodNames = new Set(REGISTRATION_RULES.flatMap((rule) => rule.methods));
const globalNames = new Set(GLOBAL_CLIENT_RULES.map((rule) => rule.global));
const clientNames = new Set([
  ...CLIENT_CALL_RULES.flatMap((rule) => rule.functions),
  ...CLIENT_INSTANCE_RULES.flatMap((rule) => rule.methods),
]);

/** Cheap first filter for client calls made by name: `request(...)`, `http.get(...)`, `api.post(...)`. */
export function isCandidateClientName(name: string): boolean {
  return clientNames.has(name);
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
