import type { IncomingMessage, ServerResponse } from 'node:http';
import { expressApp } from './express';
import { fastifyApp } from './fastify';
import { invokeInContext, isWrapped, mark, wrapHandlers, type AnyFunction, type HandlerShape } from './handler';
import { isThenable, keepShape, safely } from './safe';
import { beginServerRequest, BUILD_TIME, recordServerError, serverStateOf } from './server';
import { learnSite, type Site } from './site';

// NestJS 11 and 12, on @nestjs/platform-express or @nestjs/platform-fastify. Emitted code calls:
// - `__autotrace.nestRoute(CatsController, site)` after a decorated controller class, once per route: the build's
//   route template and handler location, kept by verb (the class and its methods are only read, never changed);
// - `__autotrace.nestApp(NestFactory.create(...))` / `__autotrace.nestApp(moduleRef.createNestApplication())`.
// nestApp hooks the app before `init()` registers its routes, through public API: the HTTP adapter's route methods
// (`get(path, handler)`, …), which Nest calls with the full path it matches (global prefix, URI version, module path
// included), and the adapter's underlying Express or Fastify instance (every request, 404s included). Exceptions a
// guard, pipe, interceptor or handler throws are caught inside Nest and handed to its exceptions handler: reaching it
// takes an internal (`routesResolver.routerExceptionsFilter.create`), used only when it has that shape; without it
// the spans are the same, less the exception events.

/** What the build knew about one decorated route handler. */
export interface NestRouteSite extends Site {
  /** The handler's method name on the controller class. */
  readonly method?: string;
  /** The HTTP verb of the decorator, lower-case as the adapter's method (`get`, `all`). */
  readonly verb?: string;
  /** The controller and method paths joined (`/cats/:id`), without the global prefix or a version. */
  readonly route?: string;
}

interface KnownRoute {
  readonly site: NestRouteSite;
  readonly template: string;
  /** The controller method, whose decorator metadata Nest copies onto the handler it registers. */
  readonly handler: unknown;
}

const KNOWN = Symbol.for('autotrace.nest.routes');
// Shared by copies of the runtime: a controller may be loaded through another copy than the app.
const known: Map<string, KnownRoute[]> = ((globalThis as { [KNOWN]?: Map<string, KnownRoute[]> })[KNOWN] ??= new Map());

/**
 * Takes in one route of a controller as the build found it on its decorators (one call per route, after the class).
 * The class and its methods are only read.
 */
