import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

const UNAUTHORIZED = { status: 'fail', data: { message: 'Unauthorized', code: 'UNAUTHORIZED' } };

describe('tokens: security', () => {
  let t: TestApp;
  let a: TestAccount;
  let b: TestAccount;
  let aPub: number;
  let aSub: number;
  before(async () => {
    t = await testApp();
    a = await t.account('a');
    b = await t.account('b');
    aPub = (await t.call(a.secret, 'POST', '/api/publish_token', { label: 'a-feed', streams: [{ streamName: 'f' }] }))
      .body.data.id;
    aSub = (await t.call(a.secret, 'POST', '/api/subscribe_token', { label: 'a-view', streams: [{ streamName: 'f' }] }))
      .body.data.id;
  });
  after(() => t.close());

  it('missing, malformed and wrong API secrets are 401 with the Unauthorized envelope', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer' },
      { authorization: `Basic ${a.secret}` },
      { authorization: 'Bearer 0000000000000000000000000000000000000000000000000000000000000000' },
      { authorization: `Bearer ${a.secret}x` },
    ]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/publish_token/${aPub}`, headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.deepEqual(res.json(), UNAUTHORIZED);
    }
  });

  it('authentication comes before validation: no schema detail leaks to strangers', async () => {
    const res = await t.call(null, 'POST', '/api/publish_token', { nonsense: true });
    assert.deepEqual([res.status, res.body], [401, UNAUTHORIZED]);
  });

  it("account B gets 404 for every read/update/delete of A's tokens", async () => {
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/publish_token/${aPub}`],
      ['PUT', `/api/publish_token/${aPub}`, { label: 'stolen' }],
      ['PUT', `/api/v2/publish_token/${aPub}`, { refreshToken: true }],
      ['DELETE', `/api/publish_token/${aPub}`],
      ['GET', `/api/subscribe_token/${aSub}`],
      ['PUT', `/api/subscribe_token/${aSub}`, { isActive: false }],
      ['PUT', `/api/v2/subscribe_token/${aSub}`, { label: 'stolen' }],
      ['DELETE', `/api/subscribe_token/${aSub}`],
    ];
    for (const [method, url, body] of attempts) {
      const res = await t.call(b.secret, method as 'GET', url, body);
      assert.equal(res.status, 404, `${method} ${url}`);
      assert.match(res.body.data.message, /^No (publish|subscribe) token with id: \d+$/);
    }
    const disable = await t.call(b.secret, 'PATCH', '/api/publish_token/disable', { tokenIds: [aPub] });
    assert.deepEqual(disable.body.data.successfulTokens, []);
    // A's tokens are untouched
    const pub = await t.call(a.secret, 'GET', `/api/publish_token/${aPub}`);
    assert.deepEqual([pub.body.data.label, pub.body.data.isActive], ['a-feed', true]);
    const sub = await t.call(a.secret, 'GET', `/api/subscribe_token/${aSub}`);
    assert.deepEqual([sub.body.data.label, sub.body.data.isActive], ['a-view', true]);
  });

  it("A's tokens never appear in B's lists", async () => {
    await t.call(b.secret, 'POST', '/api/publish_token', { label: 'b-feed', streams: [{ streamName: 'f' }] });
    for (const url of [
      '/api/publish_token/list?page=1&itemsOnPage=100',
      '/api/subscribe_token/list?page=1&itemsOnPage=100',
      '/api/publish_token/list_by_name?name=f&page=1&itemsOnPage=100',
      '/api/publish_token/list_by_name?name=a-feed&filterBy=TokenName&page=1&itemsOnPage=100',
    ]) {
      const res = await t.call(b.secret, 'GET', url);
      assert.equal(res.status, 200);
      for (const tok of res.body.data) assert.notEqual(tok.label.slice(0, 2), 'a-', url);
    }
    const bList = await t.call(b.secret, 'GET', '/api/publish_token/list?page=1&itemsOnPage=100');
    assert.deepEqual(
      bList.body.data.map((x: any) => x.label),
      ['b-feed'],
    );
  });

  it('error answers never echo the secret', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/publish_token/1',
      headers: { authorization: 'Bearer not-a-secret-value-xyz' },
    });
    assert.equal(res.body.includes('not-a-secret-value-xyz'), false);
  });
});
