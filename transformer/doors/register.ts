import Module = require('node:module');
import { pathToFileURL } from 'node:url';
import { traceAtLoad } from './load-time';
import '../../runtime/net';

// `node --import autotrace/register app.js` (or `-r autotrace/register` for CommonJS only): traces the app's own
// modules as they load, ES modules through Node's module hooks, CommonJS modules through Module#_compile. With tsx,
// `node --import tsx --import autotrace/register app.ts`: hooks registered later run first, so autotrace receives the
// JavaScript tsx made of the TypeScript. Loading it costs the TypeScript parser at startup (see README: Build paths).

type Compile = (this: unknown, content: string, filename: string, ...rest: unknown[]) => unknown;
const prototype = (Module as unknown as { prototype: { _compile: Compile & { autotrace?: true } } }).prototype;

if (!prototype._compile.autotrace) {
  const compile = prototype._compile;
  const traced: Compile & { autotrace?: true } = function (this: unknown, content, filename, ...rest) {
    return compile.call(this, traceAtLoad(content, filename, true) ?? content, filename, ...rest);
  };
  traced.autotrace = true;
  prototype._compile = traced;
}

const register = (Module as unknown as { register?: (specifier: string, parentURL: string) => void }).register;
register?.('./register-hooks.js', pathToFileURL(__filename).href);
