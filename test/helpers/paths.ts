import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = join(repoRoot, 'fixtures');
/** Loads CommonJS from the repo: the built package (dist/) and the compiled fixtures, as a service would. */
export const requireFromRepo = createRequire(join(repoRoot, 'package.json'));
