import { SpanKind, type Attributes } from '@opentelemetry/api';
import { facadesPerSite } from '../facades';
import { keepShape, safely } from '../safe';
import type { Site } from '../site';
import { extractFrom, injectInto, runInHop, startReceivingHop, startSendingHop, type Hop } from './span';
import { ATTR_MESSAGING_BATCH_MESSAGE_COUNT, ATTR_MESSAGING_DESTINATION_NAME, ATTR_MESSAGING_MESSAGE_ID, ATTR_MESSAGING_OPERATION_NAME, ATTR_MESSAGING_OPERATION_TYPE, ATTR_MESSAGING_SYSTEM, MESSAGING_OPERATION_TYPE_VALUE_PROCESS, MESSAGING_OPERATION_TYPE_VALUE_SEND } from './semconv';

// BullMQ (Redis job queues). Emitted code calls `__autotrace.bullmq(site, queue).add(name, data, opts)` (also
// `addBulk`, and `add`/`addBulk` of a FlowProducer): a PRODUCER span per call, and the trace context written into
// the job's options as BullMQ's own context field, `opts.telemetry.metadata` (stored with the job as `tm`, read back
// into `job.opts.telemetry.metadata` by the worker; a JSON object of propagation fields, the format BullMQ's own
// telemetry integration writes). The processor never sees it: `job.data` is left exactly as given, and the caller's
// option objects are copied, never written. A worker's processor (`new Worker(name, __autotrace.bullmqProcessor(fn,
// site), opts)`) gets a CONSUMER span per attempt, child of the context the job carried: a retry is a new span in
// the same trace, with its attempt count. Where BullMQ's own telemetry is configured (`opts.telemetry` on the queue
// or worker) it already makes these spans and carries the context, so these wrappers stand aside.

/** The semantic conventions list no value for BullMQ: its own name, as they ask for systems they do not list. */
const SYSTEM = 'bullmq';
/** How many attempts the job had made before this one (0 on the first run): `job.attemptsMade`. */
export const ATTR_BULLMQ_ATTEMPTS_MADE = 'messaging.bullmq.job.attempts_made';
export const ATTR_BULLMQ_JOB_NAME = 'messaging.bullmq.job.name';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
interface JobOptions {
  telemetry?: { metadata?: unknown; omitContext?: unknown };
  [key: string]: unknown;
}
interface QueueLike {
  name?: unknown;
  opts?: { telemetry?: unknown };
  [method: string]: unknown;
}
interface FlowJob {
  queueName?: unknown;
  opts?: JobOptions;
  children?: unknown;
  [key: string]: unknown;
}
interface JobLike {
  id?: unknown;
  name?: unknown;
  queueName?: unknown;
  attemptsMade?: unknown;
  opts?: JobOptions;
}


/** The traced stand-in for a Queue or FlowProducer at one site: its `add`/`addBulk` run the real methods. */
export function bullmq<Q>(site: Site | undefined, queue: Q): Q {
  return (safely(() => facadeFor(queue as unknown as QueueLike, site), undefined) ?? queue) as Q;
}

function facadeFor(queue: QueueLike, site: Site | undefined): Record<string, AnyFunction> | undefined {
  return queue !== null && typeof queue === 'object' ? facadeOf(queue, site) : undefined;
}

const facadeOf = facadesPerSite((queue: QueueLike, site: Site | undefined): Record<string, AnyFunction> => ({
  add: (...args: unknown[]) => produce(queue, 'add', args, site),
  addBulk: (...args: unknown[]) => produce(queue, 'addBulk', args, site),
}));

/** Whether BullMQ's own telemetry is configured on this queue or worker: it makes the spans then. */
function hasOwnTelemetry(holder: unknown): boolean {
  const opts = (holder as { opts?: { telemetry?: unknown } } | null | undefined)?.opts;
  return opts !== null && typeof opts === 'object' && opts.telemetry !== undefined && opts.telemetry !== null;
}

function produce(queue: QueueLike, method: 'add' | 'addBulk', args: unknown[], site: Site | undefined): unknown {
  const real = queue[method] as AnyFunction;
  const invoke = (callArgs: unknown[]) => real.apply(queue, callArgs);
  if (typeof real !== 'function' || hasOwnTelemetry(queue)) return invoke(args);
  const isFlow = typeof queue.name !== 'string';
  const prepared = safely(() => {
    const destination = isFlow ? flowDestination(method, args[0]) : String(queue.name);
    const attributes: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: SYSTEM,
      [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
      [ATTR_MESSAGING_OPERATION_NAME]: method,
    };
    if (destination !== undefined) attributes[ATTR_MESSAGING_DESTINATION_NAME] = destination;
    if (method === 'addBulk' && Array.isArray(args[0])) attributes[ATTR_MESSAGING_BATCH_MESSAGE_COUNT] = args[0].length;
    if (method === 'add' && !isFlow && typeof args[0] === 'string') attributes[ATTR_BULLMQ_JOB_NAME] = args[0];
    const hop = startSendingHop(SpanKind.PRODUCER, destination !== undefined ? `${method} ${destination}` : method, attributes, site);
    const metadata = metadataOf(hop);
    return { hop, callArgs: metadata === undefined ? args : withMetadata(isFlow, method, args, metadata) };
  }, undefined);
  if (!prepared) return invoke(args);
  const { hop, callArgs } = prepared;
  return runInHop(hop, () => invoke(callArgs), (job) => {
    if (method !== 'add' || !hop.span.isRecording()) return;
    const id = (isFlow ? (job as { job?: JobLike } | null)?.job : (job as JobLike | null))?.id;
    if (id !== undefined && id !== null) hop.span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, String(id));
  });
}

