import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import type { Store } from '../store/store.js';
import type { SigningKeyRecord } from './model.js';

/**
 * The server's own JWT key: ES256 (P-256). Media servers (MediaMTX `authMethod: jwt`, nginx
 * auth_request) verify director tokens against the JWKS. ES256 rather than RS256 because an
 * RSA-2048 signature costs about a millisecond, and one is made per authorization.
 */
export const JWT_ALG = 'ES256';

const b64url = (buf: Buffer) => buf.toString('base64url');
const b64json = (value: unknown) => b64url(Buffer.from(JSON.stringify(value), 'utf8'));

export interface Jwks {
  keys: Record<string, unknown>[];
}

export class JwtSigner {
  readonly kid: string;
  readonly #privateKey: KeyObject;
  readonly #publicKeys: Map<string, KeyObject>;
  readonly #jwks: Jwks;
  readonly #headerSegment: string;

  constructor(current: SigningKeyRecord, all: readonly SigningKeyRecord[]) {
    this.kid = current.kid;
    this.#privateKey = createPrivateKey(current.privateKeyPem);
    this.#publicKeys = new Map(all.map((k) => [k.kid, createPublicKey({ key: k.publicJwk as never, format: 'jwk' })]));
    this.#jwks = { keys: all.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
    this.#headerSegment = b64json({ alg: JWT_ALG, typ: 'JWT', kid: this.kid });
  }

  /** Signs claims as a compact JWS. */
  sign(claims: Record<string, unknown>): string {
    const input = `${this.#headerSegment}.${b64json(claims)}`;
    const sig = sign('sha256', Buffer.from(input), { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  }

  /** Claims of a token this server signed and that has not expired, else null. */
  verify(token: string, nowMs: number): Record<string, unknown> | null {
    if (token.length > 8192) return null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [h, p, s] = parts as [string, string, string];
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      if (header.alg !== JWT_ALG) return null;
      const key = this.#publicKeys.get(String(header.kid));
      if (!key) return null;
      const ok = verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'),
      );
      if (!ok) return null;
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
      if (typeof claims !== 'object' || claims === null) return null;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return null;
      return claims;
    } catch {
      return null;
    }
  }

  jwks(): Jwks {
    return this.#jwks;
  }
}

function newKey(): SigningKeyRecord {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return {
    kid: randomBytes(8).toString('hex'),
    alg: JWT_ALG,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    createdOn: Date.now(),
  };
}

/**
 * Loads the server's signing key, creating it on first start. Every node of a cluster ends up
 * with the same current key (the oldest) whichever started first.
 */
export async function loadSigner(store: Store): Promise<JwtSigner> {
  let keys = await store.signingKeys();
  if (keys.length === 0) {
    await store.addSigningKey(newKey());
    keys = await store.signingKeys();
  }
  return new JwtSigner(keys[0] as SigningKeyRecord, keys);
}
