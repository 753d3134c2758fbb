import { expressRouteOf, joinRoute, ownsRoute, type ExpressRequestLike } from './express-route';
import {
  beginNewServerRequest,
  beginServerRequest,
  BUILD_TIME,
  learnServerRoute,
  recordServerError,
  serverStateOf,
  setServerRoute,
  type ServerRequestState,
} from './server';
import { applyInContext, endpointOf, invokeInContext, isWrapped, mark, markEndpoint, type AnyFunction } from './handler';
import { keepShape, safely } from './safe';
import { learnSite, type Site } from './site';

// Runtime side of the Express rows in transformer/rules/servers.ts. Express 4 and 5 share these: both call
// `app.handle(req, res, next)` per request, set `req.route` to the matched Route (whose `path` is the template) and
// `req.baseUrl` to the concrete mount path, and tell error middleware by `fn.length === 4`.

interface ExpressAppLike {
  handle: AnyFunction;
  set: AnyFunction;
  mountpath?: unknown;
}

/** Express's own test for a sub-application passed to `use`: it has `handle` and `set`. */
function isExpressApp(value: unknown): value is ExpressAppLike {
  return (
    typeof value === 'function' &&
    typeof (value as Partial<ExpressAppLike>).handle === 'function' &&
    typeof (value as Partial<ExpressAppLike>).set === 'function'
  );
}

/**
 * Wraps an application's `handle` so that every request reaching the app gets its SERVER span, including 404s and
 * requests answered by middleware before any route. Emitted around `express()`.
 */
export function expressApp<A>(app: A, site?: Site): A {
  safely(() => {
    learnSite(site);
    if (!isExpressApp(app) || isWrapped(app.handle)) return;
    const original = app.handle;
    const handle = function (this: unknown, ...args: unknown[]) {
      const [req, res] = args;
      const existing = serverStateOf(req);
      if (existing) {
        // The app the server calls, reached after the run-time net began the request: no mount to enter (no
        // `baseUrl` yet) and no `next` to watch (the server passes none).
        if (typeof args[2] !== 'function' && typeof (req as ExpressRequestLike).baseUrl !== 'string') {
          return applyInContext(existing, original, this, args);
        }
        // A mounted sub-app: its mount path joins the route template until it hands the request back.
        enterMount(existing, req, this, (this as ExpressAppLike | undefined)?.mountpath, args, 2);
        return original.apply(this, args);
      }
      const state = beginNewServerRequest(req, res);
      if (!state) return original.apply(this, args);
      return applyInContext(state, original, this, args);
    };
    app.handle = mark(keepShape(handle, original));
  }, undefined);
  return app;
}

/** Wraps the handlers of a route registration (`app.get(path, ...handlers)`, `app.route(path).post(...)`). */
export function expressRoute<H>(handlers: H, site?: Site): H {
  return wrapHandlers(handlers, 'route', site);
}

/** Wraps the handlers of `use([mountPath], ...handlers)`; `site.mount` is the mount template when known at build time. */
export function expressUse<H>(handlers: H, site?: Site): H {
  return wrapHandlers(handlers, 'use', site);
}

type HandlerKind = 'route' | 'use';

function wrapHandlers<H>(value: H, kind: HandlerKind, site: Site | undefined): H {
  safely(() => learnSite(site), undefined);
  if (Array.isArray(value)) return value.map((item) => wrapHandlers(item, kind, site)) as H;
  if (typeof value !== 'function' || isExpressApp(value) || isWrapped(value)) return value;
  return wrapHandler(value as unknown as AnyFunction, kind, site) as H;
}

