import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  looksLikeJwt,
  MAX_SELF_SIGNED_LENGTH,
  parseSelfSigned,
  type SelfSignedAlg,
  type SelfSignedParse,
  signSelfSigned,
  verifySelfSignedSignature,
} from './self-signed-token.js';

const KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const OTHER_KEY = 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210';
const NOW = 1_700_000_000_000;
const ALGS: readonly SelfSignedAlg[] = ['HS256', 'HS384', 'HS512'];

// --- reference helpers, independent of the code under test ---

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

/** Builds a correctly signed token from arbitrary header and payload, so shape checks are what fails. */
function forge(header: unknown, payload: unknown, key = KEY, hashAlg = 'sha256'): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const sig = createHmac(hashAlg, Buffer.from(key, 'utf8')).update(signingInput).digest('base64url');
  return `${signingInput}.${sig}`;
}

function streaming(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tokenId: 42,
    tokenType: 'Subscribe',
    streamName: 'feed',
    allowedOrigins: [],
    allowedIpAddresses: [],
    tracking: null,
    ...overrides,
  };
}

function payload(streamingOverrides: Record<string, unknown> = {}, top: Record<string, unknown> = {}): unknown {
  return { streaming: streaming(streamingOverrides), iat: 1_700_000_000, exp: 1_700_000_060, ...top };
}

const HS256 = { alg: 'HS256', typ: 'JWT' };

function parsedOk(token: string): Extract<SelfSignedParse, { ok: true }> {
  const parsed = parseSelfSigned(token);
  if (!parsed.ok) assert.fail(`expected parse to succeed, got: ${parsed.reason}`);
  return parsed;
}

function rejected(token: string, reason: RegExp): void {
  const parsed = parseSelfSigned(token);
  assert.equal(parsed.ok, false, `expected rejection matching ${reason}`);
  if (!parsed.ok) assert.match(parsed.reason, reason);
}

function withoutKey(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}

function mint(overrides: Partial<Parameters<typeof signSelfSigned>[0]> = {}): string {
  return signSelfSigned({
    parentTokenId: 42,
    parentTokenValue: KEY,
    streamName: 'feed',
    expiresInSeconds: 60,
    now: NOW,
    ...overrides,
  });
}

describe('looksLikeJwt', () => {
  it('is false for a 64-hex token value and true for a minted token', () => {
    assert.equal(looksLikeJwt(KEY), false);
    assert.equal(looksLikeJwt(mint()), true);
  });

  it('requires exactly three base64url segments', () => {
    assert.equal(looksLikeJwt('abc.def'), false);
    assert.equal(looksLikeJwt('a.b.c.d'), false);
    assert.equal(looksLikeJwt('.b.c'), false);
    assert.equal(looksLikeJwt('a.b=.c'), false);
    assert.equal(looksLikeJwt('a.b+/.c'), false);
    assert.equal(looksLikeJwt(''), false);
    // An unsigned token still takes the JWT path so that it is refused with a precise reason.
    assert.equal(looksLikeJwt('a.b.'), true);
  });
});

