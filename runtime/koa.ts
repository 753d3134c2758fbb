import { isWrapped, servedInSpan, wrapHandlers, type AnyFunction, type HandlerShape } from './handler';
import { safely } from './safe';
import { readRouteAtEnd, type ServerRequestState } from './server';
import { learnSite, type Site } from './site';

// Koa 2 and 3 with @koa/router. `ctx.req`/`ctx.res` are Node's objects; @koa/router (12 to 15) sets
// `ctx._matchedRoute` to the path of each matched layer as it runs, which already carries every router prefix (nested
// routers are mounted by prefixing layers), and `ctx.matched` to the layers whose path matched.

interface KoaContextLike {
  req?: unknown;
  res?: unknown;
  _matchedRoute?: unknown;
  matched?: unknown;
}

interface RouterLayerLike {
  path?: unknown;
  methods?: unknown;
}

const exchange = ([ctx]: unknown[]) => ({ req: (ctx as KoaContextLike)?.req, res: (ctx as KoaContextLike)?.res });

// `router.routes()` carries `.router`, by which @koa/router's `use()` mounts a nested router (it copies the layers,
// prefixed); wrapped, it would be mounted as opaque middleware instead. Its routes are wrapped where registered.
const leaveAlone = (fn: AnyFunction) => 'router' in fn;

const middlewareShape: HandlerShape = { exchange, leaveAlone, endpoint: false };
const routeShape: HandlerShape = {
  exchange,
  leaveAlone,
  endpoint: true,
  route: ([ctx]) => {
    const route = (ctx as KoaContextLike | undefined)?._matchedRoute;
    return typeof route === 'string' ? route : undefined;
  },
};

/** Wraps `app.use(middleware)` and `router.use(...)` middleware. */
export function koaMiddleware<H>(middleware: H, site?: Site): H {
  return wrapHandlers(middleware, middlewareShape, site);
}

/** Wraps @koa/router route middleware (`router.get(path, ...middleware)`): names the span by the matched route. */
export function koaRoute<H>(middleware: H, site?: Site): H {
  return wrapHandlers(middleware, routeShape, site);
}

/**
 * The route @koa/router matched, read when the span ends for routes no wrapped handler named (a router from a
 * package, a computed registration). `_matchedRoute` is the last layer that ran: only a route's (a layer with
 * methods), not a `router.use()` middleware's that answered before the route.
 */
function matchedRouteOf(ctx: unknown): string | undefined {
  const { _matchedRoute: route, matched } = ctx as KoaContextLike;
  if (typeof route !== 'string' || !Array.isArray(matched)) return undefined;
  for (const layer of matched as RouterLayerLike[]) {
    if (layer?.path === route && Array.isArray(layer.methods) && layer.methods.length > 0) return route;
  }
  return undefined;
}

const readRouteOfContext = (state: ServerRequestState, [ctx]: unknown[]) => readRouteAtEnd(state, matchedRouteOf, ctx);

/**
 * Gives every request reaching a Koa app its SERVER span, 404s included: Koa's `callback()` hands each request to
 * `app.handleRequest(ctx, fn)`, which is wrapped to run the middleware chain inside the span's context.
 */
export function koaApp<A>(app: A, site?: Site): A {
  safely(() => {
    learnSite(site);
    const instance = app as { handleRequest?: AnyFunction };
    const original = instance?.handleRequest;
    if (typeof original !== 'function' || isWrapped(original)) return;
    instance.handleRequest = servedInSpan(original, exchange, readRouteOfContext);
  }, undefined);
  return app;
}
