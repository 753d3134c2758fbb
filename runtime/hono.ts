import { isWrapped, mark, servedInSpan, wrapHandlers, type AnyFunction, type HandlerShape } from './handler';
import { keepShape, safely } from './safe';
import { learnSite, type Site } from './site';

// Hono 4 on @hono/node-server, which passes Node's objects to `app.fetch(request, env)` as `env.incoming` and
// `env.outgoing` (handlers see them as `c.env`). `c.req.routePath` is the matched route's path, basePath() and
// app.route() prefixes included (deprecated in its JSDoc for `routePath(c)` from hono/route, which the runtime cannot
// import: Hono is the service's dependency, not autotrace's; the getter prints nothing).

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

interface HonoRouterLike {
  add?: AnyFunction;
}

/**
 * Every registration of a Hono app reaches its router as `router.add(method, path, [handler, route])`, with the full
 * template (basePath(), route() prefixes included) as `path`: sub-apps' routes copied by `app.route()`, computed
 * registrations (`app[method](…)`), and sites the build did see (their handlers are wrapped already and pass as they
 * are). Wrapping `add` once per router names the span of every other route by its template, which the wrapper holds
 * from its registration: nothing is computed per request.
 */
function learnRoutesOf(router: HonoRouterLike | undefined): void {
  const add = router?.add;
  if (!router || typeof add !== 'function' || isWrapped(add)) return;
  router.add = mark(
    keepShape(function (this: unknown, ...args: unknown[]) {
      args[2] = safely(() => withLearnedRoute(args[0], args[1], args[2]), args[2]);
      return add.apply(this, args);
    }, add),
  );
}

/** `[handler, route]` with its handler wrapped to name the span by `path`, unless it is middleware (`app.use()`). */
function withLearnedRoute(method: unknown, path: unknown, entry: unknown): unknown {
  if (!Array.isArray(entry) || typeof entry[0] !== 'function' || isWrapped(entry[0]) || typeof path !== 'string') {
    return entry;
  }
  // use() registers for every method under a path ending in `*` ('/*' by default); such a path names no endpoint.
  if (method === 'ALL' && path.endsWith('*')) return entry;
  const shape: HandlerShape = { exchange, endpoint: true, learned: true, route: () => path };
  return [wrapHandlers(entry[0], shape, undefined), ...entry.slice(1)];
}

/**
 * Gives every request reaching the app its SERVER span, 404s included, by wrapping `app.fetch`. `basePath()` returns
 * a new instance with a fetch of its own (and it is often the one served), so its result is wrapped too.
 */
export function honoApp<A>(app: A, site?: Site): A {
  safely(() => {
    learnSite(site);
    const instance = app as { fetch?: AnyFunction; basePath?: AnyFunction; router?: HonoRouterLike };
    const original = instance?.fetch;
    if (typeof original !== 'function' || isWrapped(original)) return;
    learnRoutesOf(instance.router);
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