describe('signSelfSigned / parseSelfSigned / verifySelfSignedSignature', () => {
  for (const alg of ALGS) {
    it(`round-trips with ${alg}`, () => {
      const token = mint({
        alg,
        allowedOrigins: ['https://example.com'],
        allowedIpAddresses: ['10.0.0.0/8'],
        trackingId: 'trk-1',
        customViewerData: 'viewer-7',
      });
      const parsed = parsedOk(token);
      assert.deepEqual(parsed.header, { alg });
      assert.deepEqual(parsed.claims, {
        tokenId: 42,
        streamName: 'feed',
        allowedOrigins: ['https://example.com'],
        allowedIpAddresses: ['10.0.0.0/8'],
        trackingId: 'trk-1',
        customViewerData: 'viewer-7',
        exp: 1_700_000_060,
        iat: 1_700_000_000,
      });
      assert.equal(parsed.signingInput, token.slice(0, token.lastIndexOf('.')));
      assert.equal(parsed.signature.length, { HS256: 32, HS384: 48, HS512: 64 }[alg]);
      assert.equal(verifySelfSignedSignature(parsed, KEY), true);
      assert.equal(verifySelfSignedSignature(parsed, OTHER_KEY), false);
    });
  }

  it('matches a hand-written vector and an independently computed HMAC', () => {
    const header = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';
    // {"streaming":{"tokenId":42,"tokenType":"Subscribe","streamName":"feed","allowedOrigins":[],
    //  "allowedIpAddresses":[],"tracking":null},"iat":1700000000,"exp":1700000060}
    const body =
      'eyJzdHJlYW1pbmciOnsidG9rZW5JZCI6NDIsInRva2VuVHlwZSI6IlN1YnNjcmliZSIsInN0cmVhbU5hbWUiOiJmZWVkIiwiYWxsb3dlZE9yaWdpbnMiOltdLCJhbGxvd2VkSXBBZGRyZXNzZXMiOltdLCJ0cmFja2luZyI6bnVsbH0sImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwMDYwfQ';
    const expectedSig = createHmac('sha256', KEY).update(`${header}.${body}`).digest('base64url');
    assert.equal(mint(), `${header}.${body}.${expectedSig}`);

    const parsed = parsedOk(`${header}.${body}.${expectedSig}`);
    assert.equal(verifySelfSignedSignature(parsed, KEY), true);
    assert.equal(parsed.claims.tokenId, 42);
    assert.equal(parsed.claims.trackingId, null);
    assert.equal(parsed.claims.customViewerData, null);
  });

  it('does not check expiry: that is the caller’s clock', () => {
    const parsed = parsedOk(mint({ now: 0, expiresInSeconds: 1 }));
    assert.equal(parsed.claims.exp, 1);
    assert.equal(verifySelfSignedSignature(parsed, KEY), true);
  });

  it('fails verification with a wrong key, including malformed keys', () => {
    const parsed = parsedOk(mint());
    assert.equal(verifySelfSignedSignature(parsed, OTHER_KEY), false);
    assert.equal(verifySelfSignedSignature(parsed, KEY.toUpperCase()), false);
    assert.equal(verifySelfSignedSignature(parsed, ''), false);
  });

  it('does not let an empty key verify even a token signed with it', () => {
    const parsed = parsedOk(forge(HS256, payload(), ''));
    assert.equal(verifySelfSignedSignature(parsed, ''), false);
  });

  it('fails verification when the payload is tampered with', () => {
    const [h, , s] = mint().split('.') as [string, string, string];
    const parsed = parsedOk(`${h}.${b64url(payload({ streamName: 'other' }))}.${s}`);
    assert.equal(verifySelfSignedSignature(parsed, KEY), false);
  });

  it('fails verification when the header is tampered with', () => {
    const [, p, s] = mint().split('.') as [string, string, string];
    const parsed = parsedOk(`${b64url({ alg: 'HS256' })}.${p}.${s}`);
    assert.equal(verifySelfSignedSignature(parsed, KEY), false);
    // Switching to another HMAC alg changes the expected signature length: refused at parse.
    rejected(`${b64url({ alg: 'HS512', typ: 'JWT' })}.${p}.${s}`, /signature must be 64 bytes for HS512/);
  });

  it('fails verification when the signature is tampered with', () => {
    const token = mint();
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[0] = (sig[0] ?? 0) ^ 1;
    const parsed = parsedOk(`${h}.${p}.${sig.toString('base64url')}`);
    assert.equal(verifySelfSignedSignature(parsed, KEY), false);
  });

  it('refuses to mint what the server would refuse', () => {
    assert.throws(() => mint({ streamName: '' }), /streamName/);
    assert.throws(() => mint({ streamName: 'x'.repeat(129) }), /streamName/);
    assert.throws(() => mint({ parentTokenId: 1.5 }), /tokenId/);
    assert.throws(() => mint({ parentTokenValue: 'short' }), /parentTokenValue/);
    assert.throws(() => mint({ expiresInSeconds: Number.NaN }), /expiresInSeconds/);
  });
});

