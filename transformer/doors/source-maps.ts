import type * as ts from 'typescript';
import { originalPositionFor, sourceContentFor, TraceMap } from '@jridgewell/trace-mapping';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { originsOf, type SourceAnnotation } from '../origins';

type SourceMapInput = string | { readonly version: number; readonly mappings: string | unknown; readonly sources: readonly (string | null)[] };

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

/** The sources a map points at, with their text (sourcesContent, or the file on disk); unreadable ones are left out. */
export function mapSources(inputMap: SourceMapInput, fileName: string): { path: string; text: string }[] {
  try {
    const map = (typeof inputMap === 'string' ? JSON.parse(inputMap) : inputMap) as { sources?: (string | null)[]; sourcesContent?: (string | null)[]; sourceRoot?: string };
    const found: { path: string; text: string }[] = [];
    (map.sources ?? []).forEach((source, index) => {
      if (source === null) return;
      const path = /^file:/.test(source) ? fileURLToPath(source) : resolve(dirname(fileName), map.sourceRoot ?? '', source);
      const text = map.sourcesContent?.[index] ?? (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
      if (typeof text === 'string') found.push({ path, text });
    });
    return found;
  } catch {
    return [];
  }
}

/**
 * For emitted JavaScript with a source map: the kind a parameter, variable or field has by its type annotation in the
 * TypeScript the user wrote (`function register(app: Express)` compiles to `function register(app)`). The source is
 * the map's `sourcesContent`, or the file on disk; each declaration is placed there by the position of its name.
 */
export function sourceAnnotations(ts_: typeof ts, file: ts.SourceFile, inputMap: SourceMapInput, fileName: string): SourceAnnotation | undefined {
  let traced: TraceMap;
  try {
    traced = new TraceMap(inputMap as ConstructorParameters<typeof TraceMap>[0], fileName);
  } catch {
    return undefined;
  }
  const sources = new Map<string, ts.SourceFile | undefined>();
  const sourceFile = (source: string): ts.SourceFile | undefined => {
    if (!sources.has(source)) sources.set(source, parseSource(ts_, traced, source, fileName));
    return sources.get(source);
  };
  return (declaration) => {
    const name = (declaration as { name?: ts.Node }).name;
    if (!name || !ts_.isIdentifier(name)) return undefined;
    const at = file.getLineAndCharacterOfPosition(name.getStart(file));
    const original = originalPositionFor(traced, { line: at.line + 1, column: at.character });
    if (original.source === null || original.line === null || original.column === null) return undefined;
    const source = sourceFile(original.source);
    if (!source) return undefined;
    const position = source.getPositionOfLineAndCharacter(original.line - 1, original.column);
    const written = declarationNamed(ts_, source, position, name.text);
    return written?.type ? originsOf(ts_, source).typeKindOf(written.type) : undefined;
  };
}

/** The TypeScript a map points at, from its sourcesContent or the file on disk; only .ts sources carry annotations. */
function parseSource(ts_: typeof ts, traced: TraceMap, source: string, fileName: string): ts.SourceFile | undefined {
  const path = /^file:/.test(source) ? fileURLToPath(source) : resolve(dirname(fileName), source);
  if (!/\.[mc]?tsx?$/.test(path) || /\.d\.[mc]?ts$/.test(path)) return undefined;
  const content = sourceContentFor(traced, source) ?? (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  if (content === undefined || content === null) return undefined;
  try {
    return ts_.createSourceFile(path, content, ts_.ScriptTarget.Latest, true);
  } catch {
    return undefined;
  }
}

type Annotated = ts.ParameterDeclaration | ts.VariableDeclaration | ts.PropertyDeclaration;

/** The parameter, variable or field whose name (this name) starts at a position. */
function declarationNamed(ts_: typeof ts, source: ts.SourceFile, position: number, name: string): Annotated | undefined {
  let found: Annotated | undefined;
  const visit = (node: ts.Node): void => {
    if (found || position < node.pos || position >= node.end) return;
    if ((ts_.isParameter(node) || ts_.isVariableDeclaration(node) || ts_.isPropertyDeclaration(node)) && ts_.isIdentifier(node.name)) {
      if (node.name.text === name && node.name.getStart(source) === position) {
        found = node;
        return;
      }
    }
    ts_.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
