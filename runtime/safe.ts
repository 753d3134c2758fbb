/**
 * Runs tracing work that must never disturb the app: any error is swallowed and `fallback` returned.
 * Used around every piece of bookkeeping so a bug in autotrace or a failing SDK cannot break a request.
 */
export function safely<T>(work: () => T, fallback: T): T {
  try {
    return work();
  } catch {
    return fallback;
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Gives `wrapper` the `length` and `name` of `original`: Express tells error middleware by `fn.length === 4`. */
export function keepShape<F extends Function>(wrapper: F, original: Function): F {
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  return wrapper;
}
