import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

/**
 * STREAMGATE_HOOKS_SECRET: with it, every media-server hook answers only a caller that presents
 * it, in the callback URL's query or a header; without it (the default) hooks stay open.
 */
const SECRET = 'hooks-Secret_0123456789';
const refused = { status: 'fail', data: { message: 'Unauthorized: hooks secret required', code: 'UNAUTHORIZED' } };

describe('hooks secret', () => {
  let t: TestApp;
  let acct: TestAccount;
  let publishToken: string;

  before(async () => {
    t = await testApp({ env: { STREAMGATE_HOOKS_SECRET: SECRET } });
    acct = await t.account();
    const pub = await t.call(acct.secret, 'POST', '/api/publish_token', {
      label: 'hooks',
      streams: [{ streamName: 'feed' }],
    });
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    publishToken = pub.body.data.token;
  });
  after(() => t.close());

  const onPublish = (query: string, headers: Record<string, string> = {}, clientid = '1') =>
    t.app.inject({
      method: 'POST',
      url: `/hooks/nginx-rtmp/on_publish${query}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: `app=live&addr=127.0.0.1&clientid=${clientid}&call=publish&name=feed&type=live&token=${publishToken}`,
    });

  it('refuses every hook without the secret, whatever the hook', async () => {
    const nginx = await onPublish('');
    assert.equal(nginx.statusCode, 401);
    assert.deepEqual(nginx.json(), refused);
    const srs = await t.app.inject({ method: 'POST', url: '/hooks/srs', payload: { action: 'on_publish' } });
    assert.equal(srs.statusCode, 401);
    assert.deepEqual(srs.json(), refused);
    const mediamtx = await t.app.inject({
      method: 'POST',
      url: '/hooks/mediamtx/auth',
      payload: { action: 'publish', path: 'feed', query: `token=${publishToken}`, ip: '127.0.0.1' },
    });
    assert.equal(mediamtx.statusCode, 401);
    assert.equal(await t.app.services.live.leases(acct.id, 'feed').then((l) => l.length), 0);
  });

  it("refuses a wrong secret, and one sent only in the form body (where a client's args go)", async () => {
    assert.equal((await onPublish('?hooks_secret=wrong-secret-0123456789')).statusCode, 401);
    assert.equal((await onPublish('', { 'x-streamgate-hooks-secret': `${SECRET}x` })).statusCode, 401);
    const inBody = await t.app.inject({
      method: 'POST',
      url: '/hooks/nginx-rtmp/on_publish',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `app=live&addr=127.0.0.1&clientid=9&call=publish&name=feed&type=live&token=${publishToken}&hooks_secret=${SECRET}`,
    });
    assert.equal(inBody.statusCode, 401);
  });

  it('takes the first value of a repeated query key, so appended args cannot choose it', async () => {
    const r = await onPublish(`?hooks_secret=wrong-secret-0123456789&hooks_secret=${SECRET}`);
    assert.equal(r.statusCode, 401);
  });

  it('answers the hook normally with the secret in the callback URL or the header', async () => {
    const viaQuery = await onPublish(`?hooks_secret=${SECRET}`, {}, '11');
    assert.equal(viaQuery.statusCode, 200, viaQuery.body);
    assert.deepEqual(
      (await t.app.services.live.leases(acct.id, 'feed')).map((l) => l.tokenId).length,
      1,
      'the publish took the lease',
    );
    // A second publisher on the live stream is refused by the decision, not by the secret check.
    const second = await onPublish('', { 'x-streamgate-hooks-secret': SECRET }, '12');
    assert.equal(second.statusCode, 409);
    assert.equal(second.json().data.code, 'STREAM_ALREADY_PUBLISHED');
  });

  it('leaves the API, the Director and the HLS check alone', async () => {
    const list = await t.call(acct.secret, 'GET', '/api/publish_token/list?page=1&itemsOnPage=10');
    assert.equal(list.status, 200);
    const hls = await t.app.inject({
      method: 'GET',
      url: '/hooks/hls/auth',
      headers: { 'x-original-uri': '/hls/feed/index.m3u8' },
    });
    assert.equal(hls.statusCode, 401);
    assert.equal(hls.json().data.message, 'Unauthorized: Invalid token');
  });
});

describe('hooks secret configuration', () => {
  it('is off by default', () => {
    assert.equal(loadConfig({}).hooksSecret, null);
  });
  it('refuses a short or URL-unsafe secret, naming the variable', () => {
    for (const bad of ['short', 'has space in it 1234', 'amp&ersand-0123456789', 'x'.repeat(257)]) {
      assert.throws(
        () => loadConfig({ STREAMGATE_HOOKS_SECRET: bad }),
        (err: unknown) =>
          err instanceof ConfigError && /^STREAMGATE_HOOKS_SECRET must be 16-256 characters/.test(err.message),
      );
    }
    assert.equal(loadConfig({ STREAMGATE_HOOKS_SECRET: SECRET }).hooksSecret, SECRET);
  });
});
