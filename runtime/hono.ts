import { isWrapped, mark, servedInSpan, wrapHandlers, type AnyFunction, type HandlerShape } from './handler';
import { keepShape, safely } from './safe';
import { learnSite, type Site } from './site';

// Hono 4 on @hono/node-server, which passes Node's objects to `app.fetch(request, env)` as `env.incoming` and
// `env.outgoing` (handlers see them as `c.env`). `c.req.routePath` is the matched route's path, basePath() and
// app.route() prefixes included.

interface HonoContextLike {
  env?: { incoming?: unknown; outgoing?: unknown };
  req?: { routePath?: unknown };
}

const exchange = ([c]: unknown[]) => ({
  req: (c as HonoContextLike | undefined)?.env?.incoming,
  res: (c as HonoContextLike | undefined)?.env?.outgoing,
});

const middlewareShape: HandlerShape = { exchange, endpoint: false };
const routeShape: HandlerShape = {
  exchange,
  endpoint: true,
  route: ([c]) => {
    const path = (c as HonoContextLike | undefined)?.req?.routePath;
    return typeof path === 'string' ? path : undefined;
  },
};

/** Wraps `app.use(...)` middleware. */
export function honoMiddleware<H>(middleware: H, site?: Site): H {
  return wrapHandlers(middleware, middlewareShape, site);
}

/** Wraps route handlers (`app.get(path, ...handlers)`, `app.on(method, path, ...)`): names the span by the route. */
export function honoRoute<H>(handler: H, site?: Site): H {
  return wrapHandlers(handler, routeShape, site);
}

/**
 * Gives every request reaching the app its SERVER span, 404s included, by wrapping `app.fetch`. `basePath()` returns
 * a new instance with a fetch of its own (and it is often the one served), so its result is wrapped too.
 */
export function honoApp<A>(app: A, site?: Site): A {
  safely(() => {
    learnSite(site);
    const instance = app as { fetch?: AnyFunction; basePath?: AnyFunction };
    const original = instance?.fetch;
    if (typeof original !== 'function' || isWrapped(original)) return;
    const basePath = instance.basePath;
    if (typeof basePath === 'function') {
      instance.basePath = mark(
        keepShape(function (this: unknown, ...args: unknown[]) {
          return honoApp(basePath.apply(this, args));
        }, basePath),
      );
    }
    instance.fetch = servedInSpan(original, ([, env]) => ({
      req: (env as HonoContextLike['env'])?.incoming,
      res: (env as HonoContextLike['env'])?.outgoing,
    }));
  }, undefined);
  return app;
}
