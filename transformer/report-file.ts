import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { NearMiss } from './directives';
import { buildReport, reportJson, type Report, type SiteRecord } from './report';

// The report file on disk. A whole-program build replaces it; a compile of one file at a time (ts-jest, ts-node,
// transpileModule, the load-time hook, a dev server) merges its files into it, so many such compiles, in one process
// or in parallel workers, add up to one report rather than each overwriting the last. Every write is whole (a temp
// file renamed over it) under a lock file, so a reader never sees half a report and no writer loses another's files.
// The report is never worth a failed build: when it cannot be written, one warning says where and why.

/** The files one compile analysed (relative to the project root, `/` separators) and their sites. */
export interface ReportPart {
  readonly files: readonly string[];
  readonly records: readonly SiteRecord[];
  /** Opt-out comments in those files that are not obeyed. */
  readonly directives?: readonly NearMiss[];
}

/** Writes a whole program's report (files no longer in the program drop out). False when it could not be written. */
export function writeReport(path: string, report: Report): boolean {
  return write(path, () => report) !== undefined;
}

/**
 * Merges a part into the report on disk: the part's files' records replace theirs, other files' records stay, and
 * files that no longer exist under `projectRoot` drop out. Returns the merged report, or the part alone when the file
 * could not be written.
 */
export function mergeIntoReport(path: string, part: ReportPart, projectRoot: string): Report {
  const merged = write(path, (onDisk) => {
    // A module mapped to its source (emitted JavaScript) replaces the source file's records too.
    const replaced = new Set([...part.files, ...part.records.map((site) => site.file)]);
    const kept = (file: string) => !replaced.has(file) && existsSync(resolve(projectRoot, file));
    const files = [...(onDisk?.files ?? []), ...(onDisk?.sites ?? []).map((site) => site.file)].filter(kept);
    const sites = (onDisk?.sites ?? []).filter((site) => kept(site.file));
    const directives = (onDisk?.directives ?? []).filter((miss) => kept(miss.file));
    return buildReport([...sites, ...part.records], [...files, ...part.files], undefined, [...directives, ...(part.directives ?? [])]);
  });
  return merged ?? buildReport(part.records, part.files, undefined, part.directives);
}

/**
 * Merges a part into the report the `report` option names under `root`, or with `report: false` takes the part
 * alone; and the report's path as a summary line shows it. What the doors that compile one module at a time share.
 */
export function mergeIntoConfiguredReport(option: string | false, root: string, part: ReportPart): { report: Report; shown: string | undefined } {
  const path = option === false ? undefined : resolve(root, option);
  return {
    report: path ? mergeIntoReport(path, part, root) : buildReport(part.records, part.files, undefined, part.directives),
    shown: path && relative(process.cwd(), path),
  };
}

const warned = new Set<string>();

function write(path: string, next: (onDisk: Report | undefined) => Report): Report | undefined {
  try {
    mkdirSync(dirname(path), { recursive: true });
    return withLock(path, () => {
      const current = readText(path);
      const report = next(current === undefined ? undefined : parse(current));
      const text = reportJson(report);
      // Unchanged: left alone, so a watch rebuild or a second run touches nothing.
      if (text !== current) replaceFile(path, text);
      return report;
    });
  } catch (error) {
    if (!warned.has(path)) {
      warned.add(path);
      process.stderr.write(`autotrace: cannot write the report ${relative(process.cwd(), path) || path}: ${reasonOf(error)} (the build goes on without it)\n`);
    }
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A report written by autotrace, or undefined for anything else (an older format is read for its sites). */
function parse(text: string): Report | undefined {
  try {
    const value = JSON.parse(text) as Partial<Report>;
    if (value.tool !== 'autotrace' || !Array.isArray(value.sites)) return undefined;
    return { ...value, files: Array.isArray(value.files) ? value.files : [] } as Report;
  } catch {
    return undefined; // half-merged by hand, or not a report: rebuilt from what this compile knows
  }
}

function replaceFile(path: string, text: string): void {
  const temp = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, text);
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
}

const SLEEP = new Int32Array(new SharedArrayBuffer(4));
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;
/** Waiting longer than this for the lock, a writer goes on without it: a rare lost merge beats a stuck build. */
const LOCK_WAIT_MS = 5_000;

function withLock<T>(path: string, work: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let held = false;
  while (!held) {
    try {
      closeSync(openSync(lock, 'wx'));
      held = true;
    } catch (error) {
      // Not EEXIST (a read-only folder): no lock to be had, and the write itself will say why it fails.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) break;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      } catch {
        // released meanwhile
      }
      Atomics.wait(SLEEP, 0, 0, 5);
    }
  }
  try {
    return work();
  } finally {
    if (held) {
      try {
        unlinkSync(lock);
      } catch {
        // removed as stale by another writer
      }
    }
  }
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EISDIR':
    case 'ENOTEMPTY':
      return 'it is a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of its path is a file';
    default:
      return (error as Error).message ?? String(error);
  }
}
