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

const counts = new Map<string, number>();
// Call sites are found once per distinct method + host and cached: a stack is captured only on a miss.
const sources = new Map<string, string | undefined>();
let file: string | undefined;
let changed = false;

/** Starts recording when AUTOTRACE_RUNTIME_REPORT names a file; returns whether it did. */
export function startRecord(path: string | undefined): boolean {
  if (!path) return false;
  file = path;
  process.once('exit', writeRecord);
  setInterval(() => changed && writeRecord(), WRITE_EVERY_MS).unref();
  return true;
}

export function recording(): boolean {
  return file !== undefined;
}

/**
 * A call the net made the CLIENT span for, through `via` (node:http or undici); called while the caller's frames are
 * still on the stack. The source is looked up once per client, method and host: two packages calling the same host
 * the same way through the same client are both counted under the first one seen.
 */
export function noteClient(via: string, method: string, host: string | undefined): void {
  const siteKey = `${via}\0${method}\0${host ?? ''}`;
  let source = sources.get(siteKey);
  if (source === undefined && !sources.has(siteKey) && sources.size < MAX_KEYS) {
    source = callerSource();
    sources.set(siteKey, source);
  }
  bump(`client\0${method}\0${host ?? ''}\0${source ?? ''}\0`);
}

/** A request the net made the SERVER span for and no build-time wrapper reached. */
export function noteServer(method: string, route: string | undefined): void {
  bump(`server\0${method}\0\0\0${route ?? ''}`);
}

function bump(key: string): void {
  if (!counts.has(key) && counts.size >= MAX_KEYS) return;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  changed = true;
}

/** The record as it stands, sorted so that the same traffic always gives the same file. */
export function currentRecord(): RuntimeRecord {
  const entries: RuntimeRecordEntry[] = [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, count]) => {
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
