import type { RuleSet } from './types';

// Web frameworks and node:http servers: what registers handlers and what creates apps. node:http's module rows
// (createServer, and request/get for clients) live here with its server.

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

export const SERVER_RULES: RuleSet = {
  registrations: [
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
  ],
  appFactories: [
    { framework: 'express', module: 'express', typesPackage: '@types/express', creates: { call: 'export=' }, wrapWith: 'expressApp' },
    { framework: 'fastify', module: 'fastify', typesPackage: 'fastify', creates: { call: 'export=' }, wrapWith: 'fastifyApp' },
    { framework: 'koa', module: 'koa', typesPackage: '@types/koa', creates: { construct: 'Application' }, wrapWith: 'koaApp' },
    { framework: 'hono', module: 'hono', typesPackage: 'hono', creates: { construct: 'Hono' }, wrapWith: 'honoApp' },
  ],
  tracedModules: {
    express: { framework: 'express' },
    fastify: { framework: 'fastify' },
    koa: { framework: 'koa' },
    '@koa/router': { framework: 'koa' },
    hono: { framework: 'hono' },
    http: { framework: 'node:http', client: 'node:http' },
    https: { framework: 'node:http', client: 'node:http' },
  },
  valueKinds: {
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
  },
  moduleKinds: {
    express: { values: { '*': 'express', default: 'express', Router: 'express.Router' }, types: { Express: 'express.app', Application: 'express.app', Router: 'express.router', IRouter: 'express.router' } },
    fastify: { values: { '*': 'fastify', default: 'fastify', fastify: 'fastify' }, types: { FastifyInstance: 'fastify.app' } },
    koa: { values: { '*': 'koa', default: 'koa' }, types: { default: 'koa.app', '*': 'koa.app' } },
    '@koa/router': { values: { '*': 'koa-router', default: 'koa-router', Router: 'koa-router' }, types: { default: 'koa-router.router', Router: 'koa-router.router' } },
    hono: { values: { Hono: 'hono' }, types: { Hono: 'hono.app' } },
    http: { values: { '*': 'http', default: 'http', createServer: 'http.createServer', request: 'http.request', get: 'http.get' }, types: { Server: 'http.server' } },
    https: { values: { '*': 'http', default: 'http', createServer: 'http.createServer', request: 'http.request', get: 'http.get' }, types: { Server: 'http.server' } },
  },
};
