import type * as ts from 'typescript';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// The project's own modules a file imports (`./lib/app`), read from disk and parsed, so that import tracking can
// follow a value exported by one module and used in another (`export const api = axios.create()`). Only relative
// specifiers: packages are known by the rule table, never by reading them. A module that cannot be found or read is
// simply not followed. In a build, the program already holds those modules parsed: they are taken from it, and the
// disk is read only for a module the program does not hold (a bundler's or a loader's file, which has no program).

const CANDIDATE_SUFFIXES = ['', '.ts', '.tsx', '.mts', '.cts', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '/index.ts', '/index.tsx', '/index.d.ts', '/index.js', '/index.mjs', '/index.cjs'];

interface Parsed {
  readonly mtimeMs: number;
  readonly size: number;
  readonly file: ts.SourceFile;
}

const parsed = new Map<string, Parsed>();

// The program each file being planned came from (set by the core before it plans a file), so that following an
// import asks the program, not the disk. A module found there belongs to the same program.
const programOf = new WeakMap<ts.SourceFile, ts.Program>();

export function heldBy(program: ts.Program, file: ts.SourceFile): void {
  programOf.set(file, program);
}

export function siblingModule(ts_: typeof ts, from: ts.SourceFile, specifier: string): ts.SourceFile | undefined {
  const program = programOf.get(from);
  const held = program && heldSibling(program, from.fileName, specifier);
  if (held) {
    programOf.set(held, program!);
    return held;
  }
  const path = siblingPath(from.fileName, specifier);
  return path === undefined ? undefined : read(ts_, path);
}

// Per program, what was found: every file of a service imports the same few modules, and each lookup tries up to
// sixteen paths, each made canonical by the program (a tenth of a large project's plan before these were kept).
const siblingsOf = new WeakMap<ts.Program, Map<string, ts.SourceFile | null>>();
const reachOf = new WeakMap<ts.Program, Map<RegExp, Map<string, boolean>>>();

/** The module a relative specifier names among the program's files, tried in the order the disk would be. */
function heldSibling(program: ts.Program, fromFile: string, specifier: string): ts.SourceFile | undefined {
  let siblings = siblingsOf.get(program);
  if (!siblings) siblingsOf.set(program, (siblings = new Map()));
  const key = `${fromFile}\0${specifier}`;
  const known = siblings.get(key);
  if (known !== undefined) return known ?? undefined;
  let found: ts.SourceFile | undefined;
  for (const path of candidatePaths(fromFile, specifier)) {
    found = path === fromFile ? undefined : program.getSourceFile(path);
    if (found) break;
  }
  siblings.set(key, found ?? null);
  return found;
}

function read(ts_: typeof ts, path: string): ts.SourceFile | undefined {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return undefined;
  }
  if (!stats.isFile()) return undefined;
  const cached = parsed.get(path);
  if (cached && cached.mtimeMs === stats.mtimeMs && cached.size === stats.size) return cached.file;
  try {
    const file = ts_.createSourceFile(path, readFileSync(path, 'utf8'), ts_.ScriptTarget.Latest, true);
    parsed.set(path, { mtimeMs: stats.mtimeMs, size: stats.size, file });
    return file;
  } catch {
    return undefined;
  }
}

/** How many modules deep import tracking follows an export (`export { app } from './server'`), and no further. */
export const EXPORT_HOPS = 4;

const RELATIVE_SPECIFIER = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"](\.\.?\/[^'"]+)['"]/g;

/**
 * Whether a module's text, or the text of a project module it imports (two hops at most), mentions what a site needs
 * (`words`): a text test, so a module with nothing to trace costs no parse. A site can sit in a module that names no
 * framework itself (`sharedApp.get(…)` on an app another module made).
 */
export function mayReach(text: string, fileName: string, words: RegExp, hops = 2, program?: ts.Program): boolean {
  if (words.test(text)) return true;
  if (hops === 0) return false;
  // Within a program a file's text is fixed: the answer for a file and depth is kept (a module shared by a service's
  // files is asked about by each of them).
  let known: Map<string, boolean> | undefined;
  if (program) {
    let byWords = reachOf.get(program);
    if (!byWords) reachOf.set(program, (byWords = new Map()));
    known = byWords.get(words);
    if (!known) byWords.set(words, (known = new Map()));
    const answer = known.get(`${hops}\0${fileName}`);
    if (answer !== undefined) return answer;
  }
  let reaches = false;
  for (const match of text.matchAll(RELATIVE_SPECIFIER)) {
    const held = program && heldSibling(program, fileName, match[1]!);
    const path = held ? held.fileName : siblingPath(fileName, match[1]!);
    const sibling = held ? held.text : path && readText(path);
    if (sibling !== undefined && mayReach(sibling, path!, words, hops - 1, program)) {
      reaches = true;
      break;
    }
  }
  known?.set(`${hops}\0${fileName}`, reaches);
  return reaches;
}

/** Whether a file mentions what a site needs, or a project module it imports does (its program's, when it has one). */
export function fileMayReach(file: ts.SourceFile, words: RegExp, hops = 2): boolean {
  return mayReach(file.text, file.fileName, words, hops, programOf.get(file));
}

function candidatePaths(fromFile: string, specifier: string): string[] {
  const base = resolve(dirname(fromFile), specifier);
  const compiled = /\.([mc]?)js$/.exec(base);
  return compiled ? [base.slice(0, -compiled[0].length) + `.${compiled[1]}ts`, base] : CANDIDATE_SUFFIXES.map((suffix) => base + suffix);
}

function siblingPath(fromFile: string, specifier: string): string | undefined {
  return candidatePaths(fromFile, specifier).find((path) => path !== fromFile && isFile(path));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const texts = new Map<string, { readonly mtimeMs: number; readonly size: number; readonly text: string }>();

/** A module's text, read once while it is unchanged (every module importing it asks). */
function readText(path: string): string | undefined {
  try {
    const stats = statSync(path);
    const cached = texts.get(path);
    if (cached && cached.mtimeMs === stats.mtimeMs && cached.size === stats.size) return cached.text;
    const text = readFileSync(path, 'utf8');
    texts.set(path, { mtimeMs: stats.mtimeMs, size: stats.size, text });
    return text;
  } catch {
    return undefined;
  }
}