export function nestRoute<C>(controller: C, site: NestRouteSite): C {
  safely(() => {
    if (typeof site?.verb !== 'string' || typeof site.route !== 'string') return;
    learnSite(site);
    const prototype = (controller as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    const handler = prototype && typeof site.method === 'string' ? prototype[site.method] : undefined;
    let list = known.get(site.verb);
    if (!list) known.set(site.verb, (list = []));
    list.push({ site, template: site.route, handler });
  }, undefined);
  return controller;
}

/**
 * The build site of a route Nest registers under `path`: the one named like the handler (Nest 12), else among the
 * decorated routes of that verb the one whose template is the longest tail of the path, ties settled by the
 * decorator metadata Nest copied onto `handler`.
 */
function siteFor(verb: string, path: string, handler: unknown): NestRouteSite | undefined {
  const routes = known.get(verb) ?? [];
  // Nest 12 names the handler it registers `Controller.method`, as the build names the site's function.
  const name = typeof handler === 'function' ? handler.name : undefined;
  const named = name?.includes('.') ? routes.filter((route) => route.site.function === name) : [];
  if (named.length === 1) return named[0]!.site;
  const candidates = routes.filter((route) => endsWithRoute(path, route.template));
  if (candidates.length === 0) return undefined;
  const longest = Math.max(...candidates.map((route) => route.template.length));
  let best = candidates.filter((route) => route.template.length === longest);
  if (best.length > 1) best = best.filter((route) => sameMetadata(route.handler, handler));
  return best.length === 1 ? best[0]!.site : undefined;
}

/** `/api/v1/cats/:id` ends with the route `/cats/:id` (a template starts with `/`, so only whole segments match). */
function endsWithRoute(path: string, template: string): boolean {
  return template === '/' || path.endsWith(template);
}

type ReflectWithMetadata = typeof Reflect & {
  getMetadataKeys?: (target: object) => unknown[];
  getMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

function sameMetadata(method: unknown, handler: unknown): boolean {
  const reflect = Reflect as ReflectWithMetadata;
  if (typeof method !== 'function' || typeof handler !== 'function' || !reflect.getMetadataKeys || !reflect.getMetadata) return false;
  const keys = reflect.getMetadataKeys(method);
  return keys.length > 0 && keys.every((key) => reflect.getMetadata!(key, method) === reflect.getMetadata!(key, handler));
}

// The route methods of Nest's HttpServer interface (AbstractHttpAdapter), by the name RouterMethodFactory calls.
const ROUTE_METHODS = ['get', 'post', 'put', 'delete', 'patch', 'all', 'options', 'head', 'search', 'query', 'propfind', 'proppatch', 'mkcol', 'copy', 'move', 'lock', 'unlock'];

interface FastifyRequestLike {
  raw?: IncomingMessage;
}

/** Nest hands a route handler Express's (req, res, next) or Fastify's (request, reply). */
function exchange(args: unknown[]): { req: unknown; res: unknown } | undefined {
  const [first, second] = args;
  const raw = (first as FastifyRequestLike | undefined)?.raw;
  if (raw !== undefined) return { req: raw, res: (second as { raw?: ServerResponse } | undefined)?.raw };
  return { req: first, res: second };
}

interface NestAppLike {
  getHttpAdapter?: () => HttpAdapterLike | undefined;
  routesResolver?: { routerExceptionsFilter?: { create?: AnyFunction } };
}

interface HttpAdapterLike {
  getInstance?: () => unknown;
  getType?: () => string;
  [method: string]: unknown;
}

const APPLIED = Symbol.for('autotrace.nestApp');

/**
 * Hooks a Nest application (or the promise NestFactory.create returns) before its routes are registered. The app is
 * returned as it came (a promise resolves to the same app).
 */
export function nestApp<A>(app: A, site?: Site): A {
  safely(() => learnSite(site), undefined);
  if (isThenable(app)) {
    return (app as unknown as Promise<unknown>).then((resolved) => {
      hook(resolved);
      return resolved;
    }) as unknown as A;
  }
  hook(app);
  return app;
}

function hook(app: unknown): void {
  safely(() => {
    const nest = app as (NestAppLike & { [APPLIED]?: true }) | undefined;
    if (!nest || typeof nest !== 'object' || nest[APPLIED] || typeof nest.getHttpAdapter !== 'function') return;
    Object.defineProperty(nest, APPLIED, { value: true });
    const adapter = nest.getHttpAdapter();
    if (!adapter) return;
    serveInSpans(adapter);
    for (const method of ROUTE_METHODS) wrapRouteMethod(adapter, method);
    wrapNotFoundHandler(adapter);
    watchExceptions(nest);
  }, undefined);
}

/** Every request reaching the adapter's Express or Fastify instance gets its SERVER span, 404s included. */
function serveInSpans(adapter: HttpAdapterLike): void {
  const instance = safely(() => adapter.getInstance?.(), undefined);
  const type = safely(() => adapter.getType?.(), undefined);
  if (type === 'express') expressApp(instance);
  else if (type === 'fastify') fastifyApp(instance);
}

/** `adapter.get(path, handler)`: the handler is wrapped with the full path Nest registers it under. */
function wrapRouteMethod(adapter: HttpAdapterLike, method: string): void {
  const original = adapter[method];
  if (typeof original !== 'function') return;
  adapter[method] = function (this: unknown, ...args: unknown[]) {
    safely(() => {
      const at = args.length - 1;
      const [path] = args;
      const handler = args[at];
      if (at < 1 || typeof path !== 'string' || typeof handler !== 'function') return;
      const route = path.startsWith('/') ? path : `/${path}`;
      const shape: HandlerShape = { exchange, route: () => route, endpoint: true };
      const wrapped = wrapHandlers(handler, shape, siteFor(method, route, handler));
      if (wrapped !== handler) args[at] = carryOver(wrapped as AnyFunction, handler as AnyFunction);
    }, undefined);
    return (original as AnyFunction).apply(this, args);
  };
}

/**
 * `adapter.setNotFoundHandler(handler, prefix)`: Nest's answer to a request no route matched, wrapped so that the
 * request counts as reached by the build. Its span keeps the method alone as its name: Nest 12 mounts this handler
 * under a pattern of the prefix (`/api*path`), which is no route of the app.
 */
function wrapNotFoundHandler(adapter: HttpAdapterLike): void {
  const original = adapter.setNotFoundHandler;
  if (typeof original !== 'function') return;
  adapter.setNotFoundHandler = function (this: unknown, ...args: unknown[]) {
    const handler = args[0];
    if (typeof handler === 'function' && !isWrapped(handler)) args[0] = notFound(handler as AnyFunction);
    return (original as AnyFunction).apply(this, args);
  };
}

function notFound(handler: AnyFunction): AnyFunction {
  const wrapper = function (this: unknown, ...args: unknown[]) {
    const pair = safely(() => exchange(args), undefined);
    const state = pair && beginServerRequest(pair.req, pair.res);
    if (!state) return handler.apply(this, args);
    state.routeFrom = BUILD_TIME;
    return invokeInContext(handler, this, args, state);
  };
  return mark(keepShape(wrapper, handler));
}

/**
 * What Nest and its adapters read from a registered handler beyond calling it: decorator metadata Nest copied onto it
 * (Fastify's route config and constraints) and properties it set (`version`).
 */
function carryOver(wrapper: AnyFunction, handler: AnyFunction): AnyFunction {
  for (const key of Object.keys(handler)) (wrapper as unknown as Record<string, unknown>)[key] = (handler as unknown as Record<string, unknown>)[key];
  const reflect = Reflect as ReflectWithMetadata;
  if (reflect.getMetadataKeys && reflect.getMetadata && reflect.defineMetadata) {
    for (const key of reflect.getMetadataKeys(handler)) reflect.defineMetadata(key, reflect.getMetadata(key, handler), wrapper);
  }
  return wrapper;
}

interface ExceptionsHandlerLike {
  next?: AnyFunction;
}

interface ArgumentsHostLike {
  getArgByIndex?: (index: number) => unknown;
}

/**
 * Each route's exceptions handler (made by RouterExceptionFilters.create) gets every exception of the request before
 * the filters answer it: recorded on the SERVER span, then passed on unchanged.
 */
function watchExceptions(app: NestAppLike): void {
  const filters = app.routesResolver?.routerExceptionsFilter;
  const create = filters?.create;
  if (!filters || typeof create !== 'function') return;
  filters.create = function (this: unknown, ...args: unknown[]) {
    const handler = create.apply(this, args) as ExceptionsHandlerLike | undefined;
    safely(() => {
      const next = handler?.next;
      if (typeof next !== 'function') return;
      handler!.next = function (this: unknown, exception: unknown, host: unknown, ...rest: unknown[]) {
        safely(() => {
          const req = (host as ArgumentsHostLike | undefined)?.getArgByIndex?.(0);
          const state = serverStateOf((req as FastifyRequestLike | undefined)?.raw ?? req);
          if (state) recordServerError(state, exception);
        }, undefined);
        return next.call(this, exception, host, ...rest);
      };
    }, undefined);
    return handler;
  };
}
