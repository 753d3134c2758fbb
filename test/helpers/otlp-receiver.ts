import { createServer, type Server } from 'node:http';

// A small OTLP/HTTP receiver for the tests: decodes what arrives at /v1/traces (JSON fully, protobuf crudely: every
// text field) and keeps the span names and service.name of each export.

export interface Received {
  contentType: string;
  /** Span names (for protobuf: every text field that looks like one) and the service.name. */
  spanNames: string[];
  serviceName: string | undefined;
  /** OTLP/JSON only: each span with its ids (hex) and kind (2 SERVER, 3 CLIENT), to follow the parent chain. */
  spans?: ReceivedSpan[];
}

export interface ReceivedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** Every length-delimited field of a protobuf message that reads as text, depth first: enough to find names. */
function protobufStrings(buffer: Buffer): string[] {
  const found: string[] = [];
  const walk = (bytes: Buffer) => {
    let at = 0;
    // Random bytes (trace ids) are walked too, so every read is bounded: past the end is "not a message".
    const varint = () => {
      let value = 0;
      for (let shift = 0; shift < 64; shift += 7) {
        if (at >= bytes.length) throw new Error('truncated');
        const byte = bytes[at++]!;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
      throw new Error('varint too long');
    };
    const skip = (count: number) => {
      if (at + count > bytes.length) throw new Error('truncated');
      at += count;
    };
    while (at < bytes.length) {
      const key = varint();
      const wire = key & 7;
      if (wire === 0) varint();
      else if (wire === 1) skip(8);
      else if (wire === 5) skip(4);
      else if (wire === 2) {
        const length = varint();
        const start = at;
        skip(length);
        const inner = bytes.subarray(start, at);
        const text = inner.toString('utf8');
        if (/^[\x20-\x7e]+$/.test(text)) found.push(text);
        try {
          walk(inner);
        } catch {
          // not a message: a string or bytes
        }
      } else throw new Error('not protobuf');
    }
  };
  try {
    walk(buffer);
  } catch {
    // what was found before the bytes stopped making sense is kept
  }
  return found;
}

export async function otlpReceiver(received: Received[]): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = String(req.headers['content-type']);
      if (contentType.includes('json')) {
        const data = JSON.parse(body.toString('utf8'));
        for (const resourceSpans of data.resourceSpans) {
          const service = resourceSpans.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
          const spans: ReceivedSpan[] = resourceSpans.scopeSpans.flatMap((s: { spans: ReceivedSpan[] }) =>
            s.spans.map(({ name, kind, traceId, spanId, parentSpanId }) => ({ name, kind, traceId, spanId, parentSpanId: parentSpanId || undefined })),
          );
          received.push({ contentType, spanNames: spans.map((span) => span.name), serviceName: service, spans });
        }
      } else {
        const strings = protobufStrings(body);
        const at = strings.indexOf('service.name');
        received.push({ contentType, spanNames: strings.filter((s) => /^(GET|POST)( |$)/.test(s)), serviceName: at === -1 ? undefined : strings[at + 1] });
      }
      res.writeHead(200, { 'content-type': contentType }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}
