import type { MessagePort } from 'node:worker_threads';
import { receiveMessageOnPort } from 'node:worker_threads';
import { summaryLine, type Report, type SiteRecord } from '../report';
import { mergeIntoConfiguredReport } from '../report-file';
import { loadOptions } from './load-time';

// The load-time hook's report, kept in the main thread: the modules traced as they loaded (CommonJS here, ES modules
// posted from the hooks thread) are merged by file into the report in the working directory shortly after loading
// goes quiet (a server killed by a signal has written it by then) and once more at exit, when the summary line is
// printed, once per process. Nothing here may throw into the app: a report that cannot be written is one warning.

/** After the last module loads, this long before the report is written. */
const QUIET_MS = 300;

const modules = new Map<string, readonly SiteRecord[]>();
/** Modules seen since the report was last written. */
let dirty = false;
let timer: NodeJS.Timeout | undefined;
let hooksPort: MessagePort | undefined;
/** The report as last written, and how the summary names its file. */
let last: { report: Report; shown: string | undefined; quiet: boolean } | undefined;

export function seenModule(file: string, records: readonly SiteRecord[]): void {
  modules.set(file, records);
  dirty = true;
  if (modules.size === 1) process.once('exit', atExit);
  clearTimeout(timer);
  timer = setTimeout(() => flush(), QUIET_MS).unref();
}

/** The port the ES module hooks post `{ file, records }` to. */
export function listenToHooks(port: MessagePort): void {
  hooksPort = port;
  port.on('message', (message: { file: string; records: readonly SiteRecord[] }) => seenModule(message.file, message.records));
  port.unref();
}

function flush(): void {
  try {
    if (modules.size === 0) return;
    dirty = false;
    const options = loadOptions();
    const part = { files: [...modules.keys()], records: [...modules.values()].flat() };
    const { report, shown } = mergeIntoConfiguredReport(options.report, process.cwd(), part);
    last = { report, shown, quiet: options.quiet };
  } catch {
    // never into the app
  }
}

function atExit(): void {
  // Modules whose messages the event loop had no turn to deliver.
  for (let message = hooksPort && receiveMessageOnPort(hooksPort); message; message = receiveMessageOnPort(hooksPort!)) {
    const { file, records } = message.message as { file: string; records: readonly SiteRecord[] };
    modules.set(file, records);
    dirty = true;
  }
  clearTimeout(timer);
  if (dirty) flush();
  if (last && !last.quiet) process.stderr.write(`${summaryLine(last.report.summary, last.shown)}\n`);
}
