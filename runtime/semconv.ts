import type * as Conventions from '@opentelemetry/semantic-conventions';
import { loadOnce } from './api';

// The attribute keys (ATTR_*) of @opentelemetry/semantic-conventions, loaded on first use rather than at startup: its
// entry file loads every stable and deprecated constant (some 400 KB of JavaScript), and only a span that records
// needs a key. Without an SDK the runtime never records, so the package is never loaded.

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const semconv = loadOnce(() => require('@opentelemetry/semantic-conventions') as typeof Conventions);
