// What the in-process micro-benchmarks with an SDK share: the SDK and processor of bench/matrix (NodeTracerProvider,
// BatchSpanProcessor) with an exporter that drops, and the median of their runs.
const { join } = require('node:path');
const repo = join(__dirname, '..');
const { NodeTracerProvider } = require(join(repo, 'node_modules', '@opentelemetry', 'sdk-trace-node'));
const { BatchSpanProcessor } = require(join(repo, 'node_modules', '@opentelemetry', 'sdk-trace-base'));

/** Registers the SDK (a queue large enough that no span is dropped while a run makes them); returns the provider. */
function registerDroppingSdk() {
  const exporter = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} };
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 4096 })] });
  provider.register();
  return provider;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

module.exports = { repo, registerDroppingSdk, median };
