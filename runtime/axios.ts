import { contextKey, otelApi, otelInUse } from './api';
import { addMissing, callNeedsTracing, parseUrl, settle, startClientCall, traceHeaders, type ClientCall, type ClientOutcome } from './client';
import { httpIsInstrumented } from './instrumented';
import { facadesPerSite } from './facades';
import { safely } from './safe';
import type { Site } from './site';

// axios 1.x. Emitted code calls `__autotrace.axios(site, instance).get(url)` / `__autotrace.axios(site, instance)(config)`:
// the facade starts the CLIENT span, runs the real call on the real instance inside the span's context, and ends the
// span when the promise settles. Headers are added by one synchronous request interceptor (so a synchronous chain
// stays synchronous), on axios' own per-request copy of the config and headers; it acts only inside a facade's call.

type AnyFunction = (...args: unknown[]) => unknown;
interface AxiosLike {
  (...args: unknown[]): unknown;
  getUri?: (config?: object) => string;
  interceptors?: { request?: unknown };
  [method: string]: unknown;
}
interface AxiosHeadersLike {
  has?: (name: string) => boolean;
  set?: (name: string, value: string) => unknown;
}

const METHODS = ['request', 'get', 'delete', 'head', 'options', 'post', 'put', 'patch', 'postForm', 'putForm', 'patchForm'];
// get(url, config), post(url, data, config): where the per-call config is, by method.
const CONFIG_AT: Record<string, number> = { request: 0, get: 1, delete: 1, head: 1, options: 1 };
export const ACTIVE_CALL = contextKey('autotrace.axios.call');

const withInjector = new WeakSet<object>();

export function axios<I>(site: Site | undefined, instance: I): I {
  return (safely(() => facadeFor(instance as unknown as AxiosLike, site), undefined) ?? instance) as I;
}

function facadeFor(instance: AxiosLike, site: Site | undefined): AnyFunction | undefined {
  if (typeof instance !== 'function') return undefined;
  installInjector(instance);
  return facadeOf(instance, site);
}

const facadeOf = facadesPerSite((instance: AxiosLike, site: Site | undefined) => {
  const facade = function (this: unknown, ...args: unknown[]) {
    return traced(instance, undefined, args, site);
  };
  for (const method of METHODS) {
    (facade as unknown as Record<string, AnyFunction>)[method] = (...args: unknown[]) => traced(instance, method, args, site);
  }
  return facade as AnyFunction;
});

function traced(instance: AxiosLike, method: string | undefined, args: unknown[], site: Site | undefined): unknown {
  // `instance.get(...)` or `instance(...)`, called as the caller wrote it.
  const fn = (method ? instance[method] : instance) as AnyFunction;
  const thisArg = method ? instance : undefined;
  if (!callNeedsTracing(site)) return Reflect.apply(fn, thisArg, args);
  const call = safely(() => {
    const config = callConfig(method, args);
    const url = parseUrl(instance.getUri?.(config));
    // axios upper-cases the method it sends (`purge` goes out as `PURGE`), so that is the "original" method.
    return startClientCall(String(config.method ?? 'get').toUpperCase(), url, site, httpIsInstrumented());
  }, undefined);
  if (!call) return Reflect.apply(fn, thisArg, args);
  return settle(call, fn, thisArg, args, outcome, call.context.setValue(ACTIVE_CALL, call));
}

export const outcome: ClientOutcome = {
  status: (response) => (response as { status?: unknown } | undefined)?.status,
  // axios rejects on 4xx/5xx (validateStatus) with the response attached.
  errorStatus: (error) => (error as { response?: { status?: unknown } } | null)?.response?.status,
  cancelled: isCancel,
};

/** The method and URL of a call, for the span only: a new object, the caller's config is read, never changed. */
export function callConfig(method: string | undefined, args: unknown[]): { method?: unknown; url?: unknown } {
  if (method === undefined) {
    // axios(config) or axios(url, config)
    const [first, second] = args;
    return typeof first === 'string' ? { ...(second as object | undefined), url: first } : { ...(first as object) };
  }
  const at = CONFIG_AT[method] ?? 2;
  const config = { ...(args[at] as object | undefined) } as { method?: unknown; url?: unknown };
  if (method === 'request') return config;
  return { ...config, url: args[0], method: method.replace(/Form$/, '') };
}

type RequestInterceptors = {
  use?: (fulfilled: AnyFunction, rejected?: AnyFunction, options?: object) => unknown;
  handlers?: unknown;
};

/**
 * Makes sure the instance's request interceptors hold ours, once. It is looked for in the manager's public
 * `handlers` list on every call, so one dropped by `interceptors.request.clear()` or `eject(id)` is added again
 * (as the last-added, a user's later interceptors keep their order among themselves); a manager without that list
 * gets ours once.
 */
export function installInjector(instance: AxiosLike): void {
  const manager = instance.interceptors?.request as RequestInterceptors | undefined;
  if (typeof manager?.use !== 'function') return;
  const { handlers } = manager;
  if (Array.isArray(handlers)) {
    if (handlers.some((handler) => (handler as { fulfilled?: unknown } | null)?.fulfilled === injectTraceHeaders)) return;
  } else if (withInjector.has(manager)) {
    return;
  }
  withInjector.add(manager);
  manager.use(injectTraceHeaders, undefined, { synchronous: true });
}

/** The one request interceptor: adds trace headers to axios' own copy of the headers, only inside a facade's call. */
function injectTraceHeaders(...args: unknown[]): unknown {
  const config = args[0] as { headers?: AxiosHeadersLike } | undefined;
  safely(() => {
    // No facade's call can be running while nothing uses the API (runtime/api.ts): nothing to add, nothing to load.
    if (!otelInUse()) return;
    const call = otelApi().context.active().getValue(ACTIVE_CALL) as ClientCall | undefined;
    const headers = config?.headers;
    if (!call || typeof headers?.has !== 'function' || typeof headers.set !== 'function') return;
    addMissing(traceHeaders(call), (name) => headers.has!(name), (name, value) => headers.set!(name, value));
  }, undefined);
  return config;
}

/** axios' cancellation (AbortSignal or CancelToken) is the caller's decision, not a failure. */
function isCancel(error: unknown): boolean {
  const e = error as { __CANCEL__?: unknown; name?: unknown; code?: unknown } | null;
  return e?.__CANCEL__ === true || e?.name === 'CanceledError' || e?.code === 'ERR_CANCELED';
}
