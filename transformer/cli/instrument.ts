import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { transformModule } from '../javascript';
import { parseOptions } from '../options';
import { buildReport, summaryLine } from '../report';
import { writeReport } from '../report-file';
import { formatGap } from '../gaps';
import { CliError, typescriptOf } from './project';
import { readPluginEntry } from '../tsconfig';
import { loadTypeScriptAlias } from '../load-typescript';
import type * as ts from 'typescript';

// `autotrace instrument <outDir>`: traces JavaScript a compiler already emitted, for compilers that run no plugins
// (TypeScript 7, swc, Babel): `tsc && autotrace instrument dist`. Each file is rewritten in place, with its source map
// chained so that stack traces and code.* still point at the .ts lines. Running it twice changes nothing.

export interface InstrumentResult {
  readonly files: number;
  readonly text: string;
}

const SOURCE_MAP_COMMENT = /\/\/# sourceMappingURL=(\S+)\s*$/;

export function instrument(outDir: string, tsconfig: string | undefined): InstrumentResult {
  const root = resolve(outDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new CliError(`${outDir} is not a folder: build first, then instrument its output`);
  const projectRoot = tsconfig ? dirname(resolve(tsconfig)) : process.cwd();
  const api = parserFor(projectRoot);
  const options = parseOptions(tsconfig ? readPluginEntry(resolve(tsconfig)) : undefined);
  const records = [];
  const lines: string[] = [];
  let files = 0;
  for (const file of javascriptFiles(root)) {
    const code = readFileSync(file, 'utf8');
    const mapComment = SOURCE_MAP_COMMENT.exec(code);
    const mapFile = mapComment && !mapComment[1]!.startsWith('data:') ? resolve(dirname(file), mapComment[1]!) : undefined;
    const inputMap = mapFile && existsSync(mapFile) ? readFileSync(mapFile, 'utf8') : inlineMap(mapComment?.[1]);
    const output = transformModule(api, { code, fileName: file, projectRoot, commonJs: isCommonJs(file), ...(inputMap ? { inputMap } : {}) }, options);
    if (!output) continue;
    records.push(...output.records);
    for (const gap of output.gaps) lines.push(formatGap(gap));
    if (!output.map || output.code === code) continue;
    files++;
    if (mapFile) {
      writeFileSync(file, output.code);
      writeFileSync(mapFile, JSON.stringify({ ...output.map, file: relative(dirname(mapFile), file) }));
    } else if (mapComment) {
      const inline = Buffer.from(JSON.stringify(output.map)).toString('base64');
      writeFileSync(file, output.code.replace(SOURCE_MAP_COMMENT, `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${inline}`));
    } else {
      writeFileSync(file, output.code);
    }
  }
  const report = buildReport(records);
  // Beside the tsconfig, as a build through the plugin writes it: `autotrace check` reads it next to TypeScript 7.
  const reportPath = tsconfig && options.report !== false ? resolve(projectRoot, options.report) : undefined;
  if (reportPath && records.length > 0) writeReport(reportPath, report);
  lines.push(`${summaryLine(report.summary, undefined)} (${files} file${files === 1 ? '' : 's'} instrumented in ${relative(process.cwd(), root) || '.'})`);
  return { files, text: `${lines.join('\n')}\n` };
}

function javascriptFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) found.push(...javascriptFiles(path));
    else if (/\.[mc]?js$/.test(name)) found.push(path);
  }
  return found;
}

function inlineMap(url: string | undefined): string | undefined {
  const match = url && /^data:application\/json[^,]*;base64,(.*)$/.exec(url);
  return match ? Buffer.from(match[1]!, 'base64').toString('utf8') : undefined;
}

/**
 * A `.js` file's format as Node decides it: by the nearest package.json `type`. Other extensions, and a `.js` with no
 * package.json above it, are left to the module's own text (transformModule reads its extension and syntax).
 */
function isCommonJs(file: string): boolean | undefined {
  if (!file.endsWith('.js')) return undefined;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type !== 'module';
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * A TypeScript with its JavaScript API, to parse the emitted code: the project's own, or, next to TypeScript 7
 * (which has none), TypeScript 5.9 or 6 installed under the alias `typescript5`.
 */
function parserFor(projectRoot: string): typeof ts {
  const own = typescriptOf(projectRoot);
  if (own?.api) return own.api;
  const alias = loadTypeScriptAlias(projectRoot);
  if (alias) return alias.api;
  throw new CliError(
    `autotrace instrument parses JavaScript with TypeScript's parser, and ${own ? `TypeScript ${own.version}` : 'no TypeScript'} ` +
      'installed here has no JavaScript API. Install one beside it under an alias: npm install -D typescript5@npm:typescript@~5.9',
  );
}
