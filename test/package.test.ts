import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/paths';

// What `npm pack` ships, read from npm's own file list (scripts skipped, so dist/ is the one this run built).

const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' }),
) as [{ files: { path: string }[] }];
const files = new Set(packed[0].files.map((file) => file.path));

describe('the packed package', () => {
  it('ships source maps a debugger can follow: each source is shipped or embedded', () => {
    const maps = [...files].filter((path) => path.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(repoRoot, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      sources.forEach((source, index) => {
        const shipped = files.has(posix.normalize(posix.join(dirname(map), source)));
        const embedded = typeof sourcesContent?.[index] === 'string' && sourcesContent[index]!.length > 0;
        expect(shipped || embedded, `${map} → ${source}`).toBe(true);
      });
    }
  });

  it('reports the version package.json states on every span', () => {
    const { VERSION } = require(join(repoRoot, 'dist', 'runtime', 'version.js')) as { VERSION: string };
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(manifest.version);
  });
});
