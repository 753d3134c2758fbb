import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { servedInSpan, wrapHandlers, type AnyFunction, type HandlerShape } from './handler';
import { serverStateOf, setServerRoute } from './server';
import { safely } from './safe';
import { learnSite, type Site } from './site';

// Fastify 4 and 5. `request.raw`/`reply.raw` are Node's objects; `request.routeOptions.url` is the matched route's
// full template, prefixes of register()ed plugins included (`request.routerPath` before Fastify 4.10).

interface FastifyRequestLike {
  raw?: IncomingMessage;
  routeOptions?: { url?: unknown };
  routerPath?: unknown;
}

function routeOf(request: FastifyRequestLike | undefined): string | undefined {
  if (!request) return undefined;
  // `routerPath` only where `routeOptions` does not exist: from 4.10 on, reading it prints FSTDEP017 (an unmatched
  // request has no routeOptions.url, and must not fall through to it). `in` asks without calling either getter.
  const url = 'routeOptions' in request ? request.routeOptions?.url : request.routerPath;
  return typeof url === 'string' ? url : undefined;
}

const shape: HandlerShape = {
  exchange: ([request, reply]) => ({
    req: (request as FastifyRequestLike | undefined)?.raw,
    res: (reply as { raw?: ServerResponse } | undefined)?.raw,
  }),
  route: ([request]) => routeOf(request as FastifyRequestLike | undefined),
  endpoint: true,
};

/** Wraps a route handler (`fastify.get(url, handler)`, `fastify.route({ handler })`). */
export function fastifyHandler<H>(handler: H, site?: Site): H {
  return wrapHandlers(handler, shape, site);
}

interface FastifyLike {
  server?: Server;
  addHook?: (name: string, hook: (request: FastifyRequestLike, reply: unknown, done: () => void) => void) => unknown;
}

const APPLIED = Symbol.for('autotrace.fastifyApp');

/**
 * Gives every request reaching a Fastify instance its SERVER span: 404s, hook rejections and validation errors too.
 * Fastify owns its http.Server, so the server's request listener is run inside the span's context; an onRequest hook
 * (added first, so every plugin inherits it) names the span once the router matched.
 */
export function fastifyApp<A>(app: A, site?: Site): A {
  safely(() => {
    learnSite(site);
    const instance = app as FastifyLike & { [APPLIED]?: true };
    if (!instance || instance[APPLIED] || !instance.server || typeof instance.addHook !== 'function') return;
    Object.defineProperty(instance, APPLIED, { value: true });
    const server = instance.server;
    for (const listener of server.listeners('request') as AnyFunction[]) {
      server.removeListener('request', listener);
      server.on('request', servedInSpan(listener, ([req, res]) => ({ req, res })));
    }
    instance.addHook('onRequest', (request, _reply, done) => {
      safely(() => {
        const state = serverStateOf(request.raw);
        const route = routeOf(request);
        if (state && route) setServerRoute(state, route);
      }, undefined);
      done();
    });
  }, undefined);
  return app;
}
