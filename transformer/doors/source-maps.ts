import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// The source map a module's text points at (`//# sourceMappingURL=…`: a file beside it, or inline), so that a door
// which receives compiled JavaScript (tsc's output, tsx's) can place sites in the .ts file the user wrote.

const COMMENT = /\/\/[#@] sourceMappingURL=(\S+)\s*$/;

export function sourceMapOf(code: string, fileName: string): string | undefined {
  const url = COMMENT.exec(code)?.[1];
  if (!url) return undefined;
  const inline = /^data:application\/json[^,]*;base64,(.*)$/.exec(url);
  if (inline) return Buffer.from(inline[1]!, 'base64').toString('utf8');
  if (url.startsWith('data:')) return undefined;
  const path = resolve(dirname(fileName), decodeURIComponent(url));
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
