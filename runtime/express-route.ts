import type { ServerRequestState } from './server';

// How Express tells which route answered a request: `req.route` is the matched Route (its `path` is the template,
// relative to the router holding it) and `req.baseUrl` the concrete path of the mounts the request is inside. Both
// Express 4 and 5 (router 2) set them this way; a router puts `req.baseUrl` back when the request leaves it through
// `next`, but leaves `req.route` as it was.

export interface ExpressRequestLike {
  baseUrl?: unknown;
  route?: { path?: unknown };
  app?: unknown;
}

/** `/api` + `/:id` → `/api/:id`; a router's `/` route is its mount itself (`/api`, not `/api/`). */
export function joinRoute(prefix: string, path: string): string {
  return prefix && path === '/' ? prefix : prefix + path;
}

/**
 * The template of the concrete mount path `base`: the mounts whose templates are known (`state.mountTemplate` for
 * `state.mountBase`), then the rest of `base` as it was requested, for mounts no wrapper saw.
 */
export function mountTemplateOf(state: ServerRequestState, base: string): string {
  const known = state.mountBase;
  if (base === known) return state.mountTemplate;
  if (base.startsWith(known) && base.charCodeAt(known.length) === 47 /* '/' */) {
    return state.mountTemplate + base.slice(known.length);
  }
  return base;
}

/** The full template of the route `req.route` names, as seen from where the request is now. */
export function expressRouteOf(state: ServerRequestState, req: ExpressRequestLike): string | undefined {
  const path = req.route?.path;
  if (typeof path !== 'string') return undefined; // array and RegExp routes have no single template
  const base = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  return joinRoute(mountTemplateOf(state, base), path);
}

/**
 * The route of an Express request whose span no wrapper named, read as its response ends. Undefined when there is
 * none, or when `req.route` is known to be left over from a router the request has since left (`next(err)` out of a
 * router to the app's error handler): at the top level, the route must be one of the app router's own.
 */
export function expressRouteAtEnd(state: ServerRequestState, req: ExpressRequestLike): string | undefined {
  const route = req.route;
  if (typeof route?.path !== 'string') return undefined;
  if (route === state.expressRoute) return state.expressRouteName;
  if ((req.baseUrl === '' || req.baseUrl === undefined) && !isAppRoute(req.app, route)) return undefined;
  return expressRouteOf(state, req);
}

// Routes found on their app's own router, so that an app with hundreds of routes (a Nest app registers every route
// on it) is searched once per route, not once per request. Routes live as long as their app.
const appOfRoute = new WeakMap<object, unknown>();

function isAppRoute(app: unknown, route: object): boolean {
  if (appOfRoute.get(route) === app) return true;
  const owned = ownsRoute(app, route);
  if (owned === true) appOfRoute.set(route, app);
  return owned !== false;
}

interface ExpressRouterLike {
  stack?: readonly { route?: unknown }[];
}

/**
 * Whether `route` is registered directly on `owner`: a Router (its `stack`) or an app (its router's). Undefined when
 * `owner` is neither, so nothing can be told.
 */
export function ownsRoute(owner: unknown, route: unknown): boolean | undefined {
  if (typeof owner !== 'function') return undefined;
  const stack = (owner as ExpressRouterLike).stack ?? routerOfApp(owner)?.stack;
  if (!Array.isArray(stack)) return undefined;
  for (const layer of stack) if (layer?.route === route) return true;
  return false;
}

function routerOfApp(app: object): ExpressRouterLike | undefined {
  const withRouter = app as { _router?: ExpressRouterLike; router?: ExpressRouterLike };
  // Express 4 keeps its router on `_router`, and its `app.router` getter throws (such an app has no router yet);
  // Express 5 keeps it on `app.router`.
  if (withRouter._router !== undefined) return withRouter._router;
  try {
    return withRouter.router;
  } catch {
    return undefined;
  }
}
