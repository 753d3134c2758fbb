import type * as ts from 'typescript';
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { readPluginEntry } from '../tsconfig';
import { loadTypeScript } from '../load-typescript';
import { mayHaveSites, transformModule } from '../javascript';
import { parseOptions, type AutotraceOptions } from '../options';
import type { SiteRecord } from '../report';
import { mapSources, sourceMapOf } from './source-maps';

// What both load-time hooks (ESM and CommonJS) do with one module's text: trace the app's own modules (never
// node_modules), with the options of the tsconfig in the working directory, and append an inline source map so
// that --enable-source-maps still reaches the file the user wrote. A module that fails to transform loads as it was.
// Each of the app's modules is handed to `seen` with its sites (none, often), for the report (load-time-report.ts).

/** One of the app's modules as it loaded: its path relative to the working directory, and its sites. */
export type SeenModule = (file: string, records: readonly SiteRecord[]) => void;

/** autotrace's own compiled files (dist/): never the app's, wherever the package is linked from. */
const OWN_FILES = resolve(__dirname, '..', '..') + sep;

let typescript: typeof ts | undefined;
let options: AutotraceOptions | undefined;

export function traceAtLoad(code: string, fileName: string, commonJs: boolean, seen?: SeenModule): string | undefined {
  if (/[\\/]node_modules[\\/]/.test(fileName) || !/\.[mc]?[jt]sx?$/.test(fileName) || fileName.startsWith(OWN_FILES)) return undefined;
  const file = relative(process.cwd(), fileName).split(sep).join('/');
  try {
    const inputMap = sourceMapOf(code, fileName);
    if (!mayHaveSites(code, fileName, inputMap ? mapSources(inputMap, fileName) : [])) {
      seen?.(file, []);
      return undefined;
    }
    // The parser is loaded on the first module that may hold a site, not before.
    typescript ??= loadTypeScript();
    options ??= loadOptions();
    const output = transformModule(typescript, { code, fileName, projectRoot: process.cwd(), commonJs, ...(inputMap ? { inputMap } : {}) }, options);
    seen?.(file, output?.records ?? []);
    if (!output?.map) return undefined;
    const map = Buffer.from(JSON.stringify(output.map)).toString('base64');
    return `${output.code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${map}\n`;
  } catch {
    return undefined;
  }
}

export function loadOptions(): AutotraceOptions {
  const tsconfig = join(process.cwd(), 'tsconfig.json');
  try {
    return parseOptions(existsSync(tsconfig) ? readPluginEntry(tsconfig) : undefined);
  } catch {
    return parseOptions(undefined);
  }
}
