import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { RuntimeEntry } from '../report';
import { CliError } from './project';

// `autotrace report --runtime FILE…`: what the run-time net saw outside the build (AUTOTRACE_RUNTIME_REPORT), merged
// into the report. The record format:
//   { "tool": "autotrace", "runtimeRecord": 1,
//     "entries": [{ "kind": "server" | "client", "source"?: string, "method": string, "host"?: string, "route"?: string, "count": number }] }
// Entries that are the same traffic (kind, source, method, host, route) add their counts, across files too.

export function readRuntimeRecords(paths: readonly string[]): RuntimeEntry[] {
  const merged = new Map<string, RuntimeEntry>();
  for (const path of paths) {
    for (const entry of readRecord(path)) {
      const key = JSON.stringify([entry.kind, entry.source, entry.method, entry.host, entry.route]);
      const before = merged.get(key);
      merged.set(key, before ? { ...before, count: before.count + entry.count } : entry);
    }
  }
  return [...merged.values()].sort(compareEntries);
}

function readRecord(path: string): RuntimeEntry[] {
  const name = relative(process.cwd(), path) || path;
  const fail = (problem: string): never => {
    throw new CliError(`${name} is not a run-time record (written with AUTOTRACE_RUNTIME_REPORT): ${problem}`);
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return fail((error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
  const record = value as { tool?: unknown; runtimeRecord?: unknown; entries?: unknown };
  if (typeof value !== 'object' || value === null || record.tool !== 'autotrace') return fail('expected "tool": "autotrace"');
  if (record.runtimeRecord !== 1) return fail(`expected "runtimeRecord": 1, got ${JSON.stringify(record.runtimeRecord)}`);
  if (!Array.isArray(record.entries)) return fail('expected an "entries" array');
  return record.entries.map((entry, index) => entryOf(entry, (problem) => fail(`entries[${index}]: ${problem}`)));
}

function entryOf(value: unknown, fail: (problem: string) => never): RuntimeEntry {
  if (typeof value !== 'object' || value === null) return fail('expected an object');
  const entry = value as Record<string, unknown>;
  if (entry.kind !== 'server' && entry.kind !== 'client') return fail(`"kind" must be "server" or "client", got ${JSON.stringify(entry.kind)}`);
  if (typeof entry.method !== 'string' || entry.method === '') return fail('"method" must be a non-empty string');
  for (const key of ['source', 'host', 'route'] as const) {
    if (entry[key] !== undefined && typeof entry[key] !== 'string') return fail(`"${key}" must be a string when present`);
  }
  if (typeof entry.count !== 'number' || !Number.isInteger(entry.count) || entry.count < 0) return fail('"count" must be a whole number');
  return {
    kind: entry.kind,
    ...(entry.source !== undefined ? { source: entry.source as string } : {}),
    method: entry.method,
    ...(entry.host !== undefined ? { host: entry.host as string } : {}),
    ...(entry.route !== undefined ? { route: entry.route as string } : {}),
    count: entry.count,
  };
}

function compareEntries(a: RuntimeEntry, b: RuntimeEntry): number {
  const key = (e: RuntimeEntry) => [e.kind, e.source ?? '', e.host ?? '', e.route ?? '', e.method].join('\u0000');
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
