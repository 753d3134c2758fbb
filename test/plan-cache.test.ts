import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tsTypes from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { typescript as ts } from './helpers/compile';
import { repoRoot, requireFromRepo } from './helpers/paths';

const { createCore, planOf, analyseProgram } = requireFromRepo('./dist/transformer/core.js') as typeof import('../transformer/core');
const { parseOptions } = requireFromRepo('./dist/transformer/options.js') as typeof import('../transformer/options');

// A rebuild (watch mode, an incremental build) makes a new program that reuses the SourceFile objects of unchanged
// files, as TypeScript's watch host does. A file whose text and imports did not change keeps its plan; a changed file
// and every file importing it are planned again.

const dir = mkdtempSync(join(tmpdir(), 'autotrace-plan-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'node_modules'));
symlinkSync(join(repoRoot, 'node_modules', 'express'), join(dir, 'node_modules', 'express'), 'dir');
symlinkSync(join(repoRoot, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');

const files = {
  'app.ts': `import express from 'express';\nimport { mount } from './routes';\nexport const app = express();\nmount(app);\n`,
  'routes.ts': `import type { Express } from 'express';\nexport function mount(app: Express) {\n  app.get('/a', (_req, res) => res.send('a'));\n}\n`,
  'other.ts': `import express from 'express';\nexport const other = express.Router();\nother.get('/o', (_req, res) => res.send('o'));\n`,
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);

const options: tsTypes.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, skipLibCheck: true, types: ['node'], strict: true };
// The watch host's part that matters here: an unchanged file is handed back as the same SourceFile object.
const parsed = new Map<string, tsTypes.SourceFile>();
const host = ts.createCompilerHost(options);
const readSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (fileName, language, onError, fresh) => {
  const text = ts.sys.readFile(fileName);
  const known = parsed.get(fileName);
  if (known && known.text === text) return known;
  const file = readSourceFile(fileName, language, onError, fresh);
  if (file) parsed.set(fileName, file);
  return file;
};
const roots = Object.keys(files).map((name) => join(dir, name));
const plansOf = (program: tsTypes.Program) => {
  const core = createCore(ts, program, parseOptions({ report: false }));
  const report = analyseProgram(core).report;
  return { report, plan: (name: string) => planOf(core, program.getSourceFile(join(dir, name))!) };
};

describe('plans across programs', () => {
  const first = ts.createProgram(roots, options, host);
  const before = plansOf(first);
  writeFileSync(join(dir, 'routes.ts'), files['routes.ts'].replace("  app.get('/a'", "  app.get('/b', (_req, res) => res.send('b'));\n  app.get('/a'"));
  const second = ts.createProgram(roots, options, host, first);
  const after = plansOf(second);

  it('keeps the plan of a file whose text and imports did not change', () => {
    expect(second.getSourceFile(join(dir, 'other.ts'))).toBe(first.getSourceFile(join(dir, 'other.ts')));
    expect(after.plan('other.ts')).toBe(before.plan('other.ts'));
  });

  it('plans a changed file again, and every file that imports it', () => {
    expect(after.plan('routes.ts')).not.toBe(before.plan('routes.ts'));
    expect(after.plan('app.ts')).not.toBe(before.plan('app.ts'));
    const routes = (report: typeof before.report) => report.sites.filter((site) => site.file.endsWith('/routes.ts')).map((site) => site.route).sort();
    expect(routes(before.report)).toEqual(['/a']);
    expect(routes(after.report)).toEqual(['/a', '/b']);
  });
});
