import { context } from '@opentelemetry/api';
import { canRecord, ensureBootstrapped } from '../bootstrap';
import { safely } from '../safe';
import { KEY_POSITIONS } from './redis-keys';
import { runTraced, shouldTrace, startRedisSpan, type Connection, type RedisSite } from './redis-span';

// ioredis and node-redis (4 to 6). Emitted code calls `__autotrace.ioredis(site, client).get(key)` and
// `__autotrace.nodeRedis(site, client).hSet(key, …)`: the facade runs the same method on the same object, with the
// same arguments, and makes one CLIENT span per command. A pipeline or MULTI is one span at its `exec`: commands
// queued on it (through the facade too, since they are the same methods) only record their name and keys.
//
// The facade is a Proxy over nothing: every property is read from the client itself, so a method the facade does
// not trace (`connect`, `quit`, `duplicate`) runs as written, and no invariant of the client's own properties binds it.

type AnyFunction = (...args: unknown[]) => unknown;
type Target = Record<string | symbol, unknown>;

interface Flavour {
  /** A client this facade traces (`new Redis()`, `createClient()`), not a cluster or something else. */
  isClient(target: Target): boolean;
  /** A pipeline or MULTI of this client. */
  isBatch(target: Target): boolean;
  /** Methods that make a batch, and what each is called when it runs. */
  readonly makesBatch: Readonly<Record<string, 'PIPELINE' | 'MULTI'>>;
  /** Methods that run a batch, and what it is called when the method says (node-redis' `execAsPipeline`). */
  readonly runsBatch: Readonly<Record<string, 'PIPELINE' | 'MULTI' | undefined>>;
  connection(target: Target): Connection;
  /** The commands a batch holds, when the client says (ioredis keeps its queue); else what was recorded. */
  queued?(batch: Target): string[] | undefined;
}

/** What a batch made through a facade has had queued on it, and how it was made. */
interface BatchRecord {
  readonly kind: 'PIPELINE' | 'MULTI';
  readonly commands: string[];
  readonly connection: Connection;
}
const batches = new WeakMap<object, BatchRecord>();

const IOREDIS: Flavour = {
  isClient: (target) => typeof target.sendCommand === 'function' && target.isCluster !== true && target.isPipeline !== true,
  isBatch: (target) => target.isPipeline === true,
  makesBatch: { pipeline: 'PIPELINE', multi: 'MULTI' },
  runsBatch: { exec: undefined },
  connection: (target) => {
    const options = target.options as { host?: unknown; port?: unknown; db?: unknown; path?: unknown } | undefined;
    // ioredis keeps the database a SELECT switched to; the option is where it starts.
    const selected = (target.condition as { select?: unknown } | undefined)?.select;
    return {
      host: typeof options?.path === 'string' ? options.path : typeof options?.host === 'string' ? options.host : undefined,
      port: typeof options?.port === 'number' ? options.port : undefined,
      database: typeof selected === 'number' ? selected : typeof options?.db === 'number' ? options.db : 0,
    };
  },
  queued: (batch) => {
    const queue = batch._queue;
    if (!Array.isArray(queue)) return undefined;
    const names = queue.map((command) => String((command as { name?: unknown }).name ?? '').toUpperCase());
    // A MULTI's queue holds the MULTI itself (and, once running, the EXEC): they are the batch, not in it.
    return names.filter((name, index) => !((name === 'MULTI' && index === 0) || (name === 'EXEC' && index === names.length - 1)));
  },
};

