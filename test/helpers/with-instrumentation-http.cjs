// Runs the compiled server fixtures in a process where the user also registered @opentelemetry/instrumentation-http
// (before anything loads node:http, as its docs require), sends one request to each, and prints the spans as JSON.
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const exporter = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });

const { createServer } = require('node:http');
const { join } = require('node:path');
const out = join(__dirname, '..', '..', 'fixtures', 'apps', 'out');

async function listening(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

const servers = {
  express: () => listening(createServer(require(join(out, 'express-app.js')).createApp(require('express'), () => ''))),
  fastify: async () => {
    const app = require(join(out, 'fastify-app.js')).createApp(require('fastify'), () => '');
    return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() };
  },
  koa: () => listening(createServer(require(join(out, 'koa-app.js')).createApp(require('koa'), () => '').callback())),
  hono: () => {
    const { createApp, start } = require(join(out, 'hono-app.js'));
    return start(createApp(() => ''));
  },
  'node:http': () => listening(require(join(out, 'http-app.js')).createApp(() => '')),
};

async function main() {
  const report = {};
  for (const [name, start] of Object.entries(servers)) {
    exporter.reset();
    const server = await start();
    const response = await fetch(`${server.url}/api/users/42`);
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    report[name] = {
      status: response.status,
      spans: exporter
        .getFinishedSpans()
        .filter((span) => span.kind === 1)
        .map((span) => ({ name: span.name, scope: span.instrumentationScope.name, route: span.attributes['http.route'] })),
    };
  }
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
