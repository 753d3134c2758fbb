import type * as ts from 'typescript';
import { relative, sep } from 'node:path';

// Opt-out comments. `// @autotrace-ignore` among the comments before a statement leaves every site in it untouched;
// `// @autotrace-ignore-file` among a file's leading comments leaves the whole file untouched.
//
// A comment that looks meant as one but is not obeyed (`// autotrace-ignore`, `@autotrace-ingore`,
// `@AutoTrace-Ignore`, `@autotrace-ignore-next-line`, a directive after code on its line) is a near miss: it changes
// nothing, but the build says so, with the spelling or the place that would be obeyed.

const IGNORE = /@autotrace-ignore(?![-\w])/;
const IGNORE_FILE = /@autotrace-ignore-file(?![-\w])/;

/** Cheap text test: does the file hold any statement directive at all? */
export function mentionsIgnore(text: string): boolean {
  return IGNORE.test(text);
}

export function isFileIgnored(ts_: typeof ts, file: ts.SourceFile): boolean {
  return leadingComments(ts_, file.text, 0).some((comment) => IGNORE_FILE.test(comment));
}

export function isStatementIgnored(ts_: typeof ts, file: ts.SourceFile, node: ts.Node): boolean {
  return leadingComments(ts_, file.text, node.pos).some((comment) => IGNORE.test(comment));
}

function leadingComments(ts_: typeof ts, text: string, pos: number): string[] {
  return (ts_.getLeadingCommentRanges(text, pos) ?? []).map((range) => text.slice(range.pos, range.end));
}

/** A comment meant as a directive that is not obeyed: the report's `directives` entries. */
export interface NearMiss {
  /** Relative to the project root, `/` separators. */
  readonly file: string;
  /** 1-based, where the word starts. */
  readonly line: number;
  readonly column: number;
  /** The word as written: `autotrace-ignore`, `@autotrace-ingore`. */
  readonly found: string;
  /** The directive it looks meant as: `@autotrace-ignore`. */
  readonly expected: string;
  readonly reason: NearMissReason;
}

/** Why a near miss is not obeyed, and what would be. */
const HINTS = {
  'missing @': (expected: string) => `write ${expected}`,
  'wrong case': (expected: string) => `write ${expected}`,
  misspelled: (expected: string) => `write ${expected}`,
  'unknown suffix': (expected: string) => `write ${expected} (the directives are @autotrace-ignore and @autotrace-ignore-file)`,
  'after code on its line': (expected: string) => `put ${expected} on a line of its own above the statement`,
  'not before a statement': (expected: string) => `put ${expected} on a line of its own above the statement`,
  'not at the top of the file': (expected: string) => `put ${expected} among the comments before the file's first code`,
} as const;

export type NearMissReason = keyof typeof HINTS;

/** `autotrace: src/app.ts:4:6: @autotrace-ingore is not obeyed (misspelled), so nothing is opted out: write @autotrace-ignore`. */
export function formatNearMiss(miss: NearMiss): string {
  const where = `${miss.file}:${miss.line}:${miss.column}`;
  return `autotrace: ${where}: ${miss.found} is not obeyed (${miss.reason}), so nothing is opted out: ${HINTS[miss.reason](miss.expected)}`;
}

export function printNearMiss(miss: NearMiss): void {
  process.stderr.write(`${formatNearMiss(miss)}\n`);
}

const KNOWN = ['autotrace-ignore', 'autotrace-ignore-file'] as const;

// Files without the word in any case skip the comment scan: nearly every file of a project.
const MENTION = /autotrace/gi;
/** The word at a mention: an optional `@` before it, letters, digits, `-` and `_` after it. */
const WORD = /[\w-]*/y;

/** Every near miss in a file's comments; a cheap text test first, so most files cost one regex search. */
export function findNearMisses(ts_: typeof ts, file: ts.SourceFile, projectRoot: string): NearMiss[] {
  const text = file.text;
  MENTION.lastIndex = 0;
  if (!MENTION.test(text)) return [];
  const misses: NearMiss[] = [];
  MENTION.lastIndex = 0;
  for (let match = MENTION.exec(text); match; match = MENTION.exec(text)) {
    WORD.lastIndex = match.index + match[0].length;
    const rest = WORD.exec(text)![0];
    const before = text[match.index - 1] ?? ' ';
    if (/[\w-]/.test(before)) continue; // part of another word: `__autotrace`, `my-autotrace-ignore`
    const at = before === '@';
    const start = at ? match.index - 1 : match.index;
    MENTION.lastIndex = match.index + match[0].length + rest.length;
    const found = text.slice(start, MENTION.lastIndex);
    const spelling = judgeSpelling(found);
    if (!spelling) continue;
    const place = commentAt(ts_, file, match.index);
    if (!place) continue; // code or a string, not a comment
    const judged = spelling.reason ? spelling : judgePlace(found, place);
    if (!judged?.reason) continue;
    const { line, character } = file.getLineAndCharacterOfPosition(start);
    misses.push({
      file: relative(projectRoot, file.fileName).split(sep).join('/'),
      line: line + 1,
      column: character + 1,
      found,
      expected: judged.expected,
      reason: judged.reason,
    });
  }
  return misses;
}

