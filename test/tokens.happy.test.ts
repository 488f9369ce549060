import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

const HEX64 = /^[0-9a-f]{64}$/;

describe('publish and subscribe tokens: happy paths', () => {
  let t: TestApp;
  let acct: TestAccount;
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  before(async () => {
    t = await testApp({ now: () => clock });
    acct = await t.account();
  });
  after(() => t.close());

  it('creates a publish token with defaults and reads it back', async () => {
    const created = await t.call(acct.secret, 'POST', '/api/publish_token', {
      label: 'MyLiveFeed',
      streams: [{ streamName: 'feed1' }],
    });
    assert.equal(created.status, 200);
    assert.equal(created.body.status, 'success');
    const tok = created.body.data;
    assert.match(tok.token, HEX64);
    assert.equal(typeof tok.id, 'number');
    assert.deepEqual(
      { ...tok, id: 0, token: '', addedOn: '' },
      {
        id: 0,
        label: 'MyLiveFeed',
        token: '',
        addedOn: '',
        expiresOn: null,
        isActive: true,
        streams: [{ streamName: 'feed1', isRegex: false }],
        allowedOrigins: [],
        allowedIpAddresses: [],
        bindIpsOnUsage: 0,
        subscribeRequiresAuth: false,
        record: false,
        multisource: true,
      },
    );
    assert.ok(!Number.isNaN(Date.parse(tok.addedOn)));
    const read = await t.call(acct.secret, 'GET', `/api/publish_token/${tok.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, { status: 'success', data: tok });
  });

  it('creates a subscribe token with every field and expires -> expiresOn', async () => {
    const res = await t.call(acct.secret, 'POST', '/api/subscribe_token', {
      label: 'viewer',
      streams: [{ streamName: 'feed1' }, { streamName: 'cam[0-9]+', isRegex: true }],
      expires: 3600,
      allowedOrigins: ['mydomain.com', '*.millicast.com'],
      allowedIpAddresses: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'],
      tracking: { trackingId: 'campaign-7' },
    });
    assert.equal(res.status, 200);
    const d = res.body.data;
    assert.equal(d.expiresOn, '2026-01-01T01:00:00.000Z');
    assert.deepEqual(d.streams, [
      { streamName: 'feed1', isRegex: false },
      { streamName: 'cam[0-9]+', isRegex: true },
    ]);
    assert.deepEqual(d.allowedOrigins, ['mydomain.com', '*.millicast.com']);
    assert.deepEqual(d.allowedIpAddresses, ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1']);
    assert.deepEqual(d.tracking, { trackingId: 'campaign-7' });
    assert.equal('subscribeRequiresAuth' in d, false);
  });

  it('publish-only flags are stored', async () => {
    const res = await t.call(acct.secret, 'POST', '/api/publish_token', {
      label: 'flags',
      streams: [{ streamName: 'a' }],
      subscribeRequiresAuth: true,
      record: true,
      multisource: false,
      bindIpsOnUsage: 2,
    });
    assert.equal(res.status, 200);
    const d = res.body.data;
    assert.deepEqual([d.subscribeRequiresAuth, d.record, d.multisource, d.bindIpsOnUsage], [true, true, false, 2]);
  });

  it('accepts null for optional fields as "not given"', async () => {
    const res = await t.call(acct.secret, 'POST', '/api/publish_token', {
      label: 'nulls',
      streams: [{ streamName: 'n', isRegex: null }],
      expires: null,
      allowedOrigins: null,
      subscribeRequiresAuth: null,
    });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.data.expiresOn, res.body.data.allowedOrigins], [null, []]);
    assert.equal(res.body.data.subscribeRequiresAuth, false);
  });

  describe('updates', () => {
    let id: number;
    let value: string;
    before(async () => {
      const res = await t.call(acct.secret, 'POST', '/api/publish_token', {
        label: 'upd',
        streams: [{ streamName: 'one' }, { streamName: 'two' }],
      });
      id = res.body.data.id;
      value = res.body.data.token;
    });

    it('v1 with the seeds unprefixed names', async () => {
      const res = await t.call(acct.secret, 'PUT', `/api/publish_token/${id}`, {
        subscribeRequiresAuth: true,
        allowedOrigins: ['millicast.com', '*.millicast.com'],
        bindIpsOnUsage: 1,
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.subscribeRequiresAuth, true);
      assert.deepEqual(res.body.data.allowedOrigins, ['millicast.com', '*.millicast.com']);
      assert.equal(res.body.data.bindIpsOnUsage, 1);
    });

    it('v1 with updateX names', async () => {
      const res = await t.call(acct.secret, 'PUT', `/api/publish_token/${id}`, {
        updateAllowedOrigins: [],
        updateAllowedIpAddresses: [],
        updateBindIpsOnUsage: 0,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(
        [res.body.data.allowedOrigins, res.body.data.allowedIpAddresses, res.body.data.bindIpsOnUsage],
        [[], [], 0],
      );
      const res2 = await t.call(acct.secret, 'PUT', `/api/publish_token/${id}`, {
        updateAllowedIpAddresses: ['203.0.113.0/24'],
      });
      assert.deepEqual(res2.body.data.allowedIpAddresses, ['203.0.113.0/24']);
    });

    it('v2 label, streams add/remove, isActive, record, multisource', async () => {
      const res = await t.call(acct.secret, 'PUT', `/api/v2/publish_token/${id}`, {
        label: 'renamed',
        addTokenStreams: [{ streamName: 'three' }, { streamName: 'room-[a-z]+', isRegex: true }],
        removeTokenStreams: ['one'],
        isActive: false,
        record: true,
        multisource: false,
      });
      assert.equal(res.status, 200);
      const d = res.body.data;
      assert.equal(d.label, 'renamed');
      assert.deepEqual(d.streams, [
        { streamName: 'two', isRegex: false },
        { streamName: 'three', isRegex: false },
        { streamName: 'room-[a-z]+', isRegex: true },
      ]);
      assert.deepEqual([d.isActive, d.record, d.multisource], [false, true, false]);
      assert.equal(d.token, value, 'value unchanged without refreshToken');
    });

    it('refreshToken gives a new value', async () => {
      const res = await t.call(acct.secret, 'PUT', `/api/v2/publish_token/${id}`, { refreshToken: true });
      assert.equal(res.status, 200);
      assert.match(res.body.data.token, HEX64);
      assert.notEqual(res.body.data.token, value);
      const read = await t.call(acct.secret, 'GET', `/api/publish_token/${id}`);
      assert.equal(read.body.data.token, res.body.data.token);
    });

    it('subscribe token tracking update', async () => {
      const created = await t.call(acct.secret, 'POST', '/api/subscribe_token', {
        label: 's',
        streams: [{ streamName: 'x' }],
      });
      assert.equal(created.body.data.tracking, null);
      const res = await t.call(acct.secret, 'PUT', `/api/subscribe_token/${created.body.data.id}`, {
        tracking: { trackingId: 'tid' },
      });
      assert.deepEqual(res.body.data.tracking, { trackingId: 'tid' });
    });
  });

  describe('lists', () => {
    let lister: TestAccount;
    const ids: Record<string, number> = {};
    before(async () => {
      lister = await t.account('lister');
      for (const [label, stream, regex] of [
        ['Charlie', 'stage-main', false],
        ['alpha', 'lobby', false],
        ['Bravo', 'stage-.*', true],
        ['delta', 'backstage', false],
      ] as const) {
        clock += 1000;
        const res = await t.call(lister.secret, 'POST', '/api/publish_token', {
          label,
          streams: [{ streamName: stream, isRegex: regex }],
        });
        ids[label] = res.body.data.id;
      }
    });
    const labels = (body: any) => body.data.map((x: any) => x.label);

    it('sorts by Name (case-insensitive) by default, pages, and ends with an empty array', async () => {
      const p1 = await t.call(lister.secret, 'GET', '/api/publish_token/list?page=1&itemsOnPage=3');
      assert.equal(p1.status, 200);
      assert.deepEqual(labels(p1.body), ['alpha', 'Bravo', 'Charlie']);
      const p2 = await t.call(lister.secret, 'GET', '/api/publish_token/list?page=2&itemsOnPage=3');
      assert.deepEqual(labels(p2.body), ['delta']);
      const p3 = await t.call(lister.secret, 'GET', '/api/publish_token/list?page=3&itemsOnPage=3');
      assert.deepEqual(p3.body, { status: 'success', data: [] });
    });

    it('sorts by AddedOn, descending on request', async () => {
      const asc = await t.call(lister.secret, 'GET', '/api/publish_token/list?page=1&itemsOnPage=10&sortBy=AddedOn');
      assert.deepEqual(labels(asc.body), ['Charlie', 'alpha', 'Bravo', 'delta']);
      const desc = await t.call(
        lister.secret,
        'GET',
        '/api/publish_token/list?page=1&itemsOnPage=10&sortBy=AddedOn&isDescending=true',
      );
      assert.deepEqual(labels(desc.body), ['delta', 'Bravo', 'alpha', 'Charlie']);
    });

    it('list_by_name filters by label, by stream name (regex rules excluded), or either', async () => {
      const q = (name: string, by?: string) =>
        t.call(
          lister.secret,
          'GET',
          `/api/publish_token/list_by_name?name=${encodeURIComponent(name)}&page=1&itemsOnPage=10${by ? `&filterBy=${by}` : ''}`,
        );
      assert.deepEqual(labels((await q('ALPHA', 'TokenName')).body), ['alpha']);
      assert.deepEqual(labels((await q('stage', 'StreamName')).body), ['Charlie', 'delta']);
      assert.deepEqual(labels((await q('stage', 'TokenName')).body), []);
      assert.deepEqual(labels((await q('a')).body), ['alpha', 'Bravo', 'Charlie', 'delta']);
      assert.deepEqual(labels((await q('lobby')).body), ['alpha']);
      // LIKE wildcards in the search text are literal
      assert.deepEqual(labels((await q('%')).body), []);
      assert.deepEqual(labels((await q('_')).body), []);
    });

    it('disable sets isActive=false and reports unknown ids', async () => {
      const res = await t.call(lister.secret, 'PATCH', '/api/publish_token/disable', {
        tokenIds: [ids.alpha, 999999],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, {
        successfulTokens: [ids.alpha],
        failedTokens: [{ tokenId: 999999, errorMessage: 'No publish token with id: 999999' }],
      });
      const read = await t.call(lister.secret, 'GET', `/api/publish_token/${ids.alpha}`);
      assert.equal(read.body.data.isActive, false);
    });

    it('delete answers data:true and the token is gone', async () => {
      const res = await t.call(lister.secret, 'DELETE', `/api/publish_token/${ids.delta}`);
      assert.deepEqual([res.status, res.body], [200, { status: 'success', data: true }]);
      const read = await t.call(lister.secret, 'GET', `/api/publish_token/${ids.delta}`);
      assert.equal(read.status, 404);
      assert.deepEqual(read.body.data.tokenId, `No publish token with id: ${ids.delta}`);
    });
  });
});
