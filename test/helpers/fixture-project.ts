import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';
import { run } from './processes';

/**
 * Builds a fixture project with ts-patch's tspc, which reads the plugin from the project's tsconfig exactly as a
 * service's build does. `autotrace` resolves through a node_modules link to this package (as after `npm install`);
 * everything else resolves from the repo's node_modules.
 */
export async function tspcBuild(projectDir: string, tsconfig = 'tsconfig.json') {
  const modules = join(projectDir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  if (!existsSync(join(modules, 'autotrace'))) symlinkSync(repoRoot, join(modules, 'autotrace'), 'dir');
  const tspc = join(repoRoot, 'node_modules', 'ts-patch', 'bin', 'tspc.js');
  return run(process.execPath, [tspc, '-p', tsconfig], projectDir);
}
