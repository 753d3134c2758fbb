import type * as Conventions from '@opentelemetry/semantic-conventions';

// The attribute keys (ATTR_*) of @opentelemetry/semantic-conventions, loaded on first use rather than at startup: its
// entry file loads every stable and deprecated constant (some 400 KB of JavaScript), and only a span that records
// needs a key. Without an SDK the runtime never records, so the package is never loaded.

let loaded: typeof Conventions | undefined;

export function semconv(): typeof Conventions {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('@opentelemetry/semantic-conventions') as typeof Conventions);
}
