import type { Attributes } from '@opentelemetry/api';
import { loadOnce } from './api';
import { semconv } from './semconv';
import type * as HttpSemconvModule from './http-semconv';
import type * as PropagateModule from './net/propagate';

/** What the transformer knew about a site at build time, passed inline by the emitted code. */
export interface Site {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly function?: string;
  /** A client URL's path template (`/users/{id}`). */
  readonly urlTemplate?: string;
  /** An Express `use` mount path. */
  readonly mount?: string;
  /** Host globs trace context may be sent to; absent means every host. */
  readonly propagateTo?: readonly string[];
  /** Query parameter names to redact beyond the built-in list (the `redactQueryParams` option). */
  readonly redactQueryParams?: readonly string[];
}

/**
 * Takes in what a site says about the whole process rather than about itself: extra query parameters to redact, and
 * the hosts trace context may go to (for the run-time net's calls, which have no site).
 * Called where sites arrive (a handler registered, an app created, a client call made); redacting more is always
 * safe, so the lists of every build in the process add up.
 */
export function learnSite(site: Site | undefined): void {
  const names = site?.redactQueryParams;
  if (Array.isArray(names)) httpSemconv().redactQueryParams(names);
  const globs = site?.propagateTo;
  if (Array.isArray(globs)) propagate().learnPropagateTo(globs);
}

// Required by the first site that carries a list (a build with either option): without one, wrapping handlers at
// startup loads neither module. Literal paths, so that bundlers still find and include them.
const httpSemconv = loadOnce(() => require('./http-semconv') as typeof HttpSemconvModule);
const propagate = loadOnce(() => require('./net/propagate') as typeof PropagateModule);

// url.template is still in development in the conventions, so it is not among the stable ATTR_* exports.
const ATTR_URL_TEMPLATE = 'url.template';

/** code.* (stable since semantic conventions 1.33) and url.template from the site. */
export function siteAttributes(site: Site | undefined, attributes: Attributes): void {
  if (!site || typeof site !== 'object') return;
  const keys = semconv();
  if (typeof site.file === 'string') attributes[keys.ATTR_CODE_FILE_PATH] = site.file;
  if (typeof site.line === 'number') attributes[keys.ATTR_CODE_LINE_NUMBER] = site.line;
  if (typeof site.column === 'number') attributes[keys.ATTR_CODE_COLUMN_NUMBER] = site.column;
  if (typeof site.function === 'string') attributes[keys.ATTR_CODE_FUNCTION_NAME] = site.function;
  if (typeof site.urlTemplate === 'string') attributes[ATTR_URL_TEMPLATE] = site.urlTemplate;
}

// Compiled once per distinct list: every client site of a build carries the same propagateTo.
const matchers = new Map<string, RegExp>();

/** Host globs: `*` is one DNS label (or part of one), `**` any run of labels; matched whole, case-insensitively. */
function matcherFor(globs: readonly string[]): RegExp {
  const key = globs.join('\n');
  let matcher = matchers.get(key);
  if (!matcher) {
    const alternatives = globs.map((glob) =>
      glob
        .toLowerCase()
        .split('**')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*'))
        .join('.*'),
    );
    matcher = new RegExp(`^(?:${alternatives.join('|')})$`);
    matchers.set(key, matcher);
  }
  return matcher;
}

/** Whether trace context may go to `hostname` from this site (the `propagateTo` option). */
export function mayPropagate(site: Site | undefined, hostname: string | undefined): boolean {
  const globs = site?.propagateTo;
  if (!Array.isArray(globs)) return true;
  return hostname !== undefined && matcherFor(globs).test(hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1'));
}
