import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** A token value: 64 lowercase hex characters (32 random bytes), as SPEC section 1 fixes. */
export function newTokenValue(): string {
  return randomBytes(32).toString('hex');
}

/** An API secret value: also 32 random bytes in hex, so it can be typed into a Bearer header as is. */
export function newApiSecretValue(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Secrets are 256-bit random values, so a plain SHA-256 is a sufficient one-way hash: there is
 * nothing for a slow password hash to protect against, and lookups stay index-fast.
 */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of the same length. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A public account id: 6 random base62 characters. */
export function newStreamAccountId(): string {
  let out = '';
  for (let i = 0; i < 6; i++) out += BASE62[randomInt(62)];
  return out;
}
