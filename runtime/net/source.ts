import { relative, sep } from 'node:path';

// Where a call came from, for the run-time record: the npm package whose code made it
// (`…/node_modules/@scope/pkg/dist/x.js` → `@scope/pkg`), else the file relative to the working directory.
// Capturing a stack costs microseconds, so callers look a source up once per distinct key and cache it (record.ts).

// This package's own files (the runtime, whichever copy) and the HTTP stacks' internals are not callers.
// In an ES module bundle there is no __dirname (and this file's frames are the bundle's): nothing is skipped by folder.
const RUNTIME_DIR = typeof __dirname === 'string' ? __dirname.slice(0, __dirname.length - 'net'.length - 1) : undefined;
// `at fn (/abs/file.js:1:2)` or `at /abs/file.js:1:2`; `node:` frames never match.
const FRAME_FILE = /(?:\(|at )((?:file:\/\/)?\/[^()]+?|[A-Za-z]:\\[^()]+?):\d+:\d+\)?$/;

/** The first frame of `stack` outside Node, undici and autotrace, named by its package or its path. */
export function sourceOfStack(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n')) {
    const match = FRAME_FILE.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.startsWith('file://') ? decodeURIComponent(match[1]!.slice('file://'.length)) : match[1]!;
    if ((RUNTIME_DIR !== undefined && file.startsWith(RUNTIME_DIR)) || isHttpStack(file)) continue;
    return packageOf(file) ?? relative(process.cwd(), file).split(sep).join('/');
  }
  return undefined;
}

function isHttpStack(file: string): boolean {
  const name = packageOf(file);
  return name === 'undici' || name === 'autotrace';
}

/** The npm package a file belongs to: the name after the last `node_modules/`, with its scope. */
export function packageOf(file: string): string | undefined {
  const normal = file.split(sep).join('/');
  const at = normal.lastIndexOf('/node_modules/');
  if (at === -1) return undefined;
  const parts = normal.slice(at + '/node_modules/'.length).split('/');
  if (parts[0]?.startsWith('@')) return parts[1] ? `${parts[0]}/${parts[1]}` : undefined;
  return parts[0] || undefined;
}

/** A stack taken here, deep enough to get past Node's and undici's frames to the caller. */
export function callerSource(): string | undefined {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 40;
    return sourceOfStack(new Error().stack);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
