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

describe('import tracking stops where it cannot be sure', () => {
  it('a name declared twice, a local fetch, a look-alike method, an untyped parameter', () => {
    expect(
      traced(`
import express from 'express';
function a() { const server = express(); server.get('/a', h); }
function b() { const server = new Map(); server.get('/b'); }
function fetch(key) { return key; }
fetch('local');
const registry = { get: (k) => k, use: (f) => f };
registry.get('/c', h);
export function register(app) { app.get('/d', h); }
`),
    ).toEqual(['3 app express']);
  });

  it('leaves a module with nothing to trace exactly as it was', () => {
    expect(transformModule(ts, { code: 'export const add = (a: number, b: number) => a + b;\n', fileName: '/p/x.ts', projectRoot: '/p' })).toBeUndefined();
  });
});
