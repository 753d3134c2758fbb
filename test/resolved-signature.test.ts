import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { typescript as ts } from './helpers/compile';
import { repoRoot, requireFromRepo } from './helpers/paths';

// The plan asks a call's resolved signature (the type check's cached answer) before its callee's type, and lets a
// signature declared outside every app factory's package rule the call out. A declaration inside `declare module "…"`
// can merge with the package's own (an augmentation's overload), so it must rule nothing out: a call that resolves
// to such an overload is still the package's factory.

const { planFile } = requireFromRepo('./dist/transformer/analyse.js') as typeof import('../transformer/analyse');
const { createCore } = requireFromRepo('./dist/transformer/core.js') as typeof import('../transformer/core');
const { parseOptions } = requireFromRepo('./dist/transformer/options.js') as typeof import('../transformer/options');

const dir = join(repoRoot, '.tmp', 'resolved-signature');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOURCE = `import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
declare module '@nestjs/core/nest-factory' {
  interface NestFactoryStatic {
    create(module: 'from-config'): Promise<INestApplication>;
  }
}
class AppModule {}
export const fromConfig = () => NestFactory.create('from-config');
export const plain = () => NestFactory.create(AppModule);
const factory = { create: (module: unknown) => Promise.resolve(module) };
export const lookalike = () => factory.create('from-config');
`;

function appSites(checkFirst: boolean) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'main.ts');
  writeFileSync(path, SOURCE);
  const program = ts.createProgram({
    rootNames: [path],
    options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, skipLibCheck: true, experimentalDecorators: true, types: ['node'] },
  });
  const errors = checkFirst ? ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')) : [];
  const plan = planFile(createCore(ts, program, parseOptions(undefined)), program.getSourceFile(path)!);
  const apps = plan.records.filter((record) => record.kind === 'app').map((record) => `${record.line} ${record.framework} ${record.status}`);
  return { errors, apps };
}

describe('resolved signatures before callee types', () => {
  it('a call resolved to an augmentation overload of NestFactory.create is still an app factory; a look-alike is not', () => {
    const { errors, apps } = appSites(true);
    expect(errors).toEqual([]);
    expect(apps).toEqual(['9 nest instrumented', '10 nest instrumented']);
  });

  it('gives the same answers when the plan runs before the type check (a door that checks nothing first)', () => {
    expect(appSites(false).apps).toEqual(['9 nest instrumented', '10 nest instrumented']);
  });
});
