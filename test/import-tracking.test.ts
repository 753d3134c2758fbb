import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { typescript as ts } from './helpers/compile';
import { requireFromRepo } from './helpers/paths';

// Import tracking, shape by shape, on files handed over alone (no program, no checker): what it follows, and where it
// stops because it cannot be sure.

const { transformModule } = requireFromRepo('./dist/transformer/javascript.js') as typeof import('../transformer/javascript');

/** `line kind library` for each instrumented site of a module. */
function traced(code: string, fileName = '/project/src/module.ts'): string[] {
  const output = transformModule(ts, { code, fileName, projectRoot: '/project' });
  return (output?.records ?? []).filter((r) => r.status === 'instrumented').map((r) => `${r.line} ${r.kind} ${r.framework ?? r.client}`);
}

describe('import tracking follows', () => {
  it('imports, requires, aliases, members and calls', () => {
    expect(
      traced(`
import express from 'express';
const { request } = require('undici');
const axios = require('axios');
const app = express();
const alias = app;
const router = express.Router();
alias.get('/a', (req, res) => res.end());
router.use((req, res, next) => next());
app.route('/b').post((req, res) => res.end());
const api = axios.create();
api.get('/c');
request('http://x/d');
`),
    ).toEqual(['5 app express', '8 route express', '9 middleware express', '10 route express', '12 client axios', '13 client undici']);
  });

  it('class fields, constructor parameter properties and annotated parameters', () => {
    expect(
      traced(`
import express, { type Express, type Router } from 'express';
import type { AxiosInstance } from 'axios';
import Koa from 'koa';
class Service {
  private readonly app = express();
  constructor(private readonly http: AxiosInstance) {}
  start() {
    this.app.get('/x', (req, res) => res.end());
    return this.http.get('/y');
  }
}
export function mount(app: Express, router: Router, koa: Koa) {
  app.use('/api', router);
  router.get('/z', (req, res) => res.end());
  koa.use(async (ctx, next) => next());
}
`),
    ).toEqual(['6 app express', '9 route express', '10 client axios', '14 middleware express', '15 route express', '16 middleware koa']);
  });

  it('a union of two traced clients, and the CommonJS shapes compilers emit', () => {
    expect(
      traced(`
"use strict";
const http_1 = __importDefault(require("node:http"));
const https_1 = __importStar(require("node:https"));
const express_1 = tslib_1.__importDefault(require("express"));
var import_axios = __toESM(require("axios"));
function get(url) {
  const client = url.startsWith('https:') ? https_1.default : http_1.default;
  return client.get(url);
}
const app = (0, express_1.default)();
(0, import_axios.default)({ url: '/x' });
`, '/project/out/module.js'),
    ).toEqual(['9 client node:http', '11 app express', '12 client axios']);
  });
});

describe('import tracking resolves names by scope', () => {
  it('a name declared in two functions, or in many test blocks, is one name per scope', () => {
    expect(
      traced(`
import express from 'express';
import { Hono } from 'hono';
function a() { const server = express(); server.get('/a', h); }
function b() { const server = new Map(); server.get('/b'); }
function routes() { const router = express.Router(); router.get('/c', h); return router; }
function more() { const router = express.Router(); router.post('/d', h); return router; }
describe('one', () => { const app = new Hono(); app.get('/e', h); });
describe('two', () => { const app = new Hono(); app.post('/f', h); });
describe('three', () => { const app = { get: (p, f) => f }; app.get('/g', h); });
`),
    ).toEqual(['4 app express', '4 route express', '6 route express', '7 route express', '8 app hono', '8 route hono', '9 app hono', '9 route hono']);
  });

  it('a local fetch shadows the global one only where it is in scope', () => {
    expect(
      traced(`
function withLocal(fetch) { return fetch('/local'); }
export const global = () => fetch('http://x/global');
{ const fetch = (u) => u; fetch('/block'); }
`),
    ).toEqual(['3 client fetch']);
  });
});

describe('import tracking follows values across the project\'s own modules', () => {
  it('an exported app, router factory, client instance and type alias, read from the module on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autotrace-siblings-'));
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'app.ts'), "import express from 'express';\nexport const sharedApp = express();\nexport { Router as makeRouter } from 'express';\nexport type AppAlias = express.Express;\n");
    writeFileSync(join(dir, 'lib', 'client.js'), '"use strict";\nconst axios_1 = __importDefault(require("axios"));\nexports.api = axios_1.default.create({});\n');
    const code = `
import { sharedApp, makeRouter, type AppAlias } from './lib/app';
import { api } from './lib/client';
sharedApp.get('/a', h);
makeRouter().get('/b', h);
export function mount(app: AppAlias) { app.use(h); }
api.get('/c');
`;
    expect(traced(code, join(dir, 'main.ts'))).toEqual(['4 route express', '5 route express', '6 middleware express', '7 client axios']);
  });
});

