import { writeFileSync } from 'node:fs';
import { callerSource } from './source';

// The run-time record (AUTOTRACE_RUNTIME_REPORT=<file>): what the net caught, that is the requests and calls it made
// the span for because no build-time site did. `autotrace report --runtime` reads it beside the build report.

/** One kind of request or call the net caught, with how many times. */
export interface RuntimeRecordEntry {
  readonly kind: 'server' | 'client';
  /** The npm package the call came from, or a file relative to the working directory; absent when not found. */
  readonly source?: string;
  readonly method: string;
  /** The host called (client entries). */
  readonly host?: string;
  /** The route template, when a framework made it known (server entries). */
  readonly route?: string;
  readonly count: number;
}

/** The file written at exit, and at most once a minute while the process runs. */
export interface RuntimeRecord {
  readonly tool: 'autotrace';
  readonly runtimeRecord: 1;
  readonly entries: RuntimeRecordEntry[];
}

const WRITE_EVERY_MS = 60_000;
const MAX_KEYS = 2_000;

// Counters by output key (kind, method, host, source, route); several lookup keys may share one counter.
const counts = new Map<string, { count: number }>();
// Client calls: one counter per client, method and host, found with one lookup per call. Its source is taken from a
// stack on the first call only, so two packages calling one host the same way through the same client are both
// counted under the first one seen.
const clientCounters = new Map<string, { count: number }>();
let file: string | undefined;
let changed = false;

/** Where the recording copy of the runtime leaves its writer for autotrace/otel's signal handling. */
export const WRITE_RECORD = Symbol.for('autotrace.net.write-record');

/** Starts recording when AUTOTRACE_RUNTIME_REPORT names a file; returns whether it did. */
export function startRecord(path: string | undefined): boolean {
  if (!path) return false;
  file = path;
  process.once('exit', writeRecord);
  // autotrace/otel ends the process on SIGTERM/SIGINT by re-raising the signal once spans are flushed: no 'exit' event
  // then, so it asks for the record first, through a global any copy of the runtime can reach.
  (globalThis as { [WRITE_RECORD]?: () => void })[WRITE_RECORD] = writeRecord;
  setInterval(() => changed && writeRecord(), WRITE_EVERY_MS).unref();
  return true;
}

export function recording(): boolean {
  return file !== undefined;
}

/**
 * A call the net made the CLIENT span for, through `via` (node:http or undici); called while the caller's frames are
 * still on the stack.
 */
export function noteClient(via: string, method: string, host: string | undefined): void {
  const siteKey = `${via} ${method} ${host ?? ''}`;
  let counter = clientCounters.get(siteKey);
  if (!counter) {
    if (clientCounters.size >= MAX_KEYS) return;
    counter = counterFor(`client\0${method}\0${host ?? ''}\0${callerSource() ?? ''}\0`);
    clientCounters.set(siteKey, counter);
  }
  counter.count++;
  changed = true;
}

/** A request the net made the SERVER span for and no build-time wrapper reached. */
export function noteServer(method: string, route: string | undefined): void {
  const key = `server\0${method}\0\0\0${route ?? ''}`;
  if (!counts.has(key) && counts.size >= MAX_KEYS) return;
  counterFor(key).count++;
  changed = true;
}

function counterFor(key: string): { count: number } {
  let counter = counts.get(key);
  if (!counter) {
    counter = { count: 0 };
    counts.set(key, counter);
  }
  return counter;
}

/** The record as it stands, sorted so that the same traffic always gives the same file. */
export function currentRecord(): RuntimeRecord {
  const entries: RuntimeRecordEntry[] = [...counts.entries()]
    .filter(([, counter]) => counter.count > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, { count }]) => {
      const [kind, method, host, source, route] = key.split('\0') as [RuntimeRecordEntry['kind'], string, string, string, string];
      return {
        kind,
        ...(source ? { source } : {}),
        method,
        ...(host ? { host } : {}),
        ...(route ? { route } : {}),
        count,
      };
    });
  return { tool: 'autotrace', runtimeRecord: 1, entries };
}

function writeRecord(): void {
  if (!file) return;
  changed = false;
  try {
    writeFileSync(file, `${JSON.stringify(currentRecord(), null, 2)}\n`);
  } catch {
    // a record that cannot be written must not take the process down with it
  }
}
