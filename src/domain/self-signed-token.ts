/**
 * Self-signed subscribe tokens: HS256/HS384/HS512 JWTs that a customer mints with a parent
 * subscribe token's value as the HMAC key.
 *
 * Checking is split in two because the key is only known once the parent has been looked up
 * through the payload's tokenId: `parseSelfSigned` decodes and checks shape without trusting
 * anything, then `verifySelfSignedSignature` checks the HMAC. Expiry, the parent's state, its
 * stream rules, origin/IP lists and tracking id are the caller's business, so this module stays
 * pure and clock-free.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_STREAM_NAME_LENGTH } from './stream-rule.js';

export type SelfSignedAlg = 'HS256' | 'HS384' | 'HS512';

export interface SelfSignedClaims {
  readonly tokenId: number;
  readonly streamName: string;
  readonly allowedOrigins: readonly string[];
  readonly allowedIpAddresses: readonly string[];
  readonly trackingId: string | null;
  readonly customViewerData: string | null;
  /** seconds since the epoch */
  readonly exp: number;
  /** seconds since the epoch */
  readonly iat: number | null;
}

export type SelfSignedParse =
  | {
      ok: true;
      header: { alg: SelfSignedAlg };
      claims: SelfSignedClaims;
      signingInput: string;
      signature: Buffer;
    }
  | { ok: false; reason: string };

/** Credentials are parsed before any key is known, so their size is capped before any decoding work. */
export const MAX_SELF_SIGNED_LENGTH = 8 * 1024;

const HASH_OF: Readonly<Record<SelfSignedAlg, { hash: string; bytes: number }>> = {
  HS256: { hash: 'sha256', bytes: 32 },
  HS384: { hash: 'sha384', bytes: 48 },
  HS512: { hash: 'sha512', bytes: 64 },
};

// The signature segment may be empty here so that an unsigned token still takes the JWT path
// and gets a precise refusal instead of being looked up as a token value.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const TOKEN_VALUE = /^[0-9a-f]{64}$/;

// Same rules as stream-rule.ts applies to names in the API, so a self-signed token cannot name
// a stream that the API would refuse to store.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** Cheap syntactic test: three base64url segments separated by dots (a 64-hex token value never is). */
export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential);
}

type Json = Record<string, unknown>;

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/**
 * Buffer.from(..., 'base64url') silently skips invalid characters and ignores stray bits, which
 * would let several spellings of one segment exist; only the canonical, unpadded form is accepted.
 */
function decodeSegment(segment: string): Buffer | null {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return null;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : null;
}