const NODE_REDIS: Flavour = {
  // A cluster's or sentinel's options name their nodes: those are not traced (their connection is not one server).
  isClient: (target) =>
    typeof target.sendCommand === 'function' &&
    typeof target.multi === 'function' &&
    typeof target.connect === 'function' &&
    !hasAny(target.options, ['rootNodes', 'sentinelRootNodes']),
  isBatch: (target) => typeof target.execAsPipeline === 'function' && typeof target.addCommand === 'function',
  makesBatch: { multi: 'MULTI', MULTI: 'MULTI' },
  runsBatch: { exec: 'MULTI', EXEC: 'MULTI', execAsPipeline: 'PIPELINE' },
  connection: (target) => {
    const options = target.options as { socket?: { host?: unknown; port?: unknown; path?: unknown }; database?: unknown; url?: unknown } | undefined;
    const socket = options?.socket;
    let host = typeof socket?.path === 'string' ? socket.path : typeof socket?.host === 'string' ? socket.host : undefined;
    let port = typeof socket?.port === 'number' ? socket.port : undefined;
    if (host === undefined && typeof options?.url === 'string') {
      const url = safely(() => new URL(options.url as string), undefined);
      host = url?.hostname || undefined;
      port = url?.port ? Number(url.port) : port;
    }
    // The database the client was configured with (a later SELECT is not followed: node-redis keeps it private).
    return { host, port, database: typeof options?.database === 'number' ? options.database : 0 };
  },
};

export function ioredis<I>(site: RedisSite | undefined, client: I): I {
  return facade(IOREDIS, site, client);
}

export function nodeRedis<I>(site: RedisSite | undefined, client: I): I {
  return facade(NODE_REDIS, site, client);
}

function facade<I>(flavour: Flavour, site: RedisSite | undefined, client: I): I {
  // Without an SDK the client itself: one check, no facade.
  ensureBootstrapped();
  if (!canRecord() || client === null || (typeof client !== 'object' && typeof client !== 'function')) return client;
  const target = client as unknown as Target;
  const handler: ProxyHandler<object> = {
    get(_, property) {
      const value = target[property];
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => call(flavour, site, target, property, value as AnyFunction, args);
    },
  };
  return new Proxy({}, handler) as I;
}

function call(flavour: Flavour, site: RedisSite | undefined, target: Target, method: string, fn: AnyFunction, args: unknown[]): unknown {
  const plan = safely(() => planCall(flavour, site, target, method, args), undefined);
  if (!plan) return fn.apply(target, args);
  if (plan.type === 'make-batch') {
    const batch = fn.apply(target, args);
    safely(() => {
      if (batch && typeof batch === 'object' && flavour.isBatch(batch as Target)) {
        batches.set(batch, { kind: plan.kind, commands: [], connection: flavour.connection(target) });
      }
    }, undefined);
    return batch;
  }
  if (plan.type === 'queue') {
    plan.record.commands.push(plan.text);
    return fn.apply(target, args);
  }
  const span = safely(() => startRedisSpan(plan.operation, plan.connection, site), undefined);
  if (!span) return fn.apply(target, args);
  // A callback is called in the caller's context, as without the facade (the client would call it in the span's).
  const given = plan.hasCallback ? inCallersContext(args) : args;
  return runTraced(span, () => fn.apply(target, given), plan.hasCallback);
}

type Plan =
  | { readonly type: 'make-batch'; readonly kind: 'PIPELINE' | 'MULTI' }
  | { readonly type: 'queue'; readonly record: BatchRecord; readonly text: string }
  | {
      readonly type: 'span';
      readonly operation: { name: string; text: string; batchSize?: number };
      /** Unknown for a node-redis batch made out of the build's sight (it keeps its client private). */
      readonly connection: Connection | undefined;
      readonly hasCallback: boolean;
    };

