/**
 * IP allow-lists of tokens (`allowedIpAddresses`): validation of entries, parsing of client
 * addresses and a matcher that runs on every authorization.
 *
 * The parser is hand-written rather than built on `net.isIP` so that rules and client addresses
 * go through exactly one grammar (no zone ids, no octal-looking octets, no CIDR on clients) and so
 * that matching can parse straight into a scratch buffer without allocating.
 */

import { keepLastVerdict } from './last-verdict.js';

export interface ParsedIp {
  readonly family: 4 | 6;
  /** canonical text: dotted quad for IPv4, RFC 5952 lowercase compressed for IPv6 */
  readonly text: string;
  /** 4 or 16 bytes */
  readonly bytes: Uint8Array;
}

export interface IpMatcher {
  /** true when the list is empty */
  readonly allowsAll: boolean;
  /** false for unparsable input */
  matches(clientIp: string): boolean;
}

// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is the longest address text; anything longer is
// rejected before scanning so hostile headers cost nothing.
const MAX_ADDRESS_LENGTH = 45;

const NOT_PARSED = 0;
const TEXT_V4 = 4;
const TEXT_V6 = 6;
type TextFamily = typeof NOT_PARSED | typeof TEXT_V4 | typeof TEXT_V6;

// Reused by every parse: matching runs per request and must not allocate. Safe because parsing
// is synchronous and never re-entered.
const scratch = new Uint16Array(8);

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_COLON = 58;

function hexValue(c: number): number {
  if (c >= CH_0 && c <= CH_9) return c - CH_0;
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Strict dotted quad in text[start, end) -> uint32, or -1. */
function parseIpv4Range(text: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (true) {
    const octetStart = i;
    let octet = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < CH_0 || c > CH_9) break;
      octet = octet * 10 + (c - CH_0);
      i++;
    }
    const digits = i - octetStart;
    // Leading zeros are refused because some stacks read them as octal ("010" = 8).
    if (digits === 0 || digits > 3 || octet > 255) return -1;
    if (digits > 1 && text.charCodeAt(octetStart) === CH_0) return -1;
    value = value * 256 + octet;
    octets++;
    if (i === end) break;
    if (octets === 4 || text.charCodeAt(i) !== CH_DOT) return -1;
    i++;
  }
  return octets === 4 ? value : -1;
}

