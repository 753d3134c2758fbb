// Black boxes the build knows of: sites autotrace recognised but could not trace, left untouched and reported, never
// half-rewritten. Each is one line on stderr (`file:line:column`, which editors and CI annotate), or goes to the
// `onGap` hook of the programmatic entry.

export interface Gap {
  /** Path relative to the project root, with `/` separators. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The shape, as written: `fetch?.(…)`, `fetch passed as a value`. */
  readonly what: string;
  /** Why it is left alone, and what that means for the trace. */
  readonly why: string;
}

export type GapSink = (gap: Gap) => void;

export function formatGap(gap: Gap): string {
  return `autotrace: ${gap.file}:${gap.line}:${gap.column}: left untouched: ${gap.what} (${gap.why})`;
}

export const printGap: GapSink = (gap) => {
  process.stderr.write(`${formatGap(gap)}\n`);
};
