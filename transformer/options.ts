/** The plugin options a user may set next to `"transform": "autotrace/transformer"` in tsconfig. */
export interface AutotraceOptions {
  /** Globs (relative to the tsconfig's folder) of files to leave untouched. */
  readonly exclude: readonly string[];
  /**
   * Host globs (`*.internal.example.com`, `localhost`) that trace context and baggage may be sent to. Unset: every
   * host, as OpenTelemetry's own instrumentations do. CLIENT spans are recorded for every call either way.
   */
  readonly propagateTo: readonly string[] | undefined;
  /**
   * Query parameter names whose values are redacted in url.query and url.full, on top of the built-in list of
   * signature, credential, token, key and password parameters. Matched case-insensitively.
   */
  readonly redactQueryParams: readonly string[] | undefined;
  /** Where the coverage report is written, relative to the tsconfig's folder; `false` writes none. */
  readonly report: string | false;
  /** No summary line on stderr (the per-site lines for black boxes stay). */
  readonly quiet: boolean;
  /** Fail the build when coverage (instrumented / (instrumented + unsupported), in percent) is below this. */
  readonly minCoverage: number | undefined;
  /**
   * When datastore calls (SQL queries) get a CLIENT span: `in-trace` (the default) only inside a trace already in
   * progress, so a pool's background queries start no traces of their own; `always` for every call.
   */
  readonly datastoreSpans: 'in-trace' | 'always';
  /** Redis keys are shown as `?` in db.query.text (`GET ?`); values never reach a span either way. */
  readonly redactRedisKeys: boolean;
}

export const DEFAULT_REPORT = 'autotrace-report.json';

export class AutotraceOptionError extends Error {
  /** `where`: where the user wrote the options, for the message (the bundler plugins name their own call). */
  constructor(
    readonly option: string,
    readonly problem: string,
    where = 'in compilerOptions.plugins',
  ) {
    super(`autotrace: invalid plugin option "${option}" ${where}: ${problem}`);
    this.name = 'AutotraceOptionError';
  }
}

// Keys ts-patch reads from the same plugin entry; they are not ours to judge.
const TS_PATCH_KEYS = new Set([
  'transform',
  'type',
  'import',
  'isEsm',
  'after',
  'afterDeclarations',
  'transformProgram',
  'resolvePathAliases',
  'tsConfig',
  'name',
]);

const OPTION_PARSERS: Record<keyof AutotraceOptions, (value: unknown) => unknown> = {
  exclude: (value) => globList('exclude', value),
  propagateTo: (value) => {
    const globs = globList('propagateTo', value);
    const bad = globs.find((glob) => !/^[a-z0-9*.\-[\]:]+$/i.test(glob));
    if (bad !== undefined) {
      throw new AutotraceOptionError('propagateTo', `expected host globs such as "*.example.com", got ${JSON.stringify(bad)}`);
    }
    return globs;
  },
  redactQueryParams: (value) => {
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && /^[^\s&=]+$/.test(item))) {
      throw new AutotraceOptionError('redactQueryParams', `expected an array of query parameter names such as "session_id", got ${describe(value)}`);
    }
    return Object.freeze([...value]);
  },
  report: (value) => {
    if (value === false || (typeof value === 'string' && value.length > 0)) return value;
    throw new AutotraceOptionError('report', `expected a file path such as "reports/autotrace.json", or false for none, got ${describe(value)}`);
  },
  quiet: (value) => {
    if (typeof value === 'boolean') return value;
    throw new AutotraceOptionError('quiet', `expected true or false, got ${describe(value)}`);
  },
  minCoverage: (value) => {
    if (typeof value === 'number' && value >= 0 && value <= 100) return value;
    throw new AutotraceOptionError('minCoverage', `expected a number from 0 to 100 (a percentage), got ${describe(value)}`);
  },
  datastoreSpans: (value) => {
    if (value === 'in-trace' || value === 'always') return value;
    throw new AutotraceOptionError('datastoreSpans', `expected "in-trace" (the default: only inside a trace) or "always", got ${describe(value)}`);
  },
  redactRedisKeys: (value) => {
    if (typeof value === 'boolean') return value;
    throw new AutotraceOptionError('redactRedisKeys', `expected true (keys shown as "?") or false, got ${describe(value)}`);
  },
};

function globList(option: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new AutotraceOptionError(option, `expected an array of non-empty glob strings, got ${describe(value)}`);
  }
  return Object.freeze([...value]);
}

/** Every option autotrace knows, in the order the README lists them. */
export const OPTION_NAMES: readonly string[] = Object.keys(OPTION_PARSERS);

const DEFAULTS: AutotraceOptions = {
  exclude: [],
  propagateTo: undefined,
  redactQueryParams: undefined,
  report: DEFAULT_REPORT,
  quiet: false,
  minCoverage: undefined,
  datastoreSpans: 'in-trace',
  redactRedisKeys: false,
};

/** Validates the plugin entry; an unknown key or a bad value throws an error naming it, which fails the build. */
export function parseOptions(raw: Readonly<Record<string, unknown>> | undefined): AutotraceOptions {
  const options: Record<string, unknown> = { ...DEFAULTS };
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (TS_PATCH_KEYS.has(key)) continue;
    const parse = OPTION_PARSERS[key as keyof AutotraceOptions];
    if (!parse) {
      const known = Object.keys(OPTION_PARSERS).join(', ');
      throw new AutotraceOptionError(key, `unknown option (autotrace knows: ${known})`);
    }
    options[key] = parse(value);
  }
  return Object.freeze(options) as unknown as AutotraceOptions;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array containing ${value.map((item) => JSON.stringify(item)).join(', ')}`;
  return value === null ? 'null' : `${typeof value} ${JSON.stringify(value)}`;
}
