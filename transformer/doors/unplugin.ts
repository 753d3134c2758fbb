import type * as ts from 'typescript';
import { createUnplugin } from 'unplugin';
import { printGap } from '../gaps';
import { transformModule } from '../javascript';
import { parseOptions, type AutotraceOptions } from '../options';
import { sourceMapOf } from './source-maps';

// The bundler door: one unplugin factory, re-exported per bundler (autotrace/esbuild, /vite, /rollup, /webpack,
// /rspack). It hands each of the project's own modules to the same transform as every other door and returns the
// traced text with its source map, which the bundler chains with its own.

export interface BundlerOptions extends Partial<AutotraceOptions> {
  /** The folder site paths (code.file.path) are relative to; default: the working directory. */
  readonly root?: string;
}

const MODULE_ID = /\.[mc]?[jt]sx?$/;

export const autotrace = createUnplugin((raw: BundlerOptions | undefined) => {
  const { root, ...rest } = raw ?? {};
  const options = parseOptions(rest);
  const projectRoot = root ?? process.cwd();
  let typescript: typeof ts | undefined;
  return {
    name: 'autotrace',
    enforce: 'pre',
    transformInclude: (id) => MODULE_ID.test(id.split('?')[0]!) && !/[\\/]node_modules[\\/]/.test(id),
    transform(code, id) {
      const fileName = id.split('?')[0]!;
      typescript ??= require('typescript') as typeof ts;
      const inputMap = sourceMapOf(code, fileName);
      const output = transformModule(typescript, { code, fileName, projectRoot, ...(inputMap ? { inputMap } : {}) }, options);
      if (!output) return undefined;
      for (const gap of output.gaps) printGap(gap);
      return { code: output.code, map: output.map as never };
    },
  };
});
