import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signSelfSigned } from '../src/domain/self-signed-token.js';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

interface Call {
  token?: string | null;
  ip?: string;
  origin?: string;
  headers?: Record<string, string>;
}

describe('Director API', () => {
  let t: TestApp;
  let acct: TestAccount;
  let clock = Date.parse('2026-03-01T12:00:00.000Z');

  const mk = async (kind: 'publish' | 'subscribe', body: Record<string, unknown>) => {
    const res = await t.call(acct.secret, 'POST', `/api/${kind}_token`, { label: 'x', ...body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as { id: number; token: string };
  };
  const director = async (role: 'publish' | 'subscribe', body: Record<string, unknown>, c: Call = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...c.headers };
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    if (c.origin) headers.origin = c.origin;
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/director/${role}`,
      headers,
      payload: JSON.stringify(body),
      remoteAddress: c.ip ?? '127.0.0.1',
    });
    return { status: res.statusCode, body: res.json() };
  };
  const denied = (res: { status: number; body: any }, status: number, code: string, message: string) => {
    assert.deepEqual([res.status, res.body], [status, { status: 'fail', data: { message, code } }]);
  };
  /** The `streaming` claim of a director jwt this server signed (the test fails if it did not). */
  const streamingOf = (jwt: string): any => {
    const claims = t.app.services.signer.verify(jwt, clock);
    assert.ok(claims, 'jwt does not verify');
    return claims.streaming;
  };
  const goLive = (streamName: string, tokenId: number, holderId = `h-${streamName}`) =>
    t.app.services.live.acquire({
      accountId: acct.id,
      streamName,
      holderId,
      tokenId,
      sourceId: null,
      multisource: true,
    });

  before(async () => {
    t = await testApp({ now: () => clock });
    acct = await t.account();
  });
  after(() => t.close());

  describe('publish', () => {
    it('answers urls, a verifiable jwt, streamAccountId and subscribeRequiresAuth', async () => {
      const tok = await mk('publish', { streams: [{ streamName: 'feed1' }], subscribeRequiresAuth: true });
      const res = await director('publish', { streamName: 'feed1', streamType: 'Rtmp' }, { token: tok.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const d = res.body.data;
      assert.deepEqual(d.urls, ['rtmp://localhost:1935/live/feed1']);
      assert.equal(d.streamAccountId, acct.streamAccountId);
      assert.equal(d.subscribeRequiresAuth, true);
      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
      assert.equal(jwks.keys.length, 1);
      assert.deepEqual([jwks.keys[0].kty, jwks.keys[0].crv, jwks.keys[0].alg], ['EC', 'P-256', 'ES256']);
      const [h, p, s] = d.jwt.split('.');
      const header = JSON.parse(Buffer.from(h, 'base64url').toString());
      assert.deepEqual(header, { alg: 'ES256', typ: 'JWT', kid: jwks.keys[0].kid });
      const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
      assert.ok(
        verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')),
      );
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      assert.equal(claims.exp - claims.iat, 60);
      assert.equal(claims.sub, `${acct.streamAccountId}/feed1`);
      assert.deepEqual(claims.streaming, {
        role: 'publish',
        streamAccountId: acct.streamAccountId,
        streamName: 'feed1',
        streamId: `${acct.streamAccountId}/feed1`,
        tokenId: tok.id,
        clientIp: '127.0.0.1',
      });
      assert.deepEqual(claims.mediamtx_permissions, [{ action: 'publish', path: 'feed1' }]);
    });

    it('every denial has its exact message and code', async () => {
      const tok = await mk('publish', { streams: [{ streamName: 'cam-[0-9]+', isRegex: true }], expires: 60 });
      denied(await director('publish', { streamName: 'cam-1' }), 401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
      denied(
        await director('publish', { streamName: 'cam-1' }, { token: 'f'.repeat(64) }),
        401,
        'INVALID_TOKEN',
        'Unauthorized: Invalid token',
      );
      denied(
        await director('publish', { streamName: 'cam-x' }, { token: tok.token }),
        401,
        'STREAM_NAME_NOT_ALLOWED',
        'StreamName is not valid for token',
      );
      // whole-name match: a prefix is not enough
      denied(
        await director('publish', { streamName: 'cam-12x' }, { token: tok.token }),
        401,
        'STREAM_NAME_NOT_ALLOWED',
        'StreamName is not valid for token',
      );
      assert.equal((await director('publish', { streamName: 'cam-12' }, { token: tok.token })).status, 200);
      clock += 61_000;
      denied(
        await director('publish', { streamName: 'cam-12' }, { token: tok.token }),
        401,
        'TOKEN_EXPIRED',
        'Unauthorized: Token expired',
      );
    });

    it('origins: wildcard subdomains at any depth, not the apex; missing Origin refused', async () => {
      const tok = await mk('publish', {
        streams: [{ streamName: 'o' }],
        allowedOrigins: ['*.example.com', 'site.org'],
      });
      for (const origin of ['https://a.example.com', 'http://x.y.EXAMPLE.com:8443', 'https://site.org']) {
        assert.equal(
          (await director('publish', { streamName: 'o' }, { token: tok.token, origin })).status,
          200,
          origin,
        );
      }
      for (const origin of ['https://example.com', 'https://evilexample.com', 'https://a.site.org', undefined]) {
        denied(
          await director('publish', { streamName: 'o' }, { token: tok.token, origin }),
          401,
          'ORIGIN_NOT_ALLOWED',
          'Unauthorized: Origin not allowed',
        );
      }
    });

    it('IPs: IPv4, CIDR, IPv6 and IPv4-mapped clients', async () => {
      const tok = await mk('publish', {
        streams: [{ streamName: 'ip' }],
        allowedIpAddresses: ['10.0.0.0/8', '2001:db8::/32', '198.51.100.7'],
      });
      for (const ip of ['10.1.2.3', '::ffff:10.9.9.9', '2001:db8::1', '198.51.100.7']) {
        assert.equal((await director('publish', { streamName: 'ip' }, { token: tok.token, ip })).status, 200, ip);
      }
      for (const ip of ['11.0.0.1', '198.51.100.8', '2001:db9::1', '::ffff:11.0.0.1']) {
        denied(
          await director('publish', { streamName: 'ip' }, { token: tok.token, ip }),
          401,
          'IP_NOT_ALLOWED',
          'Unauthorized: IP Address not allowed',
        );
      }
    });

    it('a second publisher on a live stream gets 409; multisource with distinct sourceIds may share', async () => {
      const tok = await mk('publish', { streams: [{ streamName: 'busy' }] });
      await goLive('busy', tok.id);
      denied(
        await director('publish', { streamName: 'busy' }, { token: tok.token }),
        409,
        'STREAM_ALREADY_PUBLISHED',
        'Stream is already being published',
      );
      const multi = await mk('publish', { streams: [{ streamName: 'multi' }] });
      await t.app.services.live.acquire({
        accountId: acct.id,
        streamName: 'multi',
        holderId: 'cam-a',
        tokenId: multi.id,
        sourceId: 'a',
        multisource: true,
      });
      assert.equal(
        (await director('publish', { streamName: 'multi', sourceId: 'b' }, { token: multi.token })).status,
        200,
      );
      assert.equal(
        (await director('publish', { streamName: 'multi', sourceId: 'a' }, { token: multi.token })).status,
        409,
      );
      assert.equal((await director('publish', { streamName: 'multi' }, { token: multi.token })).status, 409);
    });

    it('bad bodies are 400 naming the field', async () => {
      const res = await director('publish', { streamName: '' }, { token: 'x' });
      assert.equal(res.status, 400);
      assert.ok(res.body.data.errors.streamName);
      const unknown = await director('publish', { streamName: 'a', foo: 1 }, { token: 'x' });
      assert.deepEqual(unknown.body.data.errors, { foo: ['is not a known field'] });
    });
  });

  describe('revocation is immediate', () => {
    it('refresh, isActive=false, disable and delete refuse the old value on the very next request', async () => {
      const tok = await mk('publish', { streams: [{ streamName: 'rv' }] });
      const ok = () => director('publish', { streamName: 'rv' }, { token: tok.token });
      assert.equal((await ok()).status, 200);
      const refreshed = await t.call(acct.secret, 'PUT', `/api/v2/publish_token/${tok.id}`, { refreshToken: true });
      denied(await ok(), 401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
      const fresh = refreshed.body.data.token;
      const again = () => director('publish', { streamName: 'rv' }, { token: fresh });
      assert.equal((await again()).status, 200);
      await t.call(acct.secret, 'PUT', `/api/publish_token/${tok.id}`, { isActive: false });
      denied(await again(), 401, 'TOKEN_DISABLED', 'Unauthorized: Token disabled');
      await t.call(acct.secret, 'PUT', `/api/publish_token/${tok.id}`, { isActive: true });
      assert.equal((await again()).status, 200);
      await t.call(acct.secret, 'PATCH', '/api/publish_token/disable', { tokenIds: [tok.id] });
      denied(await again(), 401, 'TOKEN_DISABLED', 'Unauthorized: Token disabled');
      await t.call(acct.secret, 'DELETE', `/api/publish_token/${tok.id}`);
      denied(await again(), 401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
    });

    it('rule changes apply at once (cached matchers are keyed by version)', async () => {
      const tok = await mk('subscribe', { streams: [{ streamName: 'rc' }] });
      const sub = () => director('subscribe', { streamName: 'rc' }, { token: tok.token, ip: '192.0.2.1' });
      assert.equal((await sub()).status, 200);
      await t.call(acct.secret, 'PUT', `/api/subscribe_token/${tok.id}`, { updateAllowedIpAddresses: ['10.0.0.0/8'] });
      denied(await sub(), 401, 'IP_NOT_ALLOWED', 'Unauthorized: IP Address not allowed');
      await t.call(acct.secret, 'PUT', `/api/v2/subscribe_token/${tok.id}`, {
        removeTokenStreams: ['rc'],
        addTokenStreams: [{ streamName: 'other' }],
      });
      denied(
        await director('subscribe', { streamName: 'rc' }, { token: tok.token, ip: '10.0.0.1' }),
        401,
        'STREAM_NAME_NOT_ALLOWED',
        'StreamName is not valid for token',
      );
    });
  });

  describe('subscribe', () => {
    it('a tokenless viewer of a stream that is not live: 404 Stream not found', async () => {
      denied(
        await director('subscribe', { streamAccountId: acct.streamAccountId, streamName: 'nothing' }),
        404,
        'STREAM_NOT_FOUND',
        'Stream not found',
      );
      denied(await director('subscribe', { streamName: 'nothing' }), 404, 'STREAM_NOT_FOUND', 'Stream not found');
      denied(
        await director('subscribe', { streamAccountId: 'nope00', streamName: 'x' }),
        404,
        'STREAM_NOT_FOUND',
        'Stream not found',
      );
    });

    it('tokenless viewers are admitted to a live stream unless its publisher requires auth', async () => {
      const open = await mk('publish', { streams: [{ streamName: 'open' }] });
      await goLive('open', open.id);
      const res = await director('subscribe', { streamAccountId: acct.streamAccountId, streamName: 'open' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data.urls, ['http://localhost:8080/hls/open/index.m3u8']);
      assert.equal(res.body.data.streamAccountId, acct.streamAccountId);
      const streaming = streamingOf(res.body.data.jwt);
      assert.equal(streaming.role, 'subscribe');
      assert.equal(streaming.tokenId, null);

      const closed = await mk('publish', { streams: [{ streamName: 'closed' }], subscribeRequiresAuth: true });
      await goLive('closed', closed.id);
      denied(
        await director('subscribe', { streamAccountId: acct.streamAccountId, streamName: 'closed' }),
        401,
        'SUBSCRIBE_TOKEN_REQUIRED',
        'Unauthorized: subscribe token required',
      );
      const viewer = await mk('subscribe', { streams: [{ streamName: 'closed' }] });
      assert.equal((await director('subscribe', { streamName: 'closed' }, { token: viewer.token })).status, 200);
    });

    it('a subscribe token holder is admitted before the stream is live (may wait)', async () => {
      const viewer = await mk('subscribe', { streams: [{ streamName: 'later' }], tracking: { trackingId: 'tr' } });
      const res = await director(
        'subscribe',
        { streamAccountId: acct.streamAccountId, streamName: 'later' },
        { token: viewer.token },
      );
      assert.equal(res.status, 200);
      const streaming = streamingOf(res.body.data.jwt);
      assert.deepEqual([streaming.tokenId, streaming.trackingId], [viewer.id, 'tr']);
      // a token of this account does not open another account's streams
      denied(
        await director('subscribe', { streamAccountId: 'ZZZZZZ', streamName: 'later' }, { token: viewer.token }),
        401,
        'STREAM_NAME_NOT_ALLOWED',
        'StreamName is not valid for token',
      );
      // a publish token is not a subscribe token
      const pub = await mk('publish', { streams: [{ streamName: 'later' }] });
      denied(
        await director('subscribe', { streamName: 'later' }, { token: pub.token }),
        401,
        'INVALID_TOKEN',
        'Unauthorized: Invalid token',
      );
    });

    describe('self-signed subscribe tokens', () => {
      let parent: { id: number; token: string };
      const sign = (over: Partial<Parameters<typeof signSelfSigned>[0]> = {}) =>
        signSelfSigned({
          parentTokenId: parent.id,
          parentTokenValue: parent.token,
          streamName: 'ss-1',
          expiresInSeconds: 300,
          now: clock,
          ...over,
        });
      before(async () => {
        parent = await mk('subscribe', {
          streams: [{ streamName: 'ss-[0-9]+', isRegex: true }],
          allowedIpAddresses: ['10.0.0.0/8'],
          tracking: { trackingId: 'parent-tr' },
        });
      });
      const sub = (jwt: string, streamName = 'ss-1', c: Call = {}) =>
        director('subscribe', { streamName }, { token: jwt, ip: '10.1.1.1', ...c });

      it('is accepted for a concrete name its parent matches, carrying customViewerData', async () => {
        const res = await sub(sign({ customViewerData: 'seat 12' }));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const streaming = streamingOf(res.body.data.jwt);
        assert.deepEqual(
          [streaming.tokenId, streaming.trackingId, streaming.customViewerData],
          [parent.id, 'parent-tr', 'seat 12'],
        );
      });

      it('its own lists add restrictions to the parent', async () => {
        const jwt = sign({ allowedIpAddresses: ['10.1.0.0/16'], allowedOrigins: ['*.tv.example'] });
        assert.equal((await sub(jwt, 'ss-1', { origin: 'https://a.tv.example' })).status, 200);
        denied(
          await sub(jwt, 'ss-1', { origin: 'https://a.tv.example', ip: '10.2.0.1' }),
          401,
          'IP_NOT_ALLOWED',
          'Unauthorized: IP Address not allowed',
        );
        denied(
          await sub(jwt, 'ss-1', { origin: 'https://other.example' }),
          401,
          'ORIGIN_NOT_ALLOWED',
          'Unauthorized: Origin not allowed',
        );
        // the parent's list still applies
        denied(
          await sub(sign(), 'ss-1', { ip: '192.0.2.1' }),
          401,
          'IP_NOT_ALLOWED',
          'Unauthorized: IP Address not allowed',
        );
      });

      it('names one concrete stream, matched by the parent', async () => {
        denied(await sub(sign(), 'ss-2'), 401, 'STREAM_NAME_NOT_ALLOWED', 'StreamName is not valid for token');
        denied(
          await sub(sign({ streamName: 'other' }), 'other'),
          401,
          'STREAM_NAME_NOT_ALLOWED',
          'StreamName is not valid for token',
        );
      });

      it('expires, refuses a foreign tracking id and a wrong key', async () => {
        denied(
          await sub(sign({ expiresInSeconds: 1, now: clock - 5000 })),
          401,
          'TOKEN_EXPIRED',
          'Unauthorized: Token expired',
        );
        denied(await sub(sign({ trackingId: 'someone-else' })), 401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
        denied(
          await sub(sign({ parentTokenValue: 'a'.repeat(64) })),
          401,
          'INVALID_TOKEN',
          'Unauthorized: Invalid token',
        );
      });

      it('dies with its parent: disabled, refreshed, deleted', async () => {
        const jwt = sign();
        assert.equal((await sub(jwt)).status, 200);
        await t.call(acct.secret, 'PUT', `/api/subscribe_token/${parent.id}`, { isActive: false });
        denied(await sub(jwt), 401, 'TOKEN_DISABLED', 'Unauthorized: Token disabled');
        await t.call(acct.secret, 'PUT', `/api/subscribe_token/${parent.id}`, { isActive: true });
        assert.equal((await sub(jwt)).status, 200);
        const refreshed = await t.call(acct.secret, 'PUT', `/api/subscribe_token/${parent.id}`, { refreshToken: true });
        denied(await sub(jwt), 401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
        parent = { id: parent.id, token: refreshed.body.data.token };
        assert.equal((await sub(sign())).status, 200);
        await t.call(acct.secret, 'DELETE', `/api/subscribe_token/${parent.id}`);
        denied(await sub(sign()), 401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
      });
    });
  });

  describe('bindIpsOnUsage', () => {
    it('N concurrent first uses from N+k IPs bind exactly N; then only those are allowed', async () => {
      const tok = await mk('subscribe', { streams: [{ streamName: 'bind' }], bindIpsOnUsage: 3 });
      const ips = Array.from({ length: 12 }, (_, i) => `203.0.113.${i + 1}`);
      const results = await Promise.all(
        ips.map((ip) => director('subscribe', { streamName: 'bind' }, { token: tok.token, ip })),
      );
      const winners = ips.filter((_, i) => results[i]?.status === 200);
      assert.equal(winners.length, 3);
      for (const r of results.filter((x) => x.status !== 200)) {
        denied(r, 401, 'IP_NOT_ALLOWED', 'Unauthorized: IP Address not allowed');
      }
      const stored = await t.call(acct.secret, 'GET', `/api/subscribe_token/${tok.id}`);
      assert.deepEqual([...stored.body.data.allowedIpAddresses].sort(), [...winners].sort());
      for (const ip of winners) {
        assert.equal((await director('subscribe', { streamName: 'bind' }, { token: tok.token, ip })).status, 200);
      }
      // a refused publisher or viewer does not take a slot: reset and bind a mapped address as IPv4
      await t.call(acct.secret, 'PUT', `/api/subscribe_token/${tok.id}`, {
        bindIpsOnUsage: 1,
        updateAllowedIpAddresses: [],
      });
      denied(
        await director('subscribe', { streamName: 'not-mine' }, { token: tok.token, ip: '198.51.100.1' }),
        401,
        'STREAM_NAME_NOT_ALLOWED',
        'StreamName is not valid for token',
      );
      assert.equal(
        (await director('subscribe', { streamName: 'bind' }, { token: tok.token, ip: '::ffff:198.51.100.2' })).status,
        200,
      );
      const after = await t.call(acct.secret, 'GET', `/api/subscribe_token/${tok.id}`);
      assert.deepEqual(after.body.data.allowedIpAddresses, ['198.51.100.2']);
      assert.equal(
        (await director('subscribe', { streamName: 'bind' }, { token: tok.token, ip: '198.51.100.2' })).status,
        200,
      );
    });
  });

  describe('live registry and active endpoints', () => {
    it('exactly one of many concurrent publishers takes a stream', async () => {
      const tok = await mk('publish', { streams: [{ streamName: 'race' }] });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.app.services.live.acquire({
            accountId: acct.id,
            streamName: 'race',
            holderId: `client-${i}`,
            tokenId: tok.id,
            sourceId: null,
            multisource: false,
          }),
        ),
      );
      assert.equal(results.filter((r) => r.acquired).length, 1);
      assert.equal(results.filter((r) => r.acquired && r.started).length, 1);
    });

    it('active reports live publish tokens; leases expire by themselves and announce the end', async () => {
      const tok = await mk('publish', { streams: [{ streamName: 'act' }] });
      const events: string[] = [];
      t.app.services.live.on('stream', (e) => events.push(`${e.type}:${e.streamName}`));
      await goLive('act', tok.id, 'holder-act');
      const active = await t.call(acct.secret, 'GET', `/api/publish_token/active?streamId=${acct.streamAccountId}/act`);
      assert.deepEqual(active.body, { status: 'success', data: { tokenIds: [tok.id] } });
      const all = await t.call(acct.secret, 'GET', '/api/publish_token/active/all');
      assert.ok(all.body.data.tokenIds.includes(tok.id));
      // another account sees nothing, and a malformed streamId is a 400
      const other = await t.account('other');
      const theirs = await t.call(
        other.secret,
        'GET',
        `/api/publish_token/active?streamId=${acct.streamAccountId}/act`,
      );
      assert.deepEqual(theirs.body.data, { tokenIds: [] });
      const bad = await t.call(acct.secret, 'GET', '/api/publish_token/active?streamId=noslash');
      assert.equal(bad.status, 400);
      assert.ok(bad.body.data.errors.streamId);
      // renewal keeps it, silence ends it
      clock += 30_000;
      assert.equal(await t.app.services.live.renew(acct.id, 'act', 'holder-act'), true);
      clock += 59_000;
      await t.app.services.live.sweep();
      assert.equal((await t.app.services.live.leases(acct.id, 'act')).length, 1);
      clock += 2_000;
      await t.app.services.live.sweep();
      assert.equal((await t.app.services.live.leases(acct.id, 'act')).length, 0);
      assert.deepEqual(
        events.filter((e) => e.endsWith(':act')),
        ['started:act', 'ended:act'],
      );
      const none = await t.call(acct.secret, 'GET', `/api/publish_token/active?streamId=${acct.streamAccountId}/act`);
      assert.deepEqual(none.body.data, { tokenIds: [] });
    });
  });
});

describe('client IP behind proxies', () => {
  it('X-Forwarded-For counts only from a trusted proxy', async () => {
    const t = await testApp({ env: { STREAMGATE_TRUSTED_PROXIES: '10.255.0.0/16' } });
    try {
      const acct = await t.account();
      const tok = (
        await t.call(acct.secret, 'POST', '/api/publish_token', {
          label: 'p',
          streams: [{ streamName: 'x' }],
          allowedIpAddresses: ['198.51.100.10'],
        })
      ).body.data;
      const ask = (remoteAddress: string, xff: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/director/publish',
          headers: { authorization: `Bearer ${tok.token}`, 'content-type': 'application/json', 'x-forwarded-for': xff },
          payload: '{"streamName":"x"}',
          remoteAddress,
        });
      assert.equal((await ask('10.255.0.1', '198.51.100.10')).statusCode, 200);
      // a spoofed header from an untrusted peer changes nothing
      assert.equal((await ask('203.0.113.9', '198.51.100.10')).statusCode, 401);
      assert.equal((await ask('10.255.0.1', '198.51.100.10, 203.0.113.9')).statusCode, 401);
    } finally {
      await t.close();
    }
  });
});
