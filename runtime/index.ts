// autotrace/runtime: what the code emitted by autotrace/transformer calls. These names are part of the emitted code,
// so they are public API: renaming one breaks every service built with an older transformer.
//
// Each area's module is required on the first call of one of its exports, not when the runtime loads: a service that
// serves Express pays at startup for Express and the net, not for NATS, gRPC or Redis. No area patches or subscribes
// when it loads (only the net does, and it still starts here, below), so loading one later changes nothing it does.
// - The exports are plain functions, not getters or `export … from`: Node's cjs-module-lexer then lists every name
//   for ESM `import * as` and named imports, and an ESM importer, which reads every export once, loads nothing.
// - Each is typed as the area's own function, so the names and signatures in the .d.ts stay the area's.
// - Where the area's function has fixed parameters they are passed on by name; where it takes the rest of the call
//   (fetch, undiciFetch, httpRequest) `arguments` is passed on as it came, so the real client sees the same number
//   of arguments (the named leading parameters only keep each function's `length`). Neither builds an array per
//   call once optimised.

import { loadOnce } from './api';
import type * as AmqpArea from './messaging/amqp';
import type * as AxiosArea from './axios';
import type * as BullmqArea from './messaging/bullmq';
import type * as ExpressArea from './express';
import type * as FastifyArea from './fastify';
import type * as FetchArea from './fetch';
import type * as GrpcArea from './rpc/grpc';
import type * as HonoArea from './hono';
import type * as HttpClientArea from './http-client';
import type * as KoaArea from './koa';
import type * as MysqlArea from './datastores/mysql';
import type * as NatsArea from './messaging/nats';
import type * as NestArea from './nest';
import type * as NestHttpArea from './nest-http';
import type * as NodeHttpArea from './node-http';
import type * as PgArea from './datastores/pg';
import type * as RedisArea from './datastores/redis';
import type * as UndiciArea from './undici';

// Literal paths, so that bundlers still find and include each area.
const express = loadOnce(() => require('./express') as typeof ExpressArea);
const fastify = loadOnce(() => require('./fastify') as typeof FastifyArea);
const hono = loadOnce(() => require('./hono') as typeof HonoArea);
const koa = loadOnce(() => require('./koa') as typeof KoaArea);
const nodeHttp = loadOnce(() => require('./node-http') as typeof NodeHttpArea);
const nest = loadOnce(() => require('./nest') as typeof NestArea);
const nestHttpArea = loadOnce(() => require('./nest-http') as typeof NestHttpArea);
const axiosArea = loadOnce(() => require('./axios') as typeof AxiosArea);
const fetchArea = loadOnce(() => require('./fetch') as typeof FetchArea);
const httpClient = loadOnce(() => require('./http-client') as typeof HttpClientArea);
const undici = loadOnce(() => require('./undici') as typeof UndiciArea);
const amqp = loadOnce(() => require('./messaging/amqp') as typeof AmqpArea);
const nats = loadOnce(() => require('./messaging/nats') as typeof NatsArea);
const bullmqArea = loadOnce(() => require('./messaging/bullmq') as typeof BullmqArea);
const grpc = loadOnce(() => require('./rpc/grpc') as typeof GrpcArea);
const pgArea = loadOnce(() => require('./datastores/pg') as typeof PgArea);
const mysqlArea = loadOnce(() => require('./datastores/mysql') as typeof MysqlArea);
const redis = loadOnce(() => require('./datastores/redis') as typeof RedisArea);

export const expressApp: typeof ExpressArea.expressApp = function (app, site) { return express().expressApp(app, site); };
export const expressRoute: typeof ExpressArea.expressRoute = function (handlers, site) { return express().expressRoute(handlers, site); };
export const expressUse: typeof ExpressArea.expressUse = function (handlers, site) { return express().expressUse(handlers, site); };
export const fastifyApp: typeof FastifyArea.fastifyApp = function (app, site) { return fastify().fastifyApp(app, site); };
export const fastifyHandler: typeof FastifyArea.fastifyHandler = function (handler, site) { return fastify().fastifyHandler(handler, site); };
export const honoApp: typeof HonoArea.honoApp = function (app, site) { return hono().honoApp(app, site); };
export const honoMiddleware: typeof HonoArea.honoMiddleware = function (middleware, site) { return hono().honoMiddleware(middleware, site); };
export const honoRoute: typeof HonoArea.honoRoute = function (handler, site) { return hono().honoRoute(handler, site); };
export const koaApp: typeof KoaArea.koaApp = function (app, site) { return koa().koaApp(app, site); };
export const koaMiddleware: typeof KoaArea.koaMiddleware = function (middleware, site) { return koa().koaMiddleware(middleware, site); };
export const koaRoute: typeof KoaArea.koaRoute = function (middleware, site) { return koa().koaRoute(middleware, site); };
export const httpHandler: typeof NodeHttpArea.httpHandler = function (handler, site) { return nodeHttp().httpHandler(handler, site); };
export const nestApp: typeof NestArea.nestApp = function (app, site) { return nest().nestApp(app, site); };
export const nestRoute: typeof NestArea.nestRoute = function (controller, site) { return nest().nestRoute(controller, site); };
export const nestHttp: typeof NestHttpArea.nestHttp = function (site, service) { return nestHttpArea().nestHttp(site, service); };
export const axios: typeof AxiosArea.axios = function (site, instance) { return axiosArea().axios(site, instance); };
export const fetch: typeof FetchArea.fetch = function (_site) { return Reflect.apply(fetchArea().fetch, undefined, arguments); };
export const undiciFetch: typeof FetchArea.undiciFetch = function (_site, _impl) { return Reflect.apply(fetchArea().undiciFetch, undefined, arguments); };
export const httpRequest: typeof HttpClientArea.httpRequest = function (_site, _impl) { return Reflect.apply(httpClient().httpRequest, undefined, arguments); };
export const undiciRequest: typeof UndiciArea.undiciRequest = function (site, impl, url, options) { return undici().undiciRequest(site, impl, url, options); };
export const amqpChannel: typeof AmqpArea.amqpChannel = function (site, channel) { return amqp().amqpChannel(site, channel); };
export const natsConnection: typeof NatsArea.natsConnection = function (site, connection) { return nats().natsConnection(site, connection); };
export const bullmq: typeof BullmqArea.bullmq = function (site, queue) { return bullmqArea().bullmq(site, queue); };
export const bullmqProcessor: typeof BullmqArea.bullmqProcessor = function (processor, site) { return bullmqArea().bullmqProcessor(processor, site); };
export const grpcClientOptions: typeof GrpcArea.grpcClientOptions = function (options, site) { return grpc().grpcClientOptions(options, site); };
export const grpcService: typeof GrpcArea.grpcService = function (implementation, site) { return grpc().grpcService(implementation, site); };
export const pg: typeof PgArea.pg = function (site, receiver) { return pgArea().pg(site, receiver); };
export const mysql: typeof MysqlArea.mysql = function (site, receiver) { return mysqlArea().mysql(site, receiver); };
export const ioredis: typeof RedisArea.ioredis = function (site, client) { return redis().ioredis(site, client); };
export const nodeRedis: typeof RedisArea.nodeRedis = function (site, client) { return redis().nodeRedis(site, client); };
export { VERSION } from './version';
// The run-time net starts on load (AUTOTRACE_NET=off leaves it out): see runtime/net/index.ts.
import './net';
