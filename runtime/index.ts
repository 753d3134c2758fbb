// autotrace/runtime: what the code emitted by autotrace/transformer calls. These names are part of the emitted code,
// so they are public API: renaming one breaks every service built with an older transformer.
export { expressApp, expressRoute, expressUse } from './express';
export { fastifyApp, fastifyHandler } from './fastify';
export { honoApp, honoMiddleware, honoRoute } from './hono';
export { koaApp, koaMiddleware, koaRoute } from './koa';
export { httpHandler } from './node-http';
export { nestApp, nestRoute } from './nest';
export { nestHttp } from './nest-http';
export { axios } from './axios';
export { fetch, undiciFetch } from './fetch';
export { httpRequest } from './http-client';
export { undiciRequest } from './undici';
export { amqpChannel } from './messaging/amqp';
export { natsConnection } from './messaging/nats';
export { bullmq, bullmqProcessor } from './messaging/bullmq';
export { grpcClientOptions, grpcService } from './rpc/grpc';
export { pg } from './datastores/pg';
export { mysql } from './datastores/mysql';
export { ioredis, nodeRedis } from './datastores/redis';
export { VERSION } from './version';
// The run-time net starts on load (AUTOTRACE_NET=off leaves it out): see runtime/net/index.ts.
import './net';
