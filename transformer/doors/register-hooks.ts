import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { traceAtLoad, type SeenModule } from './load-time';

// Node's module customization hooks (module.register), run in the loader thread: ES modules are traced as they
// load. CommonJS modules are left to the hook in register.ts, which sees them wherever they are loaded from. Each
// module's sites are posted to the main thread, which writes the report.

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context: object) => Promise<LoadResult>;

let seen: SeenModule | undefined;

export function initialize(data: { port?: MessagePort } | undefined): void {
  const port = data?.port;
  if (port) seen = (file, records) => port.postMessage({ file, records });
}

export async function load(url: string, context: object, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (result.format !== 'module' || !url.startsWith('file:') || result.source === null || result.source === undefined) return result;
  const code = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
  const traced = traceAtLoad(code, fileURLToPath(url), false, seen);
  return traced === undefined ? result : { ...result, source: traced };
}
