import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './project';
import { stripJsonComments } from '../tsconfig';

// `autotrace init [-p tsconfig.json]`: adds the plugin entry to a tsconfig, or writes a tsconfig for a new service
// (src/ → dist/, CommonJS, strict). A tsconfig with comments is not rewritten (the comments would be lost): the
// entry to add is printed instead.

const ENTRY = { transform: 'autotrace/transformer' };

const NEW_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    esModuleInterop: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
    sourceMap: true,
    plugins: [ENTRY],
  },
  include: ['src'],
};

export function init(tsconfig: string): string {
  const path = resolve(tsconfig);
  if (!existsSync(path)) {
    writeFileSync(path, `${JSON.stringify(NEW_TSCONFIG, null, 2)}\n`);
    return `autotrace: wrote ${tsconfig} (src/ → dist/) with the autotrace plugin\n`;
  }
  const text = readFileSync(path, 'utf8');
  const stripped = stripJsonComments(text);
  let config: { compilerOptions?: { plugins?: { transform?: unknown }[] } };
  try {
    config = JSON.parse(stripped) as typeof config;
  } catch (error) {
    throw new CliError(`cannot read ${tsconfig}: ${(error as Error).message}`);
  }
  const plugins = config.compilerOptions?.plugins ?? [];
  if (plugins.some((plugin) => String(plugin.transform ?? '').startsWith('autotrace'))) return `autotrace: ${tsconfig} already has the autotrace plugin\n`;
  if (stripped !== text) {
    throw new CliError(`${tsconfig} has comments, which rewriting it would lose: add this under "compilerOptions" by hand:\n  "plugins": [${JSON.stringify(ENTRY)}]`);
  }
  config.compilerOptions = { ...config.compilerOptions, plugins: [...plugins, ENTRY] };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return `autotrace: added the autotrace plugin to ${tsconfig}\n`;
}