describe('parseSelfSigned: header', () => {
  it('refuses alg none, with or without a signature', () => {
    const p = b64url(payload());
    rejected(`${b64url({ alg: 'none', typ: 'JWT' })}.${p}.`, /alg 'none' is not allowed/);
    rejected(forge({ alg: 'none' }, payload()), /alg 'none' is not allowed/);
    rejected(forge({ alg: 'None' }, payload()), /alg 'None' is not allowed/);
  });

  it('refuses asymmetric and unknown algs, and a lower-case spelling', () => {
    for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA', 'hs256', 'HS1', '']) {
      rejected(forge({ alg, typ: 'JWT' }, payload()), new RegExp(`alg '${alg}' is not allowed`));
    }
  });

  it('requires alg to be a present string', () => {
    rejected(forge({ typ: 'JWT' }, payload()), /^alg is required$/);
    rejected(forge({ alg: 256 }, payload()), /^alg must be a string$/);
    rejected(forge({ alg: ['HS256'] }, payload()), /^alg must be a string$/);
  });

  it('refuses an HS256 token with an empty or wrong-length signature', () => {
    const [h, p] = mint().split('.') as [string, string];
    rejected(`${h}.${p}.`, /^signature is empty$/);
    rejected(`${h}.${p}.${Buffer.alloc(31).toString('base64url')}`, /signature must be 32 bytes for HS256/);
  });

  it('accepts typ JWT (any case) or none, refuses any other typ', () => {
    parsedOk(forge({ alg: 'HS256' }, payload()));
    parsedOk(forge({ alg: 'HS256', typ: 'jwt' }, payload()));
    rejected(forge({ alg: 'HS256', typ: 'JWS' }, payload()), /typ must be 'JWT'/);
    rejected(forge({ alg: 'HS256', typ: 'at+jwt' }, payload()), /typ must be 'JWT'/);
    rejected(forge({ alg: 'HS256', typ: null }, payload()), /typ must be 'JWT'/);
  });

  it('refuses critical header extensions', () => {
    rejected(forge({ alg: 'HS256', crit: ['b64'], b64: false }, payload()), /crit/);
  });

  it('refuses a header that is not a JSON object', () => {
    rejected(forge(['HS256'], payload()), /^header must be a JSON object$/);
    rejected(forge('null', payload()), /^header must be a JSON object$/);
    rejected(forge('{"alg":"HS256"', payload()), /^header is not valid JSON$/);
  });
});

