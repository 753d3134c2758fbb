import type * as ts from 'typescript';

// Opt-out comments. `// @autotrace-ignore` among the comments before a statement leaves every site in it untouched;
// `// @autotrace-ignore-file` among a file's leading comments leaves the whole file untouched.

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
