import type * as ts from 'typescript';
import { createUnplugin } from 'unplugin';
import { printGap } from '../gaps';
import { loadTypeScript } from '../load-typescript';
import { transformModule } from '../javascript';
import { relative, sep } from 'node:path';
import { AutotraceOptionError, OPTION_NAMES, parseOptions, type AutotraceOptions } from '../options';
import { summaryLine, type SiteRecord } from '../report';
import { mergeIntoConfiguredReport } from '../report-file';
import { sourceMapOf } from './source-maps';

// The bundler door: one unplugin factory, re-exported per bundler (autotrace/esbuild, /vite, /rollup, /webpack,
// /rspack). It hands each of the project's own modules to the same transform as every other door and returns the
// traced text with its source map, which the bundler chains with its own; when the build ends it writes the report
// of every module it saw and prints the summary line, as a build through the tsconfig plugin does.

export interface BundlerOptions extends Partial<AutotraceOptions> {
  /** The folder site paths (code.file.path) are relative to; default: the working directory. */
  readonly root?: string;
}

const MODULE_ID = /\.[mc]?[jt]sx?$/;

export const autotrace = createUnplugin((raw: BundlerOptions | undefined, meta) => {
  const { root, ...rest } = raw ?? {};
  const options = bundlerOptions(rest, meta.framework);
  const projectRoot = root ?? process.cwd();
  let typescript: typeof ts | undefined;
  // Every module's sites, by module, for the report written when the build ends (a rebuild replaces a module's).
  const sites = new Map<string, readonly SiteRecord[]>();
  return {
    name: 'autotrace',
    enforce: 'pre',
    buildEnd() {
      if (sites.size === 0) return;
      // Merged by file: a dev server or a test runner (vitest) transforms only the modules it was asked for.
      const part = { files: [...sites.keys()].map((file) => relative(projectRoot, file).split(sep).join('/')), records: [...sites.values()].flat() };
      const { report, shown } = mergeIntoConfiguredReport(options.report, projectRoot, part);
      if (!options.quiet) process.stderr.write(`${summaryLine(report.summary, shown)}\n`);
    },
    transformInclude: (id) => MODULE_ID.test(id.split('?')[0]!) && !/[\\/]node_modules[\\/]/.test(id),
    transform(code, id) {
      const fileName = id.split('?')[0]!;
      typescript ??= loadTypeScript();
      const inputMap = sourceMapOf(code, fileName);
      const output = transformModule(typescript, { code, fileName, projectRoot, ...(inputMap ? { inputMap } : {}) }, options);
      sites.set(fileName, output?.records ?? []);
      for (const gap of output?.gaps ?? []) printGap(gap);
      return output?.map ? { code: output.code, map: output.map as never } : undefined;
    },
  };
});

/** The options given to `autotrace()` in a bundler's config; a bad one is named as written there, not as in a tsconfig. */
function bundlerOptions(raw: Record<string, unknown>, framework: string): AutotraceOptions {
  try {
    return parseOptions(raw);
  } catch (error) {
    if (!(error instanceof AutotraceOptionError)) throw error;
    const problem = error.problem.startsWith('unknown option') ? `unknown option (autotrace() knows: root, ${OPTION_NAMES.join(', ')})` : error.problem;
    throw new AutotraceOptionError(error.option, problem, `in autotrace({ … }) from autotrace/${framework}`);
  }
}
