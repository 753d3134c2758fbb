import { propagation, ProxyTracerProvider, trace, type TextMapPropagator } from '@opentelemetry/api';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from './propagators';
import { publishProvider, SHARED_PROVIDER_KEY } from './shared-provider';
import './net';
import { WRITE_RECORD } from './net/record';

// `node --import autotrace/otel app.js` (or `-r autotrace/otel`): spans to a backend with environment variables alone.
// Starts an SDK from the standard OTEL_* variables, on whichever SDK line the app installed (3.x
// @opentelemetry/sdk-trace, or 2.x @opentelemetry/sdk-trace-base): those and the exporter are optional peers, looked
// up from the app. The provider is installed as the API's delegate without registering it, so an app that registers
// its own provider later replaces it: the app's choice wins, and no second SDK runs. A bundle carries its own copy of
// the API: the provider is also published for the runtime copy inside it (runtime/shared-provider.ts).

type AnyClass = new (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const appRequire = createRequire(join(process.cwd(), 'package.json'));
const env = process.env;

function optional(name: string): Record<string, AnyClass & ((...args: unknown[]) => unknown)> | undefined {
  try {
    return appRequire(name) as Record<string, AnyClass & ((...args: unknown[]) => unknown)>;
  } catch {
    return undefined;
  }
}

/** The major version of a package as the app resolves it; 0 when it is not installed or cannot be read. */
function majorOf(name: string): number {
  try {
    let dir = dirname(appRequire.resolve(name));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === name) return Number.parseInt(String(pkg.version), 10) || 0;
      }
      const up = dirname(dir);
      if (up === dir) return 0;
      dir = up;
    }
  } catch {
    return 0;
  }
}

function say(message: string): void {
  process.stderr.write(`autotrace/otel: ${message}\n`);
}

/** service.name: OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES, else the nearest package.json name. */
function resourceAttributes(): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      attributes[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      // a malformed member is left out, as the specification asks
    }
  }
  const name = env.OTEL_SERVICE_NAME || attributes['service.name'] || packageName();
  attributes['service.name'] = name ?? 'unknown_service:node';
  return attributes;
}

function packageName(): string | undefined {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
        if (typeof name === 'string' && name) return name;
      } catch {
        // keep looking
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function propagatorFromEnv(): TextMapPropagator | undefined {
  const names = (env.OTEL_PROPAGATORS ?? 'tracecontext,baggage').split(',').map((n) => n.trim()).filter(Boolean);
  if (names.includes('none')) return undefined;
  const chosen: TextMapPropagator[] = [];
  if (names.includes('tracecontext')) chosen.push(new W3CTraceContextPropagator());
  if (names.includes('baggage')) chosen.push(new W3CBaggagePropagator());
  for (const name of names.filter((n) => n !== 'tracecontext' && n !== 'baggage')) say(`OTEL_PROPAGATORS "${name}" is not supported: only tracecontext, baggage and none`);
  return new CompositePropagator(chosen);
}

/** The exporter OTEL_TRACES_EXPORTER names (otlp by default), or undefined with a message saying what to install. */
function exporterFromEnv(sdk: Record<string, AnyClass>, line3: boolean): unknown {
  const kind = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',')[0]!.trim();
  if (kind === 'console') return new sdk.ConsoleSpanExporter!();
  if (kind !== 'otlp') {
    say(`OTEL_TRACES_EXPORTER "${kind}" is not supported: use otlp, console or none`);
    return undefined;
  }
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const pkg = protocol === 'http/json' ? '@opentelemetry/exporter-trace-otlp-http' : protocol === 'http/protobuf' ? '@opentelemetry/exporter-trace-otlp-proto' : undefined;
  if (!pkg) {
    say(`OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}" is not supported: use http/protobuf or http/json`);
    return undefined;
  }
  const module = optional(pkg);
  if (!module) {
    // The exporters' versions follow the SDK line's (0.2xx with 2.x, 0.3xx with 3.x): the range the Quickstart uses.
    const range = line3 ? '^0.301' : '~0.223';
    say(`no spans are exported: OTLP over ${protocol} needs ${pkg}, which is not installed: npm install ${pkg}@${range}. Trace context still passes through.`);
    return undefined;
  }
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and _HEADERS itself.
  return new module.OTLPTraceExporter!();
}

