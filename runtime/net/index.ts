import { canRecord } from '../bootstrap';
import { listen, type Listener } from './channels';
import type * as RecordModule from './record';
import type * as ServerModule from './server';
import type * as HttpClientModule from './http-client';
import type * as UndiciModule from './undici';

// The run-time net: spans for the HTTP traffic no build-time site wrapped (a server a framework creates inside
// node_modules, an SDK's client), from the diagnostics channels node:http and undici publish. Loaded with
// `autotrace/runtime` (every traced module imports it), `autotrace/otel` and `autotrace/register`.
// AUTOTRACE_NET=off leaves it out. It subscribes once per process: a second copy of the runtime (two versions
// installed side by side) finds the first one's mark and adds nothing.

const STARTED = Symbol.for('autotrace.net');

type Handlers = Readonly<Record<string, Listener>>;

/**
 * Subscribes to `channels` now, and requires the module that handles them on the first message published while
 * something can record (an SDK): until then a message costs one check, and the span code the handlers use
 * (runtime/server.ts, client.ts and what they load) stays out of the service's startup. From then on every message
 * goes to the module, which decides as it always did.
 */
function listenLazily(channels: readonly string[], load: () => Handlers): void {
  let handlers: Handlers | undefined;
  for (const name of channels) {
    listen(name, (message, channel) => {
      if (!handlers) {
        if (!canRecord()) return;
        handlers = load();
      }
      handlers[name]!(message, channel);
    });
  }
}

function start(): void {
  const env = process.env.AUTOTRACE_NET?.trim().toLowerCase();
  if (env === 'off' || env === 'false' || env === '0') return;
  const holder = globalThis as { [STARTED]?: true };
  if (holder[STARTED]) return;
  holder[STARTED] = true;
  // Literal paths, so that bundlers still find and include each module.
  const recordTo = process.env.AUTOTRACE_RUNTIME_REPORT;
  if (recordTo) (require('./record') as typeof RecordModule).startRecord(recordTo);
  listenLazily(['http.server.request.start'], () => (require('./server') as typeof ServerModule).handlers);
  listenLazily(
    ['http.client.request.created', 'http.client.request.start', 'http.client.response.finish', 'http.client.request.error'],
    () => (require('./http-client') as typeof HttpClientModule).handlers,
  );
  listenLazily(
    ['undici:request:create', 'undici:request:headers', 'undici:request:trailers', 'undici:request:error'],
    () => (require('./undici') as typeof UndiciModule).handlers,
  );
}

try {
  start();
} catch {
  // without the net, build-time tracing goes on as before
}

export type { RuntimeRecord, RuntimeRecordEntry } from './record';