/** Strict RFC 4291 text in text[start, end) into `out` (8 groups). */
function parseIpv6Range(text: string, start: number, end: number, out: Uint16Array): boolean {
  let i = start;
  let count = 0;
  let gap = -1;
  if (end - start < 2) return false;
  if (text.charCodeAt(i) === CH_COLON) {
    if (text.charCodeAt(i + 1) !== CH_COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const segmentStart = i;
    let group = 0;
    while (i < end) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      group = group * 16 + h;
      i++;
    }
    if (i < end && text.charCodeAt(i) === CH_DOT) {
      // Embedded IPv4 must be the last 32 bits.
      if (count > 6) return false;
      const v4 = parseIpv4Range(text, segmentStart, end);
      if (v4 < 0) return false;
      out[count++] = v4 >>> 16;
      out[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = i - segmentStart;
    if (digits === 0 || digits > 4 || count === 8) return false;
    out[count++] = group;
    if (i === end) break;
    if (text.charCodeAt(i) !== CH_COLON) return false;
    i++;
    if (i < end && text.charCodeAt(i) === CH_COLON) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false; // a single trailing colon
    }
  }
  if (gap < 0) return count === 8;
  // "::" stands for at least one zero group.
  if (count > 7) return false;
  const tail = count - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[count - 1 - k] ?? 0;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

/** Parses text[start, end) into `out` as 8 groups (IPv4 as ::ffff:a.b.c.d); tells which syntax it was. */
function parseInto(text: string, start: number, end: number, out: Uint16Array): TextFamily {
  if (end - start > MAX_ADDRESS_LENGTH || end <= start) return NOT_PARSED;
  const colon = text.indexOf(':', start);
  if (colon >= 0 && colon < end) {
    return parseIpv6Range(text, start, end, out) ? TEXT_V6 : NOT_PARSED;
  }
  const v4 = parseIpv4Range(text, start, end);
  if (v4 < 0) return NOT_PARSED;
  out.fill(0, 0, 5);
  out[5] = 0xffff;
  out[6] = v4 >>> 16;
  out[7] = v4 & 0xffff;
  return TEXT_V4;
}

function isMapped(groups: Uint16Array): boolean {
  return (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff
  );
}

/** Low 32 bits of the groups, as a signed int32 to compare with Int32Array rule words. */
function lowWord(groups: Uint16Array): number {
  return ((groups[6] ?? 0) << 16) | (groups[7] ?? 0) | 0;
}

function word(groups: Uint16Array, index: number): number {
  return ((groups[index * 2] ?? 0) << 16) | (groups[index * 2 + 1] ?? 0) | 0;
}

function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

function formatIpv6(groups: Uint16Array): string {
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLength) {
      bestStart = k;
      bestLength = end - k;
    }
    k = end;
  }
  const hex = (from: number, to: number): string => {
    const parts: string[] = [];
    for (let k = from; k < to; k++) parts.push((groups[k] ?? 0).toString(16));
    return parts.join(':');
  };
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

export function parseIpAddress(text: string): ParsedIp | null {
  // A zone id ("%eth0") or CIDR suffix fails the grammar, so no special case is needed.
  const family = parseInto(text, 0, text.length, scratch);
  if (family === NOT_PARSED) return null;
  if (isMapped(scratch)) {
    const value = lowWord(scratch) >>> 0;
    const bytes = new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
    return { family: 4, text: formatIpv4(value), bytes };
  }
  const bytes = new Uint8Array(16);
  for (let k = 0; k < 8; k++) {
    const g = scratch[k] ?? 0;
    bytes[k * 2] = g >>> 8;
    bytes[k * 2 + 1] = g & 0xff;
  }
  return { family: 6, text: formatIpv6(scratch), bytes };
}

/** Canonical forms of recently seen addresses (every request of a connection has the same). */
const canonicalForms = new Map<string, string | null>();
const CANONICAL_FORMS_LIMIT = 4096;

export function canonicalIp(text: string): string | null {
  const known = canonicalForms.get(text);
  if (known !== undefined) return known;
  const canonical = parseIpAddress(text)?.text ?? null;
  if (canonicalForms.size >= CANONICAL_FORMS_LIMIT) canonicalForms.clear();
  canonicalForms.set(text, canonical);
  return canonical;
}

interface CompiledRule {
  readonly family: 4 | 6;
  /** Network words (1 for IPv4, 4 for IPv6), host bits cleared, as int32. */
  readonly network: readonly number[];
  readonly masks: readonly number[];
}

type RuleParse = { readonly ok: true; readonly rule: CompiledRule } | { readonly ok: false; readonly reason: string };

function prefixMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return -1;
  return (-1 << (32 - bits)) | 0;
}

// Characters of addresses plus the wildcard, so "*.example.com" gets the generic reason instead.
const WILDCARD_LIKE = /^[0-9a-fA-F.:*/]+$/;

function invalid(entry: string, reason?: string): RuleParse {
  return {
    ok: false,
    reason: reason === undefined ? `'${entry}' is not a valid IP address or CIDR block` : `'${entry}': ${reason}`,
  };
}

function looksLikeAddress(text: string): boolean {
  const trimmed = text.trim();
  return parseInto(trimmed, 0, trimmed.length, new Uint16Array(8)) !== NOT_PARSED;
}