function wrapHandler(handler: AnyFunction, kind: HandlerKind, site: Site | undefined): AnyFunction {
  // (req, res, next) or, for error middleware, (err, req, res, next).
  const reqAt = handler.length === 4 ? 1 : 0;
  const nextAt = reqAt + 2;
  const endpoint = kind === 'route' ? endpointOf(site) : undefined;
  const wrapper = function (this: unknown, ...args: unknown[]) {
    const state = beginServerRequest(args[reqAt], args[reqAt + 1]);
    if (!state) return handler.apply(this, args);
    const req = args[reqAt] as ExpressRequestLike;
    if (reqAt === 1) recordServerError(state, args[0]);
    if (kind === 'use') {
      enterMount(state, req, handler, site?.mount, args, nextAt);
    } else {
      try {
        matchRoute(state, req);
      } catch {
        // the span keeps the name it has
      }
      markEndpoint(state, endpoint);
      watchNext(state, req, args, nextAt, undefined, undefined);
    }
    return invokeInContext(handler, this, args, state);
  };
  return mark(keepShape(wrapper, handler));
}

/**
 * Names the span by the route whose wrapped handler runs: its path joined to the mounts the request went through.
 * `req.baseUrl` is compared with the mounts the wrappers saw, so a mount no wrapper saw (a `use('/v1', router)` the
 * build did not recognise) still joins the template, as the concrete path it matched.
 */
function matchRoute(state: ServerRequestState, req: ExpressRequestLike): void {
  const route = expressRouteOf(state, req);
  if (route !== undefined) setServerRoute(state, route);
}

/**
 * Adds the mount of a router/sub-app to the route template, for the handler about to run, and takes it off again
 * when the request leaves through `next` (the router did not answer it).
 */
function enterMount(state: ServerRequestState, req: unknown, mounted: unknown, mountPath: unknown, args: unknown[], nextAt: number): void {
  const outer = { template: state.mountTemplate, base: state.mountBase };
  try {
    const base = (req as ExpressRequestLike).baseUrl;
    if (typeof base === 'string') {
      const learned = base.startsWith(outer.base) ? base.slice(outer.base.length) : base;
      state.mountTemplate = outer.template + (typeof mountPath === 'string' ? trimMount(mountPath) : learned);
      state.mountBase = base;
    }
  } catch {
    // a getter that throws: the template stays as it was
  }
  watchNext(state, req as ExpressRequestLike, args, nextAt, outer, mounted);
}

function trimMount(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Replaces `next` with one that records `next(err)` and restores the mount template, then calls the original. */
function watchNext(
  state: ServerRequestState,
  req: ExpressRequestLike,
  args: unknown[],
  nextAt: number,
  outer: { template: string; base: string } | undefined,
  mounted: unknown,
): void {
  const next = args[nextAt];
  if (typeof next !== 'function') return;
  // A plain closure: nothing tells `next` by its length or name, and this runs for every layer of every request.
  args[nextAt] = function (this: unknown, ...nextArgs: unknown[]) {
    if (outer) {
      if (state.routeFrom !== BUILD_TIME && req.route !== undefined) learnLeavingRoute(state, req, mounted);
      state.mountTemplate = outer.template;
      state.mountBase = outer.base;
    }
    const [error] = nextArgs;
    if (error !== undefined && error !== 'route' && error !== 'router') recordServerError(state, error);
    return (next as AnyFunction).apply(this, nextArgs);
  };
}

/**
 * A route no wrapped handler named matched inside a mount the request now leaves (`next(err)` to an outer error
 * handler): named now, while the mount's template is still known (Express has already put `req.baseUrl` back). Only
 * a route of the mounted router itself: one of a router nested in it was under a mount path no longer known.
 */
function learnLeavingRoute(state: ServerRequestState, req: ExpressRequestLike, mounted: unknown): void {
  safely(() => {
    const route = req.route;
    const path = route?.path;
    if (route === state.expressRoute || typeof path !== 'string' || ownsRoute(mounted, route) !== true) return;
    const name = joinRoute(state.mountTemplate, path);
    state.expressRoute = route;
    state.expressRouteName = name;
    learnServerRoute(state, name);
  }, undefined);
}
