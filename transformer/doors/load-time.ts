import type * as ts from 'typescript';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginEntry } from '../cli/tsconfig';
import { loadTypeScript } from '../load-typescript';
import { mayHaveSites, transformModule } from '../javascript';
import { parseOptions, type AutotraceOptions } from '../options';
import { mapSources, sourceMapOf } from './source-maps';

// What both load-time hooks (ESM and CommonJS) do with one module's text: trace the app's own modules (never
// node_modules), with the options of the tsconfig in the working directory, and append an inline source map so
// that --enable-source-maps still reaches the file the user wrote. A module that fails to transform loads as it was.

let typescript: typeof ts | undefined;
let options: AutotraceOptions | undefined;

export function traceAtLoad(code: string, fileName: string, commonJs: boolean): string | undefined {
  if (/[\\/]node_modules[\\/]/.test(fileName) || !/\.[mc]?[jt]sx?$/.test(fileName)) return undefined;
  try {
    const inputMap = sourceMapOf(code, fileName);
    if (!mayHaveSites(code, fileName, inputMap ? mapSources(inputMap, fileName) : [])) return undefined;
    // The parser is loaded on the first module that may hold a site, not before.
    typescript ??= loadTypeScript();
    options ??= loadOptions();
    const output = transformModule(typescript, { code, fileName, projectRoot: process.cwd(), commonJs, ...(inputMap ? { inputMap } : {}) }, options);
    if (!output?.map) return undefined;
    const map = Buffer.from(JSON.stringify(output.map)).toString('base64');
    return `${output.code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${map}\n`;
  } catch {
    return undefined;
  }
}

function loadOptions(): AutotraceOptions {
  const tsconfig = join(process.cwd(), 'tsconfig.json');
  try {
    return parseOptions(existsSync(tsconfig) ? readPluginEntry(tsconfig) : undefined);
  } catch {
    return parseOptions(undefined);
  }
}
