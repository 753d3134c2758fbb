import { wrapHandlers, type HandlerShape } from './handler';
import type { Site } from './site';

// node:http / node:https: `createServer([options], handler)` and `server.on('request', handler)`. There is no router,
// so the span keeps the method as its name. A framework app passed as the handler (`createServer(expressApp)`) is
// the same request: the span it starts is the one the app's own wrappers find.

const shape: HandlerShape = {
  exchange: ([req, res]) => ({ req, res }),
  endpoint: true,
};

/** Wraps the request listener of `createServer(...)` / `server.on('request', ...)`. */
export function httpHandler<H>(handler: H, site?: Site): H {
  return wrapHandlers(handler, shape, site);
}
