// Runs the compiled Express fixture on the OpenTelemetry JS 3.x line, set up as its docs say: a TracerProvider with
// processors taking `{ exporter }`, registered with the API — and no context manager or propagator, which 3.x no
// longer registers for you. Prints what happened as JSON for test/otel3.test.ts.
const { createServer } = require('node:http');
const api = require('@opentelemetry/api');
const { TracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace');
const express = require('express');

const exporter = new InMemorySpanExporter();
api.trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));

const { createApp } = require('./build/express-app.js');

async function main() {
  let base = '';
  const server = createServer(createApp(express, () => base));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const proxied = await (await fetch(`${base}/proxy/7`, { headers: { traceparent } })).json();
  const relayed = await (await fetch(`${base}/relay`, { headers: { traceparent, baggage: 'tenant=acme' } })).json();
  await new Promise((resolve) => setTimeout(resolve, 100));
  server.close();
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
  }));
  const runtimeApi = require.resolve('@opentelemetry/api', { paths: [require.resolve('autotrace/runtime')] });
  const manifest = require('node:path').join(runtimeApi.slice(0, runtimeApi.lastIndexOf('node_modules')), 'node_modules/@opentelemetry/api/package.json');
  const apiVersion = JSON.parse(require('node:fs').readFileSync(manifest, 'utf8')).version;
  console.log(JSON.stringify({ apiVersion, runtimeApi, proxied, relayed, spans }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