function decodeJsonObject(segment: string, what: string): Json | string {
  const bytes = decodeSegment(segment);
  if (bytes === null) return `${what} is not valid unpadded base64url`;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return `${what} is not valid UTF-8`;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${what} is not valid JSON`;
  }
  if (!isObject(value)) return `${what} must be a JSON object`;
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a key like "constructor" must never be picked up from Object.prototype. */
function get(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Optional fields accept null as absent: both mean "no value" in what customers' JSON libraries emit. */
function absent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

function checkHeader(header: Json): { alg: SelfSignedAlg } | string {
  const alg = get(header, 'alg');
  if (alg === undefined) return 'alg is required';
  if (typeof alg !== 'string') return 'alg must be a string';
  // Exact match: "hs256" or "none" variants must not slip through a case-insensitive lookup.
  if (alg !== 'HS256' && alg !== 'HS384' && alg !== 'HS512') {
    return `alg '${alg.slice(0, 32)}' is not allowed (HS256, HS384 or HS512)`;
  }
  const typ = get(header, 'typ');
  // Media types compare case-insensitively (RFC 7515 section 4.1.9).
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) {
    return `typ must be 'JWT' when present`;
  }
  // RFC 7515 section 4.1.11: extensions marked critical that we do not implement (e.g. b64=false)
  // must make the token invalid, and we implement none.
  if (get(header, 'crit') !== undefined) return 'crit header parameters are not supported';
  return { alg };
}

function stringList(streaming: Json, key: string): readonly string[] | string {
  const value = get(streaming, key);
  if (absent(value)) return [];
  if (!Array.isArray(value)) return `streaming.${key} must be an array of strings`;
  for (const item of value) {
    if (typeof item !== 'string') return `streaming.${key} must be an array of strings`;
  }
  return value as string[];
}

function checkPayload(payload: Json): SelfSignedClaims | string {
  const streaming = get(payload, 'streaming');
  if (streaming === undefined) return 'streaming is required';
  if (!isObject(streaming)) return 'streaming must be an object';

  const tokenId = get(streaming, 'tokenId');
  if (tokenId === undefined) return 'streaming.tokenId is required';
  if (typeof tokenId !== 'number' || !Number.isSafeInteger(tokenId)) return 'streaming.tokenId must be an integer';

  const tokenType = get(streaming, 'tokenType');
  if (!absent(tokenType) && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'subscribe')) {
    return `streaming.tokenType must be 'Subscribe'`;
  }

  const streamName = get(streaming, 'streamName');
  if (streamName === undefined) return 'streaming.streamName is required';
  if (typeof streamName !== 'string') return 'streaming.streamName must be a string';
  const length = codePointLength(streamName);
  if (length < 1 || length > MAX_STREAM_NAME_LENGTH) {
    return `streaming.streamName must be 1-${MAX_STREAM_NAME_LENGTH} characters`;
  }
  if (CONTROL_CHARACTER.test(streamName)) return 'streaming.streamName must not contain control characters';
  // JSON escapes can produce a lone surrogate, which has no UTF-8 form for the media server.
  if (LONE_SURROGATE.test(streamName)) return 'streaming.streamName must be well-formed Unicode';

  const allowedOrigins = stringList(streaming, 'allowedOrigins');
  if (typeof allowedOrigins === 'string') return allowedOrigins;
  const allowedIpAddresses = stringList(streaming, 'allowedIpAddresses');
  if (typeof allowedIpAddresses === 'string') return allowedIpAddresses;

  const tracking = get(streaming, 'tracking');
  let trackingId: string | null = null;
  if (!absent(tracking)) {
    if (!isObject(tracking)) return 'streaming.tracking must be an object or null';
    const id = get(tracking, 'trackingId');
    if (typeof id !== 'string' || id.length === 0) return 'streaming.tracking.trackingId must be a non-empty string';
    trackingId = id;
  }

  const viewerData = get(streaming, 'customViewerData');
  let customViewerData: string | null = null;
  if (!absent(viewerData)) {
    try {
      customViewerData = typeof viewerData === 'string' ? viewerData : JSON.stringify(viewerData);
    } catch {
      // Deeply nested values that JSON.parse accepted can still overflow the stack of the recursive
      // JSON.stringify when called from deep in a request handler; parsing must stay total.
      return 'streaming.customViewerData is too deeply nested';
    }
  }

  const exp = get(payload, 'exp');
  if (absent(exp)) return 'exp is required';
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'exp must be a number';

  const iat = get(payload, 'iat');
  if (!absent(iat) && (typeof iat !== 'number' || !Number.isFinite(iat))) return 'iat must be a number';

  return {
    tokenId,
    streamName,
    allowedOrigins,
    allowedIpAddresses,
    trackingId,
    customViewerData,
    exp,
    iat: absent(iat) ? null : iat,
  };
}

/**
 * Decodes and checks shape only (no signature): alg allowed, payload.streaming object with integer tokenId,
 * tokenType "Subscribe" (case-insensitive; absent is accepted), string streamName 1-128 chars, arrays of strings
 * for the two lists (absent = []), tracking null/absent/{trackingId: string}, customViewerData string or absent
 * (non-strings are JSON.stringified), numeric exp required, iat optional. Size guard: reject credentials over 8 KiB.
 */
export function parseSelfSigned(credential: string): SelfSignedParse {
  if (credential.length > MAX_SELF_SIGNED_LENGTH)
    return fail(`token is longer than ${MAX_SELF_SIGNED_LENGTH} characters`);
  const parts = credential.split('.');
  if (parts.length !== 3) return fail('token must have three dot-separated segments');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJsonObject(headerPart, 'header');
  if (typeof header === 'string') return fail(header);
  const checked = checkHeader(header);
  if (typeof checked === 'string') return fail(checked);
  const { alg } = checked;
  const { bytes } = HASH_OF[alg];

  if (signaturePart.length === 0) return fail('signature is empty');
  const signature = decodeSegment(signaturePart);
  if (signature === null) return fail('signature is not valid unpadded base64url');
  if (signature.length !== bytes) return fail(`signature must be ${bytes} bytes for ${alg}`);

  const payload = decodeJsonObject(payloadPart, 'payload');
  if (typeof payload === 'string') return fail(payload);
  const claims = checkPayload(payload);
  if (typeof claims === 'string') return fail(claims);

  return {
    ok: true,
    header: { alg },
    claims,
    signingInput: `${headerPart}.${payloadPart}`,
    signature,
  };
}

function hmac(alg: SelfSignedAlg, key: string, signingInput: string): Buffer {
  return createHmac(HASH_OF[alg].hash, Buffer.from(key, 'utf8')).update(signingInput, 'utf8').digest();
}

/** HMAC check in constant time with the parent token value as key. */
export function verifySelfSignedSignature(
  parsed: Extract<SelfSignedParse, { ok: true }>,
  parentTokenValue: string,
): boolean {
  // A malformed key (above all an empty one) would make the HMAC forgeable by anyone.
  if (!TOKEN_VALUE.test(parentTokenValue)) return false;
  const expected = hmac(parsed.header.alg, parentTokenValue, parsed.signingInput);
  // timingSafeEqual throws on a length mismatch; parse already guarantees the length, this keeps it total.
  if (parsed.signature.length !== expected.length) return false;
  return timingSafeEqual(parsed.signature, expected);
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Test/CLI helper: mints a self-signed token (used by `streamgate sign` and tests). */
export function signSelfSigned(input: {
  parentTokenId: number;
  parentTokenValue: string;
  streamName: string;
  expiresInSeconds: number;
  allowedOrigins?: string[];
  allowedIpAddresses?: string[];
  trackingId?: string | null;
  customViewerData?: string;
  alg?: SelfSignedAlg;
  /** epoch milliseconds */
  now?: number;
}): string {
  const alg = input.alg ?? 'HS256';
  if (!Object.hasOwn(HASH_OF, alg)) throw new RangeError(`alg '${alg}' is not supported`);
  if (!TOKEN_VALUE.test(input.parentTokenValue)) {
    throw new RangeError('parentTokenValue must be 64 lowercase hex characters');
  }
  if (!Number.isFinite(input.expiresInSeconds)) throw new RangeError('expiresInSeconds must be a finite number');
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const streaming: Json = {
    tokenId: input.parentTokenId,
    tokenType: 'Subscribe',
    streamName: input.streamName,
    allowedOrigins: input.allowedOrigins ?? [],
    allowedIpAddresses: input.allowedIpAddresses ?? [],
    tracking: input.trackingId ? { trackingId: input.trackingId } : null,
  };
  if (input.customViewerData !== undefined) streaming.customViewerData = input.customViewerData;
  const signingInput = `${encodeJson({ alg, typ: 'JWT' })}.${encodeJson({
    streaming,
    iat,
    exp: iat + Math.floor(input.expiresInSeconds),
  })}`;
  const token = `${signingInput}.${hmac(alg, input.parentTokenValue, signingInput).toString('base64url')}`;
  // Refuse to hand out a token that the server would then reject (bad tokenId, stream name, ...).
  const check = parseSelfSigned(token);
  if (!check.ok) throw new RangeError(check.reason);
  return token;
}
