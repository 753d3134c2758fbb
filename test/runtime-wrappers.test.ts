import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listen } from './helpers/http';
import { installSdk } from './helpers/otel';
import { requireFromRepo } from './helpers/paths';

// The wrappers emitted code calls, driven directly: they must be invisible to the handler they wrap.

const sdk = installSdk();
const runtime = requireFromRepo('autotrace/runtime') as typeof import('../runtime/index');

type Handler = (...args: unknown[]) => unknown;

/** A real request/response pair from a real server, handed to `use`; resolves when the response is sent. */
async function withRealRequest(use: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
  const server = createServer((req, res) => use(req, res));
  const { url, close } = await listen(server);
  await (await fetch(url)).text();
  await close();
}

describe('handler wrappers keep the handler as it was', () => {
  it.each([0, 1, 2, 3, 4, 5])('keeps fn.length %i and the name', (arity) => {
    const params = Array.from({ length: arity }, (_, i) => `p${i}`);
    const handler = new Function(...params, 'return 1') as Handler;
    Object.defineProperty(handler, 'name', { value: 'namedHandler' });
    for (const wrapped of [runtime.expressRoute(handler), runtime.expressUse(handler, { mount: '/m' })]) {
      expect(wrapped.length).toBe(arity);
      expect(wrapped.name).toBe('namedHandler');
    }
  });

  it('passes this, arguments and the return value through', async () => {
    await withRealRequest((req, res) => {
      const self = { tag: 'self' };
      const next = () => 'next-result';
      const wrapped = runtime.expressRoute(function (this: unknown, ...args: unknown[]) {
        return { self: this, args, nextResult: (args[2] as () => string)() };
      });
      const result = wrapped.call(self, req, res, next) as { self: unknown; args: unknown[]; nextResult: string };
      expect(result.self).toBe(self);
      expect(result.args[0]).toBe(req);
      expect(result.args[1]).toBe(res);
      expect(result.nextResult).toBe('next-result');
      res.end();
    });
  });

  it('rethrows a sync throw and passes a rejection on unchanged', async () => {
    await withRealRequest(async (req, res) => {
      const thrown = new Error('sync');
      const throwing = runtime.expressRoute<Handler>(() => {
        throw thrown;
      });
      expect(() => throwing(req, res, () => {})).toThrow(thrown);
      const rejected = new Error('async');
      const rejecting = runtime.expressRoute<Handler>(async () => {
        throw rejected;
      });
      const promise = rejecting(req, res, () => {}) as Promise<unknown>;
      await expect(promise).rejects.toBe(rejected);
      const resolving = runtime.expressRoute<Handler>(async () => 42);
      const value = await (resolving(req, res, () => {}) as Promise<number>);
      expect(value).toBe(42);
      res.end();
    });
  });

  it('leaves non-functions alone, maps arrays, and never wraps twice', () => {
    const handler: Handler = () => undefined;
    const once = runtime.expressRoute(handler);
    expect(runtime.expressRoute(once)).toBe(once);
    expect(runtime.expressRoute('/path')).toBe('/path');
    const nested = runtime.expressRoute([handler, [handler]]) as unknown as [Handler, [Handler]];
    expect(nested[0]).not.toBe(handler);
    expect(nested[1][0]!.length).toBe(handler.length);
    const app = Object.assign(() => undefined, { handle: () => undefined, set: () => undefined });
    expect(runtime.expressUse(app, { mount: '/sub' })).toBe(app);
  });

  it('calls the handler plainly when it is not given an HTTP request', () => {
    sdk.reset();
    const wrapped = runtime.expressRoute((a: unknown, b: unknown) => [a, b]);
    expect(wrapped(1, 2)).toEqual([1, 2]);
    expect(sdk.spans()).toEqual([]);
  });
});
