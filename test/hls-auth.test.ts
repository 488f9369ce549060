import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { JwtSigner } from '../src/domain/signer.js';
import { hlsStreamOf } from '../src/http/routes/hls-auth.js';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

describe('GET /hooks/hls/auth (nginx auth_request for HLS)', () => {
  let t: TestApp;
  let acct: TestAccount;
  let clock = Date.parse('2026-03-01T12:00:00.000Z');
  let feedJwt: string;
  let otherJwt: string;

  const director = async (role: 'publish' | 'subscribe', token: string, streamName: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/director/${role}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ streamName, streamAccountId: acct.streamAccountId }),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data.jwt as string;
  };
  const auth = async (headers: Record<string, string>) => {
    const res = await t.app.inject({ method: 'GET', url: '/hooks/hls/auth', headers });
    return { status: res.statusCode, body: res.body === '' ? null : res.json(), cache: res.headers['cache-control'] };
  };
  const refusedWith = (
    res: { status: number; body: unknown; cache: unknown },
    status: number,
    code: string,
    message: string,
  ) => assert.deepEqual(res, { status, body: { status: 'fail', data: { message, code } }, cache: 'no-store' });

  before(async () => {
    t = await testApp({ now: () => clock });
    acct = await t.account();
    const sub = await t.call(acct.secret, 'POST', '/api/subscribe_token', {
      label: 'viewers',
      streams: [
        { streamName: 'feed1', isRegex: false },
        { streamName: 'other', isRegex: false },
      ],
    });
    assert.equal(sub.status, 200, JSON.stringify(sub.body));
    feedJwt = await director('subscribe', sub.body.data.token, 'feed1');
    otherJwt = await director('subscribe', sub.body.data.token, 'other');
  });
  after(() => t.close());

  it('allows the playlist and the segments of the jwt stream, jwt in the Authorization header', async () => {
    for (const uri of ['/hls/feed1/index.m3u8', '/hls/feed1/12.ts', '/deep/prefix/hls/feed1/index.m3u8?_HLS_msn=3']) {
      const res = await auth({ 'x-original-uri': uri, authorization: `Bearer ${feedJwt}` });
      assert.deepEqual(res, { status: 204, body: null, cache: 'no-store' }, uri);
    }
  });

  it('allows the jwt as a token= query parameter of the original URI (native HLS players)', async () => {
    const res = await auth({ 'x-original-uri': `/hls/feed1/index.m3u8?token=${feedJwt}` });
    assert.equal(res.status, 204);
  });

  it('allows a publisher jwt for its own stream', async () => {
    const pub = await t.call(acct.secret, 'POST', '/api/publish_token', {
      label: 'cam',
      streams: [{ streamName: 'feed1', isRegex: false }],
    });
    const jwt = await director('publish', pub.body.data.token, 'feed1');
    assert.equal((await auth({ 'x-original-uri': '/hls/feed1/3.ts', authorization: `Bearer ${jwt}` })).status, 204);
  });

  it('refuses with 401 when no jwt travels', async () => {
    refusedWith(
      await auth({ 'x-original-uri': '/hls/feed1/index.m3u8' }),
      401,
      'INVALID_TOKEN',
      'Unauthorized: Invalid token',
    );
    refusedWith(
      await auth({ 'x-original-uri': '/hls/feed1/index.m3u8', authorization: 'Basic Zm9vOmJhcg==' }),
      401,
      'INVALID_TOKEN',
      'Unauthorized: Invalid token',
    );
  });

  it('refuses a jwt of another stream with 403', async () => {
    refusedWith(
      await auth({ 'x-original-uri': '/hls/feed1/index.m3u8', authorization: `Bearer ${otherJwt}` }),
      403,
      'STREAM_NAME_NOT_ALLOWED',
      'StreamName is not valid for token',
    );
    refusedWith(
      await auth({ 'x-original-uri': `/hls/other/0.ts?token=${feedJwt}` }),
      403,
      'STREAM_NAME_NOT_ALLOWED',
      'StreamName is not valid for token',
    );
  });

  it('refuses a forged jwt (another key under the server kid, or a tampered payload) with 401', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const kid = t.app.services.signer.kid;
    const forger = new JwtSigner(
      {
        kid,
        alg: 'ES256',
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
        createdOn: clock,
      },
      [],
    );
    const claims = JSON.parse(Buffer.from(feedJwt.split('.')[1] as string, 'base64url').toString('utf8'));
    const forged = forger.sign(claims);
    refusedWith(
      await auth({ 'x-original-uri': '/hls/feed1/index.m3u8', authorization: `Bearer ${forged}` }),
      401,
      'INVALID_TOKEN',
      'Unauthorized: Invalid token',
    );
    // The other stream's genuine signature over a payload edited to name feed1.
    const [h, p, s] = otherJwt.split('.') as [string, string, string];
    const edited = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    edited.streaming.streamName = 'feed1';
    const tampered = `${h}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${s}`;
    refusedWith(
      await auth({ 'x-original-uri': '/hls/feed1/index.m3u8', authorization: `Bearer ${tampered}` }),
      401,
      'INVALID_TOKEN',
      'Unauthorized: Invalid token',
    );
    refusedWith(
      await auth({ 'x-original-uri': '/hls/feed1/index.m3u8', authorization: 'Bearer not.a.jwt' }),
      401,
      'INVALID_TOKEN',
      'Unauthorized: Invalid token',
    );
  });

  it('refuses an expired jwt with 401 Token expired (allowed up to its last second)', async () => {
    const saved = clock;
    try {
      clock = saved + 59_000;
      assert.equal(
        (await auth({ 'x-original-uri': '/hls/feed1/1.ts', authorization: `Bearer ${feedJwt}` })).status,
        204,
      );
      clock = saved + 60_000; // default STREAMGATE_JWT_TTL 60 s
      refusedWith(
        await auth({ 'x-original-uri': '/hls/feed1/1.ts', authorization: `Bearer ${feedJwt}` }),
        401,
        'TOKEN_EXPIRED',
        'Unauthorized: Token expired',
      );
    } finally {
      clock = saved;
    }
  });

  it('checks X-Streamgate-Account when the nginx location sets it', async () => {
    const headers = { 'x-original-uri': '/hls/feed1/index.m3u8', authorization: `Bearer ${feedJwt}` };
    assert.equal((await auth({ ...headers, 'x-streamgate-account': acct.streamAccountId })).status, 204);
    refusedWith(
      await auth({ ...headers, 'x-streamgate-account': 'zzzzzz' }),
      403,
      'STREAM_NAME_NOT_ALLOWED',
      'StreamName is not valid for token',
    );
  });

  it('refuses paths that name no stream, or that a normaliser could read another way, with 403', async () => {
    for (const uri of [
      '/index.m3u8',
      '/hls/feed1/',
      '/hls/feed1/secret.txt',
      '/hls/x/../feed1/index.m3u8',
      '/hls/other%2F..%2Ffeed1/index.m3u8',
      '/hls//feed1/index.m3u8',
      '/hls/%E0%A4%A/index.m3u8',
      'hls/feed1/index.m3u8',
    ]) {
      refusedWith(
        await auth({ 'x-original-uri': uri, authorization: `Bearer ${feedJwt}` }),
        403,
        'NOT_AN_HLS_PATH',
        'Not an HLS path of a stream: <prefix>/<streamName>/<file>',
      );
    }
  });

  it('answers 400 when nginx does not send X-Original-URI (a configuration mistake)', async () => {
    const res = await auth({ authorization: `Bearer ${feedJwt}` });
    assert.equal(res.status, 400);
    assert.equal(res.body.data.code, 'MISSING_ORIGINAL_URI');
  });

  it('is listed in the OpenAPI document with the other media server hooks', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.deepEqual(doc.paths['/hooks/hls/auth'].get.tags, ['Media server hooks']);
  });

  it('reads the stream folder from a path, decoding percent-escapes', () => {
    assert.deepEqual(hlsStreamOf('/hls/my%20feed/index.m3u8?token=abc'), { streamName: 'my feed', token: 'abc' });
    assert.deepEqual(hlsStreamOf('/a/feed/7.ts'), { streamName: 'feed', token: null });
    assert.equal(hlsStreamOf('/feed.m3u8'), null);
  });
});