interface Judgement {
  readonly expected: string;
  /** Absent for a directive spelled right (its place is judged next). */
  readonly reason?: NearMissReason;
}

/** Which directive a word looks meant as, and what is wrong with its spelling; undefined for a word that is none. */
function judgeSpelling(found: string): Judgement | undefined {
  const hasAt = found.startsWith('@');
  const word = hasAt ? found.slice(1) : found;
  const lower = word.toLowerCase();
  const exact = KNOWN.find((known) => known === lower);
  if (exact) {
    const expected = `@${exact}`;
    if (word !== exact) return { expected, reason: 'wrong case' };
    return hasAt ? { expected } : { expected, reason: 'missing @' };
  }
  // `-files` is closest to `-file` and extends it; `-fil` is closest to `-file` and misspells it; `-next-line` is far
  // from both and extends `autotrace-ignore`.
  // Lengths more than two apart are more than two edits apart: most mentions (`autotrace/runtime`) stop here.
  const nearest = KNOWN.filter((known) => Math.abs(known.length - lower.length) <= 2)
    .map((known) => ({ known, distance: editDistance(lower, known) }))
    .sort((a, b) => a.distance - b.distance)[0] ?? { known: '', distance: Infinity };
  if (nearest.distance <= 2) {
    return { expected: `@${nearest.known}`, reason: lower.startsWith(nearest.known) ? 'unknown suffix' : 'misspelled' };
  }
  const prefix = [...KNOWN].reverse().find((known) => lower.startsWith(known));
  return prefix ? { expected: `@${prefix}`, reason: 'unknown suffix' } : undefined;
}

/** Whether a directive spelled right sits where it is obeyed (the same places isFileIgnored and the walk look). */
function judgePlace(found: string, place: CommentPlace): Judgement | undefined {
  if (found === '@autotrace-ignore-file') {
    return place.leadsFile() ? undefined : { expected: found, reason: 'not at the top of the file' };
  }
  if (place.sameLineAsCode) return { expected: found, reason: 'after code on its line' };
  return place.leadsStatement ? undefined : { expected: found, reason: 'not before a statement' };
}

interface CommentPlace {
  /** Among the file's leading comments (asked only of `@autotrace-ignore-file`). */
  readonly leadsFile: () => boolean;
  /** After code on the same line (a trailing comment). */
  readonly sameLineAsCode: boolean;
  /** On a line of its own before a statement or class member. */
  readonly leadsStatement: boolean;
}

/**
 * Where the comment holding `pos` is, or undefined when `pos` is not in a comment. Descends the tree (tokens
 * included) to the token whose leading trivia holds `pos`, so a string or a regular expression is never taken for a
 * comment.
 */
function commentAt(ts_: typeof ts, file: ts.SourceFile, pos: number): CommentPlace | undefined {
  const text = file.text;
  const path: ts.Node[] = [];
  let node: ts.Node = file;
  for (;;) {
    const child = node.getChildren(file).find((c) => !ts_.isJSDoc(c) && c.pos <= pos && pos < c.end);
    if (!child) break;
    path.push(child);
    node = child;
  }
  // `node` is a token (or a node the position ends in); a comment lies between its full start and its start.
  if (node === file || pos >= node.getStart(file)) return undefined;
  const holds = (ranges: ts.CommentRange[] | undefined) => (ranges ?? []).some((range) => range.pos <= pos && pos < range.end);
  const leading = holds(ts_.getLeadingCommentRanges(text, node.pos));
  const trailing = holds(ts_.getTrailingCommentRanges(text, node.pos));
  if (!leading && !trailing) return undefined;
  const startsHere = path.filter((n) => n.pos === node.pos);
  return {
    leadsFile: () => holds(ts_.getLeadingCommentRanges(text, 0)),
    sameLineAsCode: !leading && node.pos > 0,
    leadsStatement: leading && startsHere.some((n) => ts_.isStatement(n) || ts_.isClassElement(n)),
  };
}

/**
 * Edit distance with adjacent transpositions (`ingore` is one edit from `ignore`). Hand-written: two words of about
 * twenty characters, once per mention of autotrace in a comment, do not need a dependency in every service's install.
 * Three rows of the table are enough: a transposition looks two rows back.
 */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