describe('import tracking stops where it cannot be sure', () => {
  it('a name declared twice in one scope, a local fetch, a look-alike method, an untyped parameter', () => {
    expect(
      traced(`
import express from 'express';
var server = express(); var server = new Map(); server.get('/a', h);
function fetch(key) { return key; }
fetch('local');
const registry = { get: (k) => k, use: (f) => f };
registry.get('/c', h);
export function register(app) { app.get('/d', h); }
`),
    ).toEqual(['3 app express']);
  });

  it('reports what it follows only on some paths: fallbacks, default parameters, fields also set from outside', () => {
    const output = transformModule(ts, {
      code: `
import * as http from 'node:http';
import express from 'express';
export function make(opts) {
  const createServer = opts.createServer || http.createServer;
  const impl = opts.custom ?? fetch;
  return [createServer, impl, (opts.custom ?? fetch)('http://x/a')];
}
export const client = (fetchFn = fetch) => fetchFn('http://x/b');
export class Driver {
  constructor(express) { this.express = express; }
  load() { if (!this.express) this.express = require('express')(); this.express.use(h); }
}
export const app = require('express')();
app.get('/c', h);
`,
      fileName: '/project/src/module.js',
      projectRoot: '/project',
    });
    const rows = (output?.records ?? []).map((r) => `${r.line} ${r.kind} ${r.framework ?? r.client} ${r.status}${r.reason ? ` ${r.reason.split(': ')[0]}` : ''}`);
    expect(rows).toEqual([
      '5 route node:http unsupported http.createServer chosen at run time in opts.createServer || http.createServer',
      '6 client fetch unsupported fetch chosen at run time in opts.custom ?? fetch',
      '7 client fetch unsupported fetch chosen at run time in (opts.custom ?? fetch)',
      '9 client fetch unsupported fetch as a default parameter (fetchFn = fetch)',
      '12 app express instrumented',
      '12 middleware express unsupported this.express.use(…) on a value that is an app or router of express only on some paths',
      '14 app express instrumented',
      '15 route express instrumented',
    ]);
    // Left exactly as written: only the two apps are wrapped, and the route on the one that is certainly an app.
    expect(output!.code.match(/__autotrace\.\w+/g)).toEqual(['__autotrace.expressApp', '__autotrace.expressApp', '__autotrace.expressRoute']);
  });

  it('leaves a module with nothing to trace exactly as it was', () => {
    expect(transformModule(ts, { code: 'export const add = (a: number, b: number) => a + b;\n', fileName: '/p/x.ts', projectRoot: '/p' })).toBeUndefined();
  });
});

describe('emitted JavaScript reads the annotations of the TypeScript it was compiled from', () => {
  const source = `import type { Express } from 'express';
import type { AxiosInstance } from 'axios';

export function register(app: Express) {
  app.get('/users/:id', (req, res) => res.end());
}

export class Users {
  constructor(private readonly http: AxiosInstance) {}
  one(id: string) {
    return this.http.get('/users/' + id);
  }
}
`;
  const emit = (inlineSources: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'autotrace-annotations-'));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'src', 'routes.ts'), source);
    const out = ts.transpileModule(source, {
      fileName: join(dir, 'src', 'routes.ts'),
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true, inlineSources, sourceRoot: '' },
    });
    const map = JSON.parse(out.sourceMapText!) as { sources: string[] };
    map.sources = ['../src/routes.ts'];
    return { dir, code: out.outputText, map: JSON.stringify(map) };
  };
  const sites = (dir: string, code: string, inputMap: string | undefined) =>
    (transformModule(ts, { code, fileName: join(dir, 'dist', 'routes.js'), projectRoot: dir, ...(inputMap ? { inputMap } : {}) })?.records ?? [])
      .filter((r) => r.status === 'instrumented')
      .map((r) => `${r.file}:${r.line} ${r.kind} ${r.framework ?? r.client}`);

  it('from the source map\'s sourcesContent, or from the file on disk', () => {
    for (const inlineSources of [true, false]) {
      const { dir, code, map } = emit(inlineSources);
      expect(code).not.toContain('Express');
      expect(sites(dir, code, map), `inlineSources: ${inlineSources}`).toEqual(['src/routes.ts:5 route express', 'src/routes.ts:11 client axios']);
      // Without the map the JavaScript alone says nothing of what `app` and `this.http` are.
      expect(sites(dir, code, undefined)).toEqual([]);
    }
  });
});

describe('in a build, import tracking reads the project\'s modules from the program', () => {
  it('follows a module the program holds even where no file is on disk', () => {
    // Both modules exist only in the compiler host: following `./server` can only have come from the program.
    const root = '/virtual-project';
    const files: Record<string, string> = {
      [`${root}/src/server.ts`]: `declare const require: (name: string) => any;\nconst express = require('express');\nexport const app = express();\n`,
      [`${root}/src/routes.ts`]: `import { app } from './server';\napp.get('/users/:id', (req: any, res: any) => res.end());\n`,
    };
    const options: import('typescript').CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, types: [], rootDir: `${root}/src`, outDir: `${root}/out` };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.fileExists = (name) => name in files || ts.sys.fileExists(name);
    host.readFile = (name) => files[name] ?? readFile(name);
    host.getSourceFile = (name, target, ...rest) => (name in files ? ts.createSourceFile(name, files[name]!, target) : getSourceFile(name, target, ...rest));
    const program = ts.createProgram({ rootNames: Object.keys(files), options, host });
    const { createTransformers } = requireFromRepo('./dist/transformer/index.js') as typeof import('../transformer/index');
    const records: { file: string; line: number; kind: string; status: string }[] = [];
    const transformers = createTransformers(program, { quiet: true, report: false }, ts, {
      onReport: (report) => records.push(...(report.sites as unknown as typeof records)),
    });
    const outputs = new Map<string, string>();
    program.emit(undefined, (name, text) => outputs.set(name.slice(name.lastIndexOf('/') + 1), text), undefined, false, transformers);
    expect(records.filter((r) => r.status === 'instrumented').map((r) => `${r.file.replace(/.*virtual-project\//, '')}:${r.line} ${r.kind}`).sort()).toEqual([
      'src/routes.ts:2 route',
      'src/server.ts:3 app',
    ]);
    expect(outputs.get('routes.js')).toContain('__autotrace.expressRoute(');
  });
});