function parseRule(entry: string): RuleParse {
  if (entry.includes('*') && WILDCARD_LIKE.test(entry)) {
    return invalid(entry, 'wildcards are not supported, use CIDR blocks');
  }
  const dash = entry.indexOf('-');
  if (dash >= 0) {
    return looksLikeAddress(entry.slice(0, dash))
      ? invalid(entry, 'IP ranges are not supported, use CIDR blocks')
      : invalid(entry);
  }
  const slash = entry.indexOf('/');
  const addressEnd = slash < 0 ? entry.length : slash;
  const groups = new Uint16Array(8);
  const family = parseInto(entry, 0, addressEnd, groups);
  if (family === NOT_PARSED) return invalid(entry);
  const maxPrefix = family === TEXT_V4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const prefixText = entry.slice(slash + 1);
    // Plain decimal only: "024" or "+8" would be read differently by different tools.
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) return invalid(entry);
    prefix = Number(prefixText);
    if (prefix > maxPrefix) {
      return invalid(entry, `CIDR prefix must be 0-${maxPrefix} for ${family === TEXT_V4 ? 'IPv4' : 'IPv6'}`);
    }
  }
  // ::ffff:0:0/96 and narrower are IPv4 blocks written as IPv6; turning them into IPv4 rules makes
  // a rule match the same clients whichever way either side is written.
  if (family === TEXT_V4 || (prefix >= 96 && isMapped(groups))) {
    const bits = family === TEXT_V4 ? prefix : prefix - 96;
    const mask = prefixMask(bits);
    return { ok: true, rule: { family: 4, network: [lowWord(groups) & mask], masks: [mask] } };
  }
  const masks = [0, 1, 2, 3].map((k) => prefixMask(prefix - k * 32));
  const network = masks.map((mask, k) => word(groups, k) & mask);
  return { ok: true, rule: { family: 6, network, masks } };
}

export function validateIpRuleEntry(entry: string): string | null {
  const parsed = parseRule(entry);
  return parsed.ok ? null : parsed.reason;
}

export function compileIpRules(entries: readonly string[]): IpMatcher {
  if (entries.length === 0) return { allowsAll: true, matches: () => true };
  const v4: CompiledRule[] = [];
  const v6: CompiledRule[] = [];
  for (const entry of entries) {
    const parsed = parseRule(entry);
    if (!parsed.ok) continue;
    (parsed.rule.family === 4 ? v4 : v6).push(parsed.rule);
  }
  // Flat typed arrays keep the per-request loop to integer compares over contiguous memory.
  const v4Networks = Int32Array.from(v4, (r) => r.network[0] ?? 0);
  const v4Masks = Int32Array.from(v4, (r) => r.masks[0] ?? 0);
  const v6Networks = Int32Array.from(v6.flatMap((r) => r.network));
  const v6Masks = Int32Array.from(v6.flatMap((r) => r.masks));
  const v4Count = v4Networks.length;
  const v6End = v6Networks.length;

  const verdict = (clientIp: string): boolean => {
    if (parseInto(clientIp, 0, clientIp.length, scratch) === NOT_PARSED) return false;
    if (isMapped(scratch)) {
      const address = lowWord(scratch);
      for (let k = 0; k < v4Count; k++) {
        if ((address & (v4Masks[k] ?? 0)) === v4Networks[k]) return true;
      }
      return false;
    }
    const w0 = word(scratch, 0);
    const w1 = word(scratch, 1);
    const w2 = word(scratch, 2);
    const w3 = word(scratch, 3);
    for (let k = 0; k < v6End; k += 4) {
      if (
        (w0 & (v6Masks[k] ?? 0)) === v6Networks[k] &&
        (w1 & (v6Masks[k + 1] ?? 0)) === v6Networks[k + 1] &&
        (w2 & (v6Masks[k + 2] ?? 0)) === v6Networks[k + 2] &&
        (w3 & (v6Masks[k + 3] ?? 0)) === v6Networks[k + 3]
      ) {
        return true;
      }
    }
    return false;
  };
  return {
    // A list whose entries are all invalid allows nobody: the owner meant to restrict.
    allowsAll: false,
    matches: keepLastVerdict(verdict),
  };
}
