import { semconv } from './semconv';
import type { Attributes } from '@opentelemetry/api';

// The methods OpenTelemetry's HTTP conventions know (RFC 9110 + PATCH from RFC 5789); any other is reported as
// `_OTHER` with the original in http.request.method_original, and the span is named `HTTP`.
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

export interface Method {
  /** The value for http.request.method. */
  readonly value: string;
  /** The first word of the span name. */
  readonly spanName: string;
}

// One Method object per known method, and one for the rest: nothing is made per request.
const KNOWN: ReadonlyMap<string, Method> = new Map([...KNOWN_METHODS].map((name) => [name, { value: name, spanName: name }]));
let other: Method | undefined;

export function normalizeMethod(raw: string | undefined): Method {
  if (raw === undefined) return KNOWN.get('GET')!;
  return KNOWN.get(raw) ?? KNOWN.get(raw.toUpperCase()) ?? (other ??= { value: semconv().HTTP_REQUEST_METHOD_VALUE_OTHER, spanName: 'HTTP' });
}

export function methodAttributes(raw: string | undefined, method: Method, attributes: Attributes): void {
  attributes[semconv().ATTR_HTTP_REQUEST_METHOD] = method.value;
  if (raw !== undefined && raw !== method.value) attributes[semconv().ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = raw;
}

// Query parameters whose values never reach a span: the four the HTTP conventions name (url.query, url.full) plus
// the usual carriers of signed-URL signatures, OAuth tokens, API keys and passwords. Matched case-insensitively on
// the percent-decoded name; the value becomes REDACTED and the name stays.
const SENSITIVE_QUERY_PARAMS = new Set(
  [
    'AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature', 'X-Goog-Credential', 'X-Amz-Signature',
    'X-Amz-Credential', 'X-Amz-Security-Token', 'access_token', 'id_token', 'refresh_token', 'token', 'api_key',
    'apikey', 'key', 'password', 'passwd', 'secret', 'client_secret', 'code',
  ].map((name) => name.toLowerCase()),
);

/** Adds parameter names to redact (the `redactQueryParams` plugin option, carried by the sites of a build). */
export function redactQueryParams(names: readonly unknown[]): void {
  for (const name of names) if (typeof name === 'string') SENSITIVE_QUERY_PARAMS.add(name.toLowerCase());
}

export function redactQuery(query: string): string {
  if (!query) return query;
  const pairs = query.split('&');
  let redacted = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf('=');
    if (eq > 0 && SENSITIVE_QUERY_PARAMS.has(decodeName(pair.slice(0, eq)).toLowerCase())) {
      pairs[i] = `${pair.slice(0, eq)}=REDACTED`;
      redacted = true;
    }
  }
  return redacted ? pairs.join('&') : query;
}

/** A query parameter's name as the server reads it (`%74oken`, `access%5Ftoken`); as written when it is malformed. */
function decodeName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

export interface Authority {
  readonly host: string;
  readonly port?: number;
}

// The last authority split, and its parts: a server's requests nearly all carry the same Host header, so most
// requests find theirs here instead of slicing and parsing it again.
let lastAuthority: string | undefined;
let lastSplit: Authority = { host: '' };

/** Splits a `host[:port]` authority (IPv6 in brackets) as sent in a Host header. */
export function splitAuthority(authority: string): Authority {
  if (authority !== lastAuthority) {
    lastSplit = parseAuthority(authority);
    lastAuthority = authority;
  }
  return lastSplit;
}

function parseAuthority(authority: string): Authority {
  const bracket = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const colon = authority.lastIndexOf(':');
  if (colon > bracket && colon !== -1) {
    const port = Number(authority.slice(colon + 1));
    const host = authority.slice(0, colon);
    return Number.isInteger(port) && port > 0 ? { host: stripBrackets(host), port } : { host: stripBrackets(host) };
  }
  return { host: stripBrackets(authority) };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function defaultPort(scheme: string): number {
  return scheme === 'https' ? 443 : 80;
}
