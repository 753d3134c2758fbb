import Module = require('node:module');
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { traceAtLoad } from './load-time';
import { listenToHooks, seenModule } from './load-time-report';
import '../../runtime/net';

// `node --import autotrace/register app.js` (or `-r autotrace/register` for CommonJS only): traces the app's own
// modules as they load, ES modules through Node's module hooks, CommonJS modules through Module#_compile. With tsx,
// `node --import tsx --import autotrace/register app.ts`: hooks registered later run first, so autotrace receives the
// JavaScript tsx made of the TypeScript. Loading it costs the TypeScript parser at startup (see README: Build paths).
// The sites of both kinds of module go to one report, written from this (the main) thread.

type Compile = (this: unknown, content: string, filename: string, ...rest: unknown[]) => unknown;
const prototype = (Module as unknown as { prototype: { _compile: Compile & { autotrace?: true } } }).prototype;

if (!prototype._compile.autotrace) {
  const compile = prototype._compile;
  const traced: Compile & { autotrace?: true } = function (this: unknown, content, filename, ...rest) {
    return compile.call(this, traceAtLoad(content, filename, true, seenModule) ?? content, filename, ...rest);
  };
  traced.autotrace = true;
  prototype._compile = traced;

  type Register = (specifier: string, options: { parentURL: string; data: unknown; transferList: unknown[] }) => void;
  const register = (Module as unknown as { register?: Register }).register;
  if (register) {
    const { port1, port2 } = new MessageChannel();
    listenToHooks(port1);
    register('./register-hooks.js', { parentURL: pathToFileURL(__filename).href, data: { port: port2 }, transferList: [port2] });
  }
}
