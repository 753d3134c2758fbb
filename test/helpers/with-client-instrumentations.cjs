// Calls every client of the compiled clients fixture in a process where the user also registered
// @opentelemetry/instrumentation-http and -undici, and prints the CLIENT spans of each call and the parent of the
// SERVER span the receiving end saw (made by instrumentation-http from the traceparent that arrived).
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const exporter = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()] });

const { createServer } = require('node:http');
const { join } = require('node:path');
const { clients } = require(join(__dirname, '..', '..', 'fixtures', 'apps', 'out', 'clients.js'));

async function main() {
  const server = createServer((req, res) => res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const report = {};
  for (const name of Object.keys(clients)) {
    exporter.reset();
    await clients[name].byId(base, '1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const spans = exporter.getFinishedSpans();
    const client = spans.filter((s) => s.kind === 2);
    const server = spans.find((s) => s.kind === 1);
    report[name] = {
      clients: client.map((s) => s.instrumentationScope.name),
      receivedParentIsOurs: server?.parentSpanContext?.spanId === client[0]?.spanContext().spanId,
    };
  }
  server.close();
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
