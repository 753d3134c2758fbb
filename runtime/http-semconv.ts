import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions';
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

export function normalizeMethod(raw: string | undefined): Method {
  const upper = (raw ?? 'GET').toUpperCase();
  if (KNOWN_METHODS.has(upper)) return { value: upper, spanName: upper };
  return { value: HTTP_REQUEST_METHOD_VALUE_OTHER, spanName: 'HTTP' };
}

export function methodAttributes(raw: string | undefined, method: Method, attributes: Attributes): void {
  attributes[ATTR_HTTP_REQUEST_METHOD] = method.value;
  if (raw !== undefined && raw !== method.value) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = raw;
}

// Query parameters whose values the conventions ask to redact in url.query / url.full.
const SENSITIVE_QUERY_KEYS = new Set(['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature']);

export function redactQuery(query: string): string {
  if (!query) return query;
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq > 0 && SENSITIVE_QUERY_KEYS.has(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=REDACTED` : pair;
    })
    .join('&');
}

/** Splits a `host[:port]` authority (IPv6 in brackets) as sent in a Host header. */
export function splitAuthority(authority: string): { host: string; port?: number } {
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
