import { listenToHttpClients } from './http-client';
import { startRecord } from './record';
import { listenToServers } from './server';
import { listenToUndici } from './undici';

// The run-time net: spans for the HTTP traffic no build-time site wrapped (a server a framework creates inside
// node_modules, an SDK's client), from the diagnostics channels node:http and undici publish. Loaded with
// `autotrace/runtime` (every traced module imports it), `autotrace/otel` and `autotrace/register`.
// AUTOTRACE_NET=off leaves it out. It subscribes once per process: a second copy of the runtime (two versions
// installed side by side) finds the first one's mark and adds nothing.

const STARTED = Symbol.for('autotrace.net');

function start(): void {
  const env = process.env.AUTOTRACE_NET?.trim().toLowerCase();
  if (env === 'off' || env === 'false' || env === '0') return;
  const holder = globalThis as { [STARTED]?: true };
  if (holder[STARTED]) return;
  holder[STARTED] = true;
  startRecord(process.env.AUTOTRACE_RUNTIME_REPORT);
  listenToServers();
  listenToHttpClients();
  listenToUndici();
}

try {
  start();
} catch {
  // without the net, build-time tracing goes on as before
}

export type { RuntimeRecord, RuntimeRecordEntry } from './record';
