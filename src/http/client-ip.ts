/**
 * Which address a request comes from, for IP allow-lists. Forwarding headers are attacker-writable
 * text, so they are believed only as far as a chain of configured trusted proxies vouches for
 * them; anything the resolver cannot read with certainty ends the walk instead of being guessed at.
 */

import { canonicalIp, compileIpRules, validateIpRuleEntry } from '../domain/ip-rule.js';

export interface ForwardingHeaders {
  'x-forwarded-for'?: string | string[];
  forwarded?: string | string[];
  'x-real-ip'?: string | string[];
}

/**
 * The one header a deployment's proxies write. Only that header is read: a proxy that rewrites
 * X-Forwarded-For but passes other forwarding headers through untouched would otherwise let the
 * client choose its address by sending one of those.
 */
export const CLIENT_IP_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;
export type ClientIpHeader = (typeof CLIENT_IP_HEADERS)[number];
/** What nginx, HAProxy and AWS ALB append by default. */
export const DEFAULT_CLIENT_IP_HEADER: ClientIpHeader = 'x-forwarded-for';

export function isClientIpHeader(value: string): value is ClientIpHeader {
  return (CLIENT_IP_HEADERS as readonly string[]).includes(value);
}

export interface ClientIpResolver {
  /** The client address for a request: canonical text (IPv4-mapped -> IPv4), or null if the socket has none. */
  resolve(socketAddress: string | undefined, headers: ForwardingHeaders): string | null;
}

// Both bounds keep a hostile header's cost fixed; real proxy chains are a handful of hops.
const MAX_HEADER_LENGTH = 4096;
const MAX_HOPS = 20;

/** `unusable` hops (garbage, `unknown`, obfuscated, no `for=`) end the walk. */
const UNUSABLE = null;
type Hop = string | typeof UNUSABLE;

type HeaderText =
  | { readonly kind: 'absent' }
  | { readonly kind: 'oversize' }
  | { readonly kind: 'text'; readonly text: string };

const ABSENT: HeaderText = { kind: 'absent' };
const OVERSIZE: HeaderText = { kind: 'oversize' };

function headerText(value: string | string[] | undefined): HeaderText {
  if (value === undefined) return ABSENT;
  let length = 0;
  if (typeof value === 'string') {
    length = value.length;
  } else {
    for (const line of value) length += line.length + 1;
  }
  // Checked before joining so an oversize array costs nothing to reject.
  if (length > MAX_HEADER_LENGTH) return OVERSIZE;
  // Repeated header lines form one list in order (RFC 9110 5.3).
  const text = typeof value === 'string' ? value : value.join(',');
  return text.trim() === '' ? ABSENT : { kind: 'text', text };
}

function isDigits(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// RFC 7239 6.3: obfport = "_" 1*(ALPHA / DIGIT / "." / "_" / "-")
const OBFUSCATED_PORT = /^_[A-Za-z0-9._-]+$/;

function isPort(text: string, allowObfuscated: boolean): boolean {
  if (text.length <= 5 && isDigits(text, 0, text.length)) return true;
  return allowObfuscated && OBFUSCATED_PORT.test(text);
}

/**
 * A node as written in a forwarding header -> canonical address, or null. Accepts `a.b.c.d`,
 * `a.b.c.d:port`, `[v6]`, `[v6]:port` and bare `v6` (which can carry no port: `::1:80` is an address).
 */
function parseNode(text: string, allowObfuscatedPort: boolean): string | null {
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    if (close < 0) return null;
    const inside = text.slice(1, close);
    // Brackets are for IPv6 only; "[1.2.3.4]" is not a form any proxy writes.
    if (!inside.includes(':')) return null;
    const rest = text.slice(close + 1);
    if (rest !== '' && !(rest.charCodeAt(0) === 58 /* : */ && isPort(rest.slice(1), allowObfuscatedPort))) {
      return null;
    }
    return canonicalIp(inside);
  }
  const colon = text.indexOf(':');
  if (colon >= 0 && colon === text.lastIndexOf(':')) {
    // Exactly one colon can only be IPv4 plus port.
    const host = text.slice(0, colon);
    if (host.includes(':') || !isPort(text.slice(colon + 1), allowObfuscatedPort)) return null;
    const ip = canonicalIp(host);
    return ip !== null && !ip.includes(':') ? ip : null;
  }
  return canonicalIp(text);
}

/** X-Forwarded-For entries, nearest hop last; empty list elements are ignored as RFC 9110 5.6.1 requires. */
function forwardedForHops(text: string): Hop[] {
  const hops: Hop[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry !== '') hops.push(entry);
  }
  return hops;
}

const OWS = (c: number): boolean => c === 32 || c === 9;

// RFC 9110 tchar.
function isTchar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 33 ||
    (c >= 35 && c <= 39) ||
    c === 42 ||
    c === 43 ||
    c === 45 ||
    c === 46 ||
    c === 94 ||
    c === 95 ||
    c === 96 ||
    c === 124 ||
    c === 126
  );
}

// Unquoted values may also hold ':' '[' ']': proxies often forget to quote "for=[::1]:80", and
// those characters cannot be mistaken for a separator.
function isBareValueChar(c: number): boolean {
  return isTchar(c) || c === 58 || c === 91 || c === 93;
}

/**
 * The `for=` value of each RFC 7239 element, nearest hop last; an element with no `for`, or two,
 * is UNUSABLE. Returns null when the header is malformed anywhere: an unbalanced quote can shift
 * every boundary after it, so no element of such a header can be trusted to be what a proxy wrote.
 */
