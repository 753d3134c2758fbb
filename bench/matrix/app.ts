import type expressModule from 'express';

// The benchmark service: a small route, and a route that calls a downstream service with fetch. Built twice from
// this file (plain tsc, and with autotrace), and written by hand with @opentelemetry/api in hand.ts.
export function createApp(express: typeof expressModule, downstream: string) {
  const app = express();
  app.get('/small', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/fetch', async (_req, res) => {
    const response = await fetch(`${downstream}/data`);
    res.json({ status: response.status, body: await response.text() });
  });
  return app;
}