function start(): void {
  if (env.OTEL_SDK_DISABLED === 'true' || (env.OTEL_TRACES_EXPORTER ?? '').trim() === 'none') return;
  const proxy = trace.getTracerProvider();
  if (!(proxy instanceof ProxyTracerProvider)) return; // the app (or another preload) registered a provider already
  // @opentelemetry/sdk-trace exists on the 2.x line too (sdk-trace-base 2.x depends on it): its major tells the line.
  const line3 = majorOf('@opentelemetry/sdk-trace') >= 3 ? optional('@opentelemetry/sdk-trace') : undefined;
  const sdk = line3 ?? optional('@opentelemetry/sdk-trace-base');
  const resources = optional('@opentelemetry/resources');
  if (!sdk || !resources) {
    say(
      'no spans are exported: install an OpenTelemetry SDK beside autotrace: @opentelemetry/sdk-trace-base@^2 and ' +
        '@opentelemetry/resources@^2 (or @opentelemetry/sdk-trace@^3 and @opentelemetry/resources@^3), with ' +
        '@opentelemetry/exporter-trace-otlp-proto. Trace context still passes through.',
    );
    return;
  }
  const exporter = exporterFromEnv(sdk, line3 !== undefined);
  if (!exporter) return;
  // The 3.x line takes processor options ({ exporter }); 2.x the exporter itself.
  const processor = line3 ? new sdk.BatchSpanProcessor!({ exporter }) : new sdk.BatchSpanProcessor!(exporter);
  const Provider = (sdk.TracerProvider ?? sdk.BasicTracerProvider)!;
  const provider = new Provider({ resource: resources.resourceFromAttributes!(resourceAttributes()), spanProcessors: [processor] });
  proxy.setDelegate(provider);
  const propagator = propagatorFromEnv();
  const propagatorRegistered = propagator !== undefined && propagation.setGlobalPropagator(propagator);
  publishProvider({ provider, propagator: propagatorRegistered });
  flushOnExit(provider as { forceFlush(): Promise<void>; shutdown(): Promise<void> });
  warnIfBundleCannotAdopt();
}

/**
 * A bundle that carries its own @opentelemetry/api but no autotrace/runtime (built without the autotrace bundler
 * plugin) makes spans on a copy of the API that nothing here can reach: say so once, now, rather than export nothing
 * in silence. Read from the main script's text: the API's registry key is in every copy of it, and the shared
 * provider's key in every copy of the runtime that adopts it.
 */
function warnIfBundleCannotAdopt(): void {
  const main = process.argv[1];
  if (!main) return;
  let bytes: Buffer;
  try {
    const file = appRequire.resolve(resolve(main));
    if (statSync(file).size > 64 * 1024 * 1024) return;
    bytes = readFileSync(file);
  } catch {
    return;
  }
  if (bytes.indexOf('opentelemetry.js.api.') === -1 || bytes.indexOf(SHARED_PROVIDER_KEY) !== -1) return;
  say(
    `${main} carries its own copy of @opentelemetry/api, which the SDK started here cannot reach: spans made on it are ` +
      'not exported (unless the bundle registers an SDK of its own). Fix: mark @opentelemetry/api external in the ' +
      'bundler, or build with the autotrace plugin (autotrace/esbuild, /vite, /webpack), whose runtime hands it this SDK.',
  );
}

/** Ends batching before the process does: on a natural exit, and on SIGTERM/SIGINT (then exits as Node would have). */
function flushOnExit(provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> }): void {
  let flushed = false;
  const shutdown = () => {
    if (flushed) return Promise.resolve();
    flushed = true;
    return provider.shutdown().catch(() => undefined);
  };
  process.once('beforeExit', () => void shutdown());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      // Alone on the signal, the process would have exited: do so once flushed. Beside the app's own handler, flush
      // and let the app decide.
      const alone = process.listenerCount(signal) === 1;
      void shutdown().then(() => {
        if (alone) {
          // The run-time record (AUTOTRACE_RUNTIME_REPORT) is written on 'exit', which a re-raised signal skips.
          (globalThis as { [WRITE_RECORD]?: () => void })[WRITE_RECORD]?.();
          process.removeListener(signal, onSignal);
          process.kill(process.pid, signal);
        }
      });
    };
    process.on(signal, onSignal);
  }
}

try {
  start();
} catch (error) {
  say(`not started: ${(error as Error).message}`);
}