function forwardedHops(text: string): Hop[] | null {
  const hops: Hop[] = [];
  const end = text.length;
  let i = 0;
  let forValue: string | undefined;
  let duplicateFor = false;
  let elementStarted = false;

  const finishElement = (): void => {
    // Empty list elements are ignored (RFC 9110 5.6.1); ";" alone is an element without a `for`.
    if (elementStarted) hops.push(duplicateFor || forValue === undefined ? UNUSABLE : forValue);
    forValue = undefined;
    duplicateFor = false;
    elementStarted = false;
  };

  while (true) {
    while (i < end && OWS(text.charCodeAt(i))) i++;
    if (i === end) {
      finishElement();
      return hops;
    }
    const c = text.charCodeAt(i);
    if (c === 44 /* , */) {
      finishElement();
      i++;
      continue;
    }
    elementStarted = true;
    if (c === 59 /* ; */) {
      i++;
      continue;
    }

    const nameStart = i;
    while (i < end && isTchar(text.charCodeAt(i))) i++;
    if (i === nameStart || text.charCodeAt(i) !== 61 /* = */) return null;
    const name = text.slice(nameStart, i).toLowerCase();
    i++;

    let value: string;
    if (text.charCodeAt(i) === 34 /* " */) {
      i++;
      let unescaped = '';
      while (true) {
        if (i >= end) return null;
        const q = text.charCodeAt(i);
        if (q === 34) break;
        if (q === 92 /* \ */) {
          i++;
          if (i >= end) return null;
        }
        const ch = text.charCodeAt(i);
        // qdtext / quoted-pair: HTAB, SP, VCHAR, obs-text; control characters are malformed.
        if ((ch < 32 && ch !== 9) || ch === 127) return null;
        unescaped += text[i];
        i++;
      }
      i++;
      value = unescaped;
    } else {
      const valueStart = i;
      while (i < end && isBareValueChar(text.charCodeAt(i))) i++;
      if (i === valueStart) return null;
      value = text.slice(valueStart, i);
    }

    if (name === 'for') {
      if (forValue !== undefined) duplicateFor = true;
      forValue = value;
    }

    while (i < end && OWS(text.charCodeAt(i))) i++;
    if (i < end) {
      const next = text.charCodeAt(i);
      if (next !== 44 && next !== 59) return null;
    }
  }
}

/**
 * X-Real-IP holds exactly one address, written by the proxy; a list or repeated lines means
 * something other than that proxy wrote it, so nothing in it is believed.
 */
function realIpHops(value: string | string[] | undefined): Hop[] {
  if (Array.isArray(value) && value.length !== 1) return [];
  const header = headerText(value);
  if (header.kind !== 'text') return [];
  const entry = header.text.trim();
  return entry.includes(',') ? [UNUSABLE] : [entry];
}

/**
 * The hops of the configured header, nearest last; null means "believe nothing but the peer"
 * (malformed or oversize header).
 */
function headerHops(header: ClientIpHeader, headers: ForwardingHeaders): Hop[] | null {
  switch (header) {
    case 'forwarded': {
      const forwarded = headerText(headers.forwarded);
      if (forwarded.kind !== 'text') return null;
      return forwardedHops(forwarded.text);
    }
    case 'x-real-ip':
      return realIpHops(headers['x-real-ip']);
    case 'x-forwarded-for': {
      const xff = headerText(headers['x-forwarded-for']);
      return xff.kind === 'text' ? forwardedForHops(xff.text) : null;
    }
  }
}

export function createClientIpResolver(
  trustedProxies: readonly string[],
  header: ClientIpHeader = DEFAULT_CLIENT_IP_HEADER,
): ClientIpResolver {
  // Config validates this; a JavaScript caller passing anything else must not get a resolver that
  // silently reads no header (or the wrong one).
  if (!isClientIpHeader(header)) throw new Error(`client IP header must be one of ${CLIENT_IP_HEADERS.join(', ')}`);
  for (const entry of trustedProxies) {
    // A silently dropped entry would quietly stop trusting a proxy; config should have caught it.
    const problem = validateIpRuleEntry(entry);
    if (problem !== null) throw new Error(`trusted proxy ${problem}`);
  }
  // compileIpRules treats an empty list as "everyone"; for proxies it must mean "no one".
  const matcher = trustedProxies.length === 0 ? null : compileIpRules(trustedProxies);
  const isTrusted = (ip: string): boolean => matcher?.matches(ip) === true;
  // RFC 7239 obfuscated ports ("_abc") exist only in Forwarded.
  const allowObfuscatedPort = header === 'forwarded';

  return {
    resolve(socketAddress, headers) {
      if (socketAddress === undefined) return null;
      const peer = canonicalIp(socketAddress);
      if (peer === null || !isTrusted(peer)) return peer;

      const hops = headerHops(header, headers);
      if (hops === null) return peer;

      // Walk from the nearest hop outwards: each trusted address vouches for the one to its left,
      // and the first untrusted one is the client. Whatever lies left of it is the client's own
      // claim.
      let lastTrusted = peer;
      const stop = Math.max(0, hops.length - MAX_HOPS);
      for (let k = hops.length - 1; k >= stop; k--) {
        const raw = hops[k];
        const ip = raw === undefined || raw === UNUSABLE ? null : parseNode(raw, allowObfuscatedPort);
        // A hop we cannot read breaks the chain of vouching: nothing left of it is believed.
        if (ip === null) return lastTrusted;
        if (!isTrusted(ip)) return ip;
        lastTrusted = ip;
      }
      return lastTrusted;
    },
  };
}
