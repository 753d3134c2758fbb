import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPANS_TO_FILE, type SpanLine } from './net-service';
import { repoRoot } from './paths';

// A built service run as its own process: it says it is ready with one JSON line on stdout (`{"ready":true,…}`),
// may write more JSON lines after it, and, given an SDK, exports its spans as JSON lines to a file of its own
// (test/helpers/spans-to-file.cjs preloaded). Stopped by its pid, also when the test process exits.

export interface ServiceProcess {
  /** The ready line, as the service wrote it. */
  readonly info: Record<string, unknown>;
  /** The JSON lines written after the ready line so far. */
  lines(): Record<string, unknown>[];
  /** The spans it has ended so far ([] without an SDK). */
  spans(): SpanLine[];
  stderr(): string;
  stop(): Promise<void>;
}

export interface ServiceProcessOptions {
  readonly env?: Record<string, string>;
  /** Preload the SDK that writes spans to a file (default true). */
  readonly sdk?: boolean;
  readonly readyTimeoutMs?: number;
}

const started = new Set<number>();
process.on('exit', () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export async function startServiceProcess(script: string, options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const spansFile = join(mkdtempSync(join(tmpdir(), 'autotrace-service-')), 'spans.jsonl');
  const preload = options.sdk === false ? [] : ['-r', SPANS_TO_FILE];
  const child = spawn(process.execPath, [...preload, script], {
    cwd: repoRoot,
    env: { ...process.env, SPANS_FILE: spansFile, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const jsonLines = () => completeLines(stdout).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    started.delete(child.pid!);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const info = jsonLines().find((line) => line.ready === true);
    if (info) {
      return {
        info,
        lines: () => jsonLines().filter((line) => line.ready !== true),
        spans: () => (existsSync(spansFile) ? completeLines(readFileSync(spansFile, 'utf8')).map((line) => JSON.parse(line) as SpanLine) : []),
        stderr: () => stderr,
        stop,
      };
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${script} did not get ready (exit ${child.exitCode ?? child.signalCode ?? 'none'}):\n${stdout}\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The lines ended by a newline (one being written when read is left for the next read). */
function completeLines(text: string): string[] {
  return text.split('\n').slice(0, -1).filter(Boolean);
}