/** What to do with one call through the facade; undefined: call it plainly. */
function planCall(flavour: Flavour, site: RedisSite | undefined, target: Target, method: string, args: unknown[]): Plan | undefined {
  if (flavour.isBatch(target)) {
    const runs = Object.hasOwn(flavour.runsBatch, method);
    const record = batches.get(target);
    if (!runs) {
      // A command queued on a batch: no span of its own; remembered for the batch's span.
      return record ? { type: 'queue', record, text: commandText(commandOf(site, method), args, site) } : undefined;
    }
    if (!shouldTrace(site)) return undefined;
    // ioredis' queue is the truth (commands queued out of the build's sight count too); node-redis keeps its private.
    const fromClient = flavour.queued?.(target);
    const texts = record?.commands ?? [];
    const names = fromClient ?? texts.map((text) => text.split(' ')[0]!);
    const kind = flavour === IOREDIS ? (isMulti(target) ? 'MULTI' : 'PIPELINE') : (flavour.runsBatch[method] ?? record?.kind ?? 'MULTI');
    const same = names.length > 0 && names.every((name) => name === names[0]);
    // The Redis conventions: `MULTI` or `PIPELINE`, followed by the command when every one queued is the same.
    const name = same ? `${kind} ${names[0]}` : kind;
    const text = texts.length > 0 && texts.length === names.length ? texts.join('; ') : names.join('; ') || kind;
    const owner = target.redis as Target | undefined;
    const connection = record?.connection ?? (owner && typeof owner === 'object' ? flavour.connection(owner) : undefined);
    return { type: 'span', operation: { name, text, batchSize: names.length }, connection, hasCallback: lastIsFunction(args) };
  }
  if (!flavour.isClient(target)) return undefined;
  const makes = Object.hasOwn(flavour.makesBatch, method) ? flavour.makesBatch[method] : undefined;
  if (!shouldTrace(site)) return undefined;
  // ioredis' `multi({ pipeline: false })` sends MULTI at once and answers with a promise, not a batch: left as it is.
  if (makes) return { type: 'make-batch', kind: makes };
  const command = commandOf(site, method);
  return {
    type: 'span',
    operation: { name: command, text: commandText(command, args, site) },
    connection: flavour.connection(target),
    hasCallback: lastIsFunction(args),
  };
}

/** ioredis makes a MULTI as a pipeline whose first queued command is MULTI. */
function isMulti(batch: Target): boolean {
  const queue = batch._queue;
  return Array.isArray(queue) && String((queue[0] as { name?: unknown } | undefined)?.name).toLowerCase() === 'multi';
}

function commandOf(site: RedisSite | undefined, method: string): string {
  const operation = site?.queryOperation;
  return typeof operation === 'string' && operation ? operation : method.replace(/Buffer$/, '').toUpperCase();
}

/** A copy of the arguments whose last, a callback, runs in the context active now, with the same `this` and arguments. */
function inCallersContext(args: readonly unknown[]): unknown[] {
  const callback = args[args.length - 1] as AnyFunction;
  const caller = context.active();
  const list = [...args];
  list[list.length - 1] = function (this: unknown, ...results: unknown[]) {
    return context.with(caller, () => callback.apply(this, results));
  };
  return list;
}

function hasAny(options: unknown, names: readonly string[]): boolean {
  return typeof options === 'object' && options !== null && names.some((name) => name in options);
}

function lastIsFunction(args: readonly unknown[]): boolean {
  return typeof args[args.length - 1] === 'function';
}

const MAX_KEYS = 10;

/**
 * The command and its keys (`GET user:1`, `MSET a b`), never a value: keys are read only at the positions Redis's
 * command table gives them, only while those arguments are strings (node-redis' option objects and pairs stop it),
 * and at most ten. With `redactKeys` each key is `?`.
 */
export function commandText(command: string, args: readonly unknown[], site: RedisSite | undefined): string {
  const spec = KEY_POSITIONS[command];
  if (!spec) return command;
  const [stop, step] = spec;
  const flat: unknown[] = [];
  for (const arg of args) {
    if (typeof arg === 'function') break;
    if (Array.isArray(arg)) flat.push(...arg);
    else flat.push(arg);
  }
  const last = stop < 0 ? flat.length + stop : stop - 1;
  const keys: string[] = [];
  for (let i = 0; i <= last && i < flat.length && keys.length < MAX_KEYS; i += step) {
    const key = flat[i];
    if (typeof key !== 'string') break;
    keys.push(site?.redactKeys === true ? '?' : key);
  }
  return keys.length > 0 ? `${command} ${keys.join(' ')}` : command;
}
