/**
 * Origin allow-lists of tokens (`allowedOrigins`): `example.com` or `*.example.com`, matched
 * against the host of the request's Origin header.
 */

import { keepLastVerdict } from './last-verdict.js';

export interface OriginMatcher {
  readonly allowsAll: boolean;
  matches(origin: string | undefined): boolean;
}

const MAX_HOSTNAME_LENGTH = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const DIGITS = /^[0-9]+$/;
const IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const WILDCARD_PREFIX = '*.';

function invalidPattern(pattern: string): string {
  return `'${pattern}' is not a valid origin: use a domain such as 'example.com' or a wildcard such as '*.example.com'`;
}

export function validateOriginPattern(pattern: string): string | null {
  const wildcard = pattern.startsWith(WILDCARD_PREFIX);
  const domain = wildcard ? pattern.slice(WILDCARD_PREFIX.length) : pattern;
  if (domain.length === 0 || domain.length > MAX_HOSTNAME_LENGTH) return invalidPattern(pattern);
  const labels = domain.split('.');
  if (!labels.every((label) => LABEL.test(label))) return invalidPattern(pattern);
  // Browsers parse a host ending in a numeric label as IPv4 ("1.2.3" becomes "1.2.0.3"), so such a
  // pattern only makes sense as a plain dotted quad, and a wildcard over an address never matches.
  const last = labels[labels.length - 1] ?? '';
  if (DIGITS.test(last) && (wildcard || !IPV4.test(domain))) return invalidPattern(pattern);
  return null;
}

/** Hosts of recently seen Origin values: a site's viewers all send the same few. */
const knownHosts = new Map<string, string | null>();
const KNOWN_HOSTS_LIMIT = 4096;

/** The lowercased host an Origin header names (no brackets for IPv6), or null. */
export function originHost(origin: string): string | null {
  const known = knownHosts.get(origin);
  if (known !== undefined) return known;
  const host = parseOriginHost(origin);
  if (knownHosts.size >= KNOWN_HOSTS_LIMIT) knownHosts.clear();
  knownHosts.set(origin, host);
  return host;
}

function parseOriginHost(origin: string): string | null {
  if (origin === '' || origin === 'null') return null;
  // Without "://" the URL parser would take "example.com:8080" as scheme "example.com:".
  const withScheme = origin.includes('://') ? origin : `http://${origin}`;
  let host: string;
  try {
    host = new URL(withScheme).hostname;
  } catch {
    return null;
  }
  // Non-special schemes (chrome-extension://) keep the host's case, so lowercase here too.
  host = host.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) return host.length > 2 ? host.slice(1, -1) : null;
  if (host.endsWith('.')) host = host.slice(0, -1);
  // Empty labels would let "..example.com" look like a subdomain of "example.com".
  if (host === '' || host.startsWith('.') || host.includes('..')) return null;
  return host;
}

export function compileOriginRules(patterns: readonly string[]): OriginMatcher {
  if (patterns.length === 0) return { allowsAll: true, matches: () => true };
  const exact = new Set<string>();
  const wildcardDomains = new Set<string>();
  for (const pattern of patterns) {
    if (validateOriginPattern(pattern) !== null) continue;
    const lower = pattern.toLowerCase();
    if (lower.startsWith(WILDCARD_PREFIX)) wildcardDomains.add(lower.slice(WILDCARD_PREFIX.length));
    else exact.add(lower);
  }
  const verdict = (origin: string): boolean => {
    const host = originHost(origin);
    if (host === null) return false;
    if (exact.has(host)) return true;
    if (wildcardDomains.size === 0) return false;
    // Looking up each proper suffix after a dot costs one Set probe per label, however many
    // wildcards there are, and can never match the bare domain or a lookalike ("evilx.com").
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
      if (wildcardDomains.has(host.slice(dot + 1))) return true;
    }
    return false;
  };
  const remembered = keepLastVerdict(verdict);
  return {
    allowsAll: false,
    matches: (origin: string | undefined): boolean => origin !== undefined && remembered(origin),
  };
}
