import { describe, expect, it } from 'vitest';
import type * as ts from 'typescript';
import { join } from 'node:path';
import { newProject } from './helpers/cli-project';
import { repoRoot, requireFromRepo } from './helpers/paths';

// Which files the checker questions are asked in (transformer/reach.ts): only where a traced package's types can be
// met, through imports however deep, through a global declared where they are in reach, or through fetch. A file
// left out must be one where the questions could find nothing: every site of the other files is still traced.

const typescript = requireFromRepo('typescript') as typeof ts;
const { mayMeetTracedTypes } = requireFromRepo('./dist/transformer/reach.js') as typeof import('../transformer/reach');
const { createTransformers } = requireFromRepo('./dist/transformer/index.js') as typeof import('../transformer/index');

const FILES: Record<string, string> = {
  // Nothing traced in reach.
  'src/helpers.ts': `export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export class Cache<T> {
  private readonly entries = new Map<string, T>();
  get(key: string) { return this.entries.get(key); }
  set(key: string, value: T) { this.entries.set(key, value); return this; }
}
`,
  'src/model.ts': `export interface User { id: string; name: string }\n`,
  'src/uses-helpers.ts': `import { readFileSync } from 'node:fs';
import { Cache, total } from './helpers';
import type { User } from './model';
export const users = new Cache<User>().set('1', { id: '1', name: 'a' });
export const readText = (path: string) => readFileSync(path, 'utf8');
export const sum = total([1, 2]);
`,
  // Traced types two and three modules away, and in a cycle.
  'src/server.ts': `import express from 'express';\nexport const app = express();\n`,
  'src/indirect.ts': `import { app } from './server';\napp.get('/indirect', (_req, res) => res.send('ok'));\n`,
  'src/reexport.ts': `export * from './server';\n`,
  'src/deep.ts': `import { app } from './reexport';\napp.post('/deep', (_req, res) => res.send('ok'));\n`,
  'src/cycle-a.ts': `import express from 'express';\nimport './cycle-b';\nexport const router = express.Router();\n`,
  'src/cycle-b.ts': `import { router } from './cycle-a';\nrouter.put('/cycle', (_req, res) => res.send('ok'));\n`,
  // Traced types through globals: no import at all in the files that use them.
  'src/globals.ts': `export {};\ndeclare global {\n  var sharedApi: import('axios').AxiosInstance;\n}\n`,
  'src/uses-global.ts': `export async function load() {\n  return sharedApi.get('http://users.internal/users');\n}\n`,
  'src/legacy.d.ts': `declare const legacyApp: import('express').Express;\n`,
  'src/uses-script.ts': `export {};\nlegacyApp.get('/legacy', (_req, res) => res.end());\n`,
  'src/fetcher.ts': `export const getText = async (url: string) => (await fetch(url)).text();\n`,
};

function program(dir: string): ts.Program {
  const options: ts.CompilerOptions = {
    target: typescript.ScriptTarget.ES2022,
    module: typescript.ModuleKind.CommonJS,
    esModuleInterop: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: join(dir, 'src'),
    outDir: join(dir, 'out'),
  };
  return typescript.createProgram({ rootNames: Object.keys(FILES).map((name) => join(dir, name)), options });
}

describe('checker questions only where traced types can be met', () => {
  const dir = newProject('reach', FILES, join(repoRoot, '.tmp', 'reach'));
  const built = program(dir);

  it('compiles the project without diagnostics', () => {
    expect(typescript.getPreEmitDiagnostics(built).map((d) => typescript.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });

  it('leaves out the files that reach no traced package, and only those', () => {
    const reaching = Object.keys(FILES)
      .filter((name) => !name.endsWith('.d.ts'))
      .filter((name) => mayMeetTracedTypes(typescript, built, built.getSourceFile(join(dir, name))!));
    expect(reaching.sort()).toEqual(
      ['src/cycle-a.ts', 'src/cycle-b.ts', 'src/deep.ts', 'src/fetcher.ts', 'src/globals.ts', 'src/indirect.ts', 'src/reexport.ts', 'src/server.ts', 'src/uses-global.ts', 'src/uses-script.ts'].sort(),
    );
  });

  it('still traces every site the checker recognises, however its types reach the file', () => {
    const sites: { file: string; line: number; kind: string; status: string; recogniser?: string }[] = [];
    const transformers = createTransformers(built, { quiet: true, report: false }, typescript, {
      onReport: (report) => sites.push(...(report.sites as unknown as typeof sites)),
    });
    const outputs = new Map<string, string>();
    built.emit(undefined, (name, text) => outputs.set(name.slice(name.lastIndexOf('/') + 1), text), undefined, false, transformers);
    const traced = sites.filter((site) => site.status === 'instrumented').map((site) => `${site.file.replace(/.*\/src\//, '')}:${site.line} ${site.kind} ${site.recogniser}`);
    expect(traced.sort()).toEqual(
      [
        'cycle-b.ts:2 route checker',
        'deep.ts:2 route checker',
        'fetcher.ts:1 client checker',
        'indirect.ts:2 route checker',
        'server.ts:2 app checker',
        'uses-global.ts:2 client checker',
        'uses-script.ts:2 route checker',
      ].sort(),
    );
    expect(outputs.get('uses-global.js')).toContain('__autotrace.');
    expect(outputs.get('uses-script.js')).toContain('__autotrace.expressRoute(');
    // The left-out files emit as written: nothing to rewrite was missed there.
    expect(sites.filter((site) => /helpers|model|uses-helpers/.test(site.file))).toEqual([]);
    expect(outputs.get('helpers.js')).not.toContain('__autotrace');
  });
});
