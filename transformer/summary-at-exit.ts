import { summaryLine, type Report } from './report';

// The summary of compiles that come one file at a time (transpileModule, a language service, the load-time hook):
// said once per process, when it exits, for the report as it then stands, rather than once per file.

interface Pending {
  readonly report: Report;
  readonly shown: string | undefined;
  readonly print: (line: string) => void;
}

const pending = new Map<string, Pending>();

/** Keeps the latest report for `key` (the report's path); its summary line is printed when the process exits. */
export function onceAtExit(key: string, report: Report, shown: string | undefined, print: (line: string) => void): void {
  if (pending.size === 0) {
    process.once('exit', () => {
      for (const { report: last, shown: name, print: say } of pending.values()) say(summaryLine(last.summary, name));
    });
  }
  pending.set(key, { report, shown, print });
}