describe('parseSelfSigned: encoding and size', () => {
  it('needs exactly three segments', () => {
    rejected('a.b', /three dot-separated segments/);
    rejected(`${mint()}.x`, /three dot-separated segments/);
    rejected(KEY, /three dot-separated segments/);
  });

  it('decodes base64url strictly', () => {
    const [h, p, s] = mint().split('.') as [string, string, string];
    const padded = Buffer.from(JSON.stringify({ ...HS256, x: 12 })).toString('base64');
    assert.ok(padded.endsWith('='), 'fixture must need padding');
    rejected(`${padded}.${p}.${s}`, /^header is not valid unpadded base64url$/);
    rejected(`${h}.${p}.${s}=`, /^signature is not valid unpadded base64url$/);
    rejected(`${h}.${p.replace(/^./, '+')}.${s}`, /^payload is not valid unpadded base64url$/);
    rejected(`${h}.${p} .${s}`, /^payload is not valid unpadded base64url$/);
    // A length of 4n+1 characters can never be base64url, whatever the characters.
    const extra = 'A'.repeat((((1 - p.length) % 4) + 4) % 4 || 4);
    rejected(`${h}.${p}${extra}.${s}`, /^payload is not valid unpadded base64url$/);
  });

  it('refuses non-canonical base64url (stray trailing bits)', () => {
    // Buffer's decoder would ignore the spare low bits of the last character and accept both spellings.
    const token = forge(HS256, payload());
    const [h, p, s] = token.split('.') as [string, string, string];
    assert.equal(s.length % 4, 3, 'HS256 signature ends with 2 unused bits');
    const last = s.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? 'A';
    rejected(`${h}.${p}.${s.slice(0, -1)}${sibling}`, /^signature is not valid unpadded base64url$/);
  });

  it('refuses a payload that is not UTF-8, not JSON, or not an object', () => {
    const h = b64url(HS256);
    const sign = (p: string): string =>
      `${h}.${p}.${createHmac('sha256', KEY).update(`${h}.${p}`).digest('base64url')}`;
    rejected(sign(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')), /^payload is not valid UTF-8$/);
    rejected(sign(b64url('{"streaming":')), /^payload is not valid JSON$/);
    rejected(sign(b64url('[1,2]')), /^payload must be a JSON object$/);
    rejected(sign(b64url('"text"')), /^payload must be a JSON object$/);
  });

  it(`rejects credentials over ${MAX_SELF_SIGNED_LENGTH} characters`, () => {
    const big = forge(HS256, payload({ customViewerData: 'x'.repeat(MAX_SELF_SIGNED_LENGTH) }));
    assert.ok(big.length > MAX_SELF_SIGNED_LENGTH);
    rejected(big, /longer than 8192/);
    rejected('a'.repeat(1_000_000), /longer than 8192/);
    const fits = forge(HS256, payload({ customViewerData: 'x'.repeat(5_000) }));
    assert.ok(fits.length <= MAX_SELF_SIGNED_LENGTH);
    parsedOk(fits);
  });
});

describe('parseSelfSigned: claims', () => {
  it('requires exp as a number, iat optional', () => {
    rejected(forge(HS256, withoutKey(payload() as Record<string, unknown>, 'exp')), /^exp is required$/);
    rejected(forge(HS256, payload({}, { exp: null })), /^exp is required$/);
    rejected(forge(HS256, payload({}, { exp: '1700000060' })), /^exp must be a number$/);
    assert.equal(parsedOk(forge(HS256, payload({}, { iat: undefined }))).claims.iat, null);
    rejected(forge(HS256, payload({}, { iat: 'now' })), /^iat must be a number$/);
  });

  it('never reads claims through the prototype chain', () => {
    const p = withoutKey(payload() as Record<string, unknown>, 'exp');
    const text = JSON.stringify(p).replace(/^\{/, '{"__proto__":{"exp":1},');
    rejected(forge(HS256, text), /^exp is required$/);
  });

  it('requires a streaming object', () => {
    rejected(forge(HS256, { exp: 1 }), /^streaming is required$/);
    rejected(forge(HS256, { streaming: [], exp: 1 }), /^streaming must be an object$/);
    rejected(forge(HS256, { streaming: 'x', exp: 1 }), /^streaming must be an object$/);
  });

  it('requires an integer tokenId', () => {
    rejected(forge(HS256, payload({ tokenId: undefined })), /^streaming.tokenId is required$/);
    for (const tokenId of [1.5, '42', null, 2 ** 53, true]) {
      rejected(forge(HS256, payload({ tokenId })), /^streaming.tokenId must be an integer$/);
    }
  });

  it('accepts tokenType Subscribe in any case or absent, refuses others', () => {
    parsedOk(forge(HS256, payload({ tokenType: 'subscribe' })));
    parsedOk(forge(HS256, payload({ tokenType: 'SUBSCRIBE' })));
    parsedOk(forge(HS256, payload({ tokenType: undefined })));
    rejected(forge(HS256, payload({ tokenType: 'Publish' })), /tokenType must be 'Subscribe'/);
    rejected(forge(HS256, payload({ tokenType: 1 })), /tokenType must be 'Subscribe'/);
  });

  it('requires a 1-128 character concrete stream name', () => {
    rejected(forge(HS256, payload({ streamName: undefined })), /^streaming.streamName is required$/);
    rejected(forge(HS256, payload({ streamName: 7 })), /^streaming.streamName must be a string$/);
    rejected(forge(HS256, payload({ streamName: '' })), /^streaming.streamName must be 1-128 characters$/);
    rejected(forge(HS256, payload({ streamName: 'x'.repeat(129) })), /^streaming.streamName must be 1-128 characters$/);
    assert.equal(parsedOk(forge(HS256, payload({ streamName: 'x'.repeat(128) }))).claims.streamName.length, 128);
    // Length counts code points, as the API's own stream names do.
    parsedOk(forge(HS256, payload({ streamName: '🎥'.repeat(128) })));
    rejected(forge(HS256, payload({ streamName: 'a\nb' })), /control characters/);
    rejected(forge(HS256, '{"streaming":{"tokenId":1,"streamName":"a\\ud800"},"exp":1}'), /well-formed Unicode/);
  });

  it('takes the two lists as arrays of strings, absent or null meaning none', () => {
    const claims = parsedOk(
      forge(HS256, payload({ allowedOrigins: undefined, allowedIpAddresses: null, tracking: undefined })),
    ).claims;
    assert.deepEqual(claims.allowedOrigins, []);
    assert.deepEqual(claims.allowedIpAddresses, []);
    for (const key of ['allowedOrigins', 'allowedIpAddresses']) {
      for (const bad of ['https://a.example', { 0: 'x' }, [1], ['ok', null], 3]) {
        rejected(forge(HS256, payload({ [key]: bad })), new RegExp(`^streaming.${key} must be an array of strings$`));
      }
    }
  });

  it('accepts the tracking forms: absent, null or {trackingId}', () => {
    assert.equal(parsedOk(forge(HS256, payload({ tracking: undefined }))).claims.trackingId, null);
    assert.equal(parsedOk(forge(HS256, payload({ tracking: null }))).claims.trackingId, null);
    assert.equal(parsedOk(forge(HS256, payload({ tracking: { trackingId: 'trk' } }))).claims.trackingId, 'trk');
    assert.equal(parsedOk(mint({ trackingId: 'trk' })).claims.trackingId, 'trk');
    assert.equal(parsedOk(mint({ trackingId: null })).claims.trackingId, null);
    rejected(forge(HS256, payload({ tracking: 'trk' })), /^streaming.tracking must be an object or null$/);
    rejected(forge(HS256, payload({ tracking: ['trk'] })), /^streaming.tracking must be an object or null$/);
    for (const tracking of [{}, { trackingId: 5 }, { trackingId: '' }, { trackingId: null }]) {
      rejected(forge(HS256, payload({ tracking })), /^streaming.tracking.trackingId must be a non-empty string$/);
    }
  });

  it('keeps customViewerData as a string, stringifying other JSON values', () => {
    const viewer = (customViewerData: unknown): string | null =>
      parsedOk(forge(HS256, payload({ customViewerData }))).claims.customViewerData;
    assert.equal(viewer(undefined), null);
    assert.equal(viewer(null), null);
    assert.equal(viewer('plain'), 'plain');
    assert.equal(viewer(''), '');
    assert.equal(viewer({ a: [1, 'b'] }), '{"a":[1,"b"]}');
    assert.equal(viewer(7), '7');
    assert.equal(viewer(false), 'false');
  });

  it('stays total on deeply nested JSON that fits the size limit', () => {
    const depth = 3_000;
    const text = `{"streaming":{"tokenId":1,"streamName":"a","customViewerData":${'['.repeat(depth)}${']'.repeat(depth)}},"exp":1}`;
    const token = forge({ alg: 'HS256' }, text);
    assert.ok(token.length <= MAX_SELF_SIGNED_LENGTH);
    assert.doesNotThrow(() => parseSelfSigned(token));
  });
});

describe('tamper property', () => {
  const BASE64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  it('any single-character change in the payload or signature segment fails parse or verification', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGS),
        fc
          .string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' })
          .filter((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)),
        fc.boolean(),
        fc.nat(),
        fc.oneof(fc.constantFrom(...BASE64URL_CHARS), fc.constantFrom('.', '=', '+', '/', ' ', 'é')),
        (alg, streamName, inSignature, position, replacement) => {
          const token = mint({ alg, streamName, customViewerData: 'v' });
          const [h, p, s] = token.split('.') as [string, string, string];
          const segment = inSignature ? s : p;
          const index = position % segment.length;
          fc.pre(segment[index] !== replacement);
          const changed = segment.slice(0, index) + replacement + segment.slice(index + 1);
          const tampered = inSignature ? `${h}.${p}.${changed}` : `${h}.${changed}.${s}`;
          const parsed = parseSelfSigned(tampered);
          return !parsed.ok || !verifySelfSignedSignature(parsed, KEY);
        },
      ),
      { numRuns: 500 },
    );
  });
});
