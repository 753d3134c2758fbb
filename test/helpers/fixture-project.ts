import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';
import { run } from './processes';

/** A supported build toolchain: the Node binary and the ts-patch `tspc` (which compiles with the typescript beside it). */
export interface Toolchain {
  readonly name: string;
  /** The Node major the toolchain runs on (checked, so a missing install cannot pass silently on the wrong one). */
  readonly nodeMajor: number;
  readonly node: string;
  readonly tspc: string;
}

const ts6 = join(repoRoot, 'compat', 'ts6', 'node_modules');

export const TOOLCHAINS: readonly Toolchain[] = [
  {
    name: 'TypeScript 5.9 + ts-patch 3.3 on Node 20',
    nodeMajor: 20,
    node: process.execPath,
    tspc: join(repoRoot, 'node_modules', 'ts-patch', 'bin', 'tspc.js'),
  },
  // Installed by `npm run compat:install` (compat/ts6): the npm `node` package brings Node 22.
  {
    name: 'TypeScript 6 + ts-patch 4 on Node 22',
    nodeMajor: 22,
    node: join(ts6, 'node', 'bin', 'node'),
    tspc: join(ts6, 'ts-patch', 'bin', 'tspc.js'),
  },
];

/**
 * Builds a fixture project with ts-patch's tspc, which reads the plugin from the project's tsconfig exactly as a
 * service's build does. `autotrace` resolves through a node_modules link to this package (as after `npm install`);
 * everything else resolves from the repo's node_modules.
 */
export async function tspcBuild(projectDir: string, tsconfig = 'tsconfig.json', toolchain = TOOLCHAINS[0]!, extraArgs: string[] = []) {
  const modules = join(projectDir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  if (!existsSync(join(modules, 'autotrace'))) {
    try {
      symlinkSync(repoRoot, join(modules, 'autotrace'), 'dir');
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error; // linked meanwhile by another test file
    }
  }
  return run(toolchain.node, [toolchain.tspc, '-p', tsconfig, ...extraArgs], projectDir);
}
