import type { Context } from '@opentelemetry/api';
import { otelApi } from '../api';

// Makes a context active for the rest of the current synchronous execution and what it schedules, as
// AsyncLocalStorage's `enterWith` does. `http.server.request.start` is published synchronously just before
// `server.emit('request')`, so entering the request's context there reaches every 'request' listener, whoever
// registered it. The ContextManager interface has no such call: it is reached on the managers that hold an
// AsyncLocalStorage (autotrace's own, which offers `enterWith`, and the SDK's AsyncLocalStorageContextManager, 1.x to
// 3.x, which keeps it as `_asyncLocalStorage`). Under any other manager the span is still made, but handlers do not
// see it as active.

interface Enterable {
  enterWith?(context: Context): void;
  _asyncLocalStorage?: { enterWith?(store: Context): void };
}

function registeredManager(): Enterable | undefined {
  const api = otelApi().context as unknown as { _getContextManager?: () => unknown };
  const manager = typeof api._getContextManager === 'function' ? api._getContextManager() : undefined;
  return typeof manager === 'object' && manager !== null ? (manager as Enterable) : undefined;
}

/** Enters `ctx` for what follows in this execution; false when the registered manager offers no way to. */
export function enterContext(ctx: Context): boolean {
  const manager = registeredManager();
  if (!manager) return false;
  if (typeof manager.enterWith === 'function') {
    manager.enterWith(ctx);
    return true;
  }
  const storage = manager._asyncLocalStorage;
  if (storage && typeof storage.enterWith === 'function') {
    storage.enterWith(ctx);
    return true;
  }
  return false;
}