/** A flow's destination: its root job's queue (for a bulk of flows, when they all go to one queue). */
function flowDestination(method: 'add' | 'addBulk', first: unknown): string | undefined {
  const roots = method === 'add' ? [first] : Array.isArray(first) ? first : [];
  const names = new Set(roots.map((root) => (root as FlowJob | null)?.queueName));
  const [name] = names;
  return names.size === 1 && typeof name === 'string' ? name : undefined;
}

/** The hop's context as BullMQ's metadata string, or undefined when there is nothing to carry. */
function metadataOf(hop: Hop): string | undefined {
  const carrier: Record<string, string> = {};
  injectInto(hop, carrier);
  return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : undefined;
}

/** New arguments whose job options carry the metadata: the caller's objects are copied, not written. */
function withMetadata(isFlow: boolean, method: 'add' | 'addBulk', args: unknown[], metadata: string): unknown[] {
  const copy = [...args];
  if (!isFlow && method === 'add') {
    // add(name, data, opts): the options are the third argument, given or not.
    copy[2] = optionsWith(args[2] as JobOptions | undefined, metadata);
    copy.length = Math.max(copy.length, 3);
  } else if (!isFlow) {
    copy[0] = Array.isArray(args[0]) ? args[0].map((job) => (isObject(job) ? { ...job, opts: optionsWith((job as FlowJob).opts, metadata) } : job)) : args[0];
  } else {
    copy[0] = method === 'add' ? flowWith(args[0], metadata) : Array.isArray(args[0]) ? args[0].map((flow) => flowWith(flow, metadata)) : args[0];
  }
  return copy;
}

function flowWith(flow: unknown, metadata: string): unknown {
  if (!isObject(flow)) return flow;
  const node = flow as FlowJob;
  const children = Array.isArray(node.children) ? node.children.map((child) => flowWith(child, metadata)) : node.children;
  return { ...node, opts: optionsWith(node.opts, metadata), ...(node.children !== undefined ? { children } : {}) };
}

/** Options with the context, unless they ask for none (`omitContext`) or already carry some. */
function optionsWith(opts: JobOptions | undefined, metadata: string): JobOptions | undefined {
  if (opts !== undefined && !isObject(opts)) return opts;
  const telemetry = opts?.telemetry;
  if (isObject(telemetry) && (telemetry!.omitContext === true || telemetry!.metadata !== undefined)) return opts;
  return { ...opts, telemetry: { ...(isObject(telemetry) ? telemetry : {}), metadata } };
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/** Wraps a worker's processor; a sandboxed processor (a file path or URL) is returned as it was, untraced. */
export function bullmqProcessor<P>(processor: P, site?: Site): P {
  if (typeof processor !== 'function') return processor;
  const original = processor as unknown as AnyFunction;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const job = args[0] as JobLike | undefined;
    if (hasOwnTelemetry(this)) return original.apply(this, args);
    const hop = safely(() => consumerHop(job, site), undefined);
    if (!hop) return original.apply(this, args);
    return runInHop(hop, () => original.apply(this, args));
  };
  // BullMQ passes an AbortSignal only to processors declaring a third parameter: the wrapper declares as many.
  return keepShape(wrapper, original) as unknown as P;
}

function consumerHop(job: JobLike | undefined, site: Site | undefined): Hop {
  const queue = typeof job?.queueName === 'string' ? job.queueName : undefined;
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: SYSTEM,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
  };
  if (queue !== undefined) attributes[ATTR_MESSAGING_DESTINATION_NAME] = queue;
  if (job?.id !== undefined && job.id !== null) attributes[ATTR_MESSAGING_MESSAGE_ID] = String(job.id);
  if (typeof job?.name === 'string') attributes[ATTR_BULLMQ_JOB_NAME] = job.name;
  if (typeof job?.attemptsMade === 'number') attributes[ATTR_BULLMQ_ATTEMPTS_MADE] = job.attemptsMade;
  return startReceivingHop(SpanKind.CONSUMER, queue !== undefined ? `process ${queue}` : 'process', attributes, extractFrom(carrierOf(job)), site);
}

/** The propagation fields a job carried, or undefined when it carried none or something malformed. */
function carrierOf(job: JobLike | undefined): Record<string, string> | undefined {
  const metadata = job?.opts?.telemetry?.metadata;
  if (typeof metadata !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(metadata);
    if (!isObject(parsed) || Array.isArray(parsed)) return undefined;
    const carrier: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') carrier[key] = value;
    return carrier;
  } catch {
    return undefined;
  }
}
