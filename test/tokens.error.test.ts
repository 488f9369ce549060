import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

/** Asserts a 400 validation envelope whose `errors[field]` has a problem matching `pattern`. */
function assertFieldError(res: { status: number; body: any }, field: string, pattern: RegExp) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.status, 'fail');
  assert.equal(res.body.data.message, 'Validation errors');
  const problems = res.body.data.errors?.[field];
  assert.ok(Array.isArray(problems), `no error for ${field}: ${JSON.stringify(res.body.data.errors)}`);
  assert.ok(
    problems.some((p: string) => pattern.test(p)),
    `${field}: ${JSON.stringify(problems)} !~ ${pattern}`,
  );
}

describe('tokens: bad input gets a 400 naming the field', () => {
  let t: TestApp;
  let acct: TestAccount;
  let pubId: number;
  let subId: number;
  const base = { label: 'x', streams: [{ streamName: 'feed1' }] };
  before(async () => {
    t = await testApp();
    acct = await t.account();
    pubId = (await t.call(acct.secret, 'POST', '/api/publish_token', base)).body.data.id;
    subId = (await t.call(acct.secret, 'POST', '/api/subscribe_token', base)).body.data.id;
  });
  after(() => t.close());

  const create = (body: unknown, kind = 'publish') => t.call(acct.secret, 'POST', `/api/${kind}_token`, body);

  it('missing label and streams', async () => {
    const res = await create({ bindIpsOnUsage: 1 }, 'subscribe');
    assertFieldError(res, 'label', /^is required$/);
    assertFieldError(res, 'streams', /^is required$/);
  });

  it('empty streams, empty label, label over 128', async () => {
    assertFieldError(await create({ label: 'x', streams: [] }), 'streams', /at least 1|fewer than 1/i);
    assertFieldError(await create({ ...base, label: '' }), 'label', /fewer than 1/);
    assertFieldError(await create({ ...base, label: 'l'.repeat(129) }), 'label', /more than 128/);
  });

  it('stream names over 128 chars', async () => {
    const res = await create({ label: 'x', streams: [{ streamName: 's'.repeat(129) }] });
    assertFieldError(res, 'streams[0].streamName', /more than 128/);
  });

  it('regex patterns that need backtracking or do not compile', async () => {
    assertFieldError(
      await create({ label: 'x', streams: [{ streamName: '(a)\\1', isRegex: true }] }),
      'streams[0].streamName',
      /not a valid regular expression/,
    );
    assertFieldError(
      await create({ label: 'x', streams: [{ streamName: 'foo(?=bar)', isRegex: true }] }),
      'streams[0].streamName',
      /lookaround|not a valid regular expression/,
    );
    assertFieldError(
      await create({ label: 'x', streams: [{ streamName: 'unclosed(', isRegex: true }] }),
      'streams[0].streamName',
      /not a valid regular expression/,
    );
  });

  it('invalid IPs, ranges, wildcards and malformed CIDR name the entry', async () => {
    const cases: [string, RegExp][] = [
      ['777.888.99.001', /'777\.888\.99\.001' is not a valid IP address or CIDR block/],
      ['1.2.3.4-1.2.3.9', /ranges are not supported/],
      ['1.2.3.*', /wildcards are not supported/],
      ['10.0.0.0/33', /prefix/],
      ['10.0.0.0/', /not a valid/],
      ['2001:db8::/129', /prefix/],
      ['hello', /not a valid/],
    ];
    for (const [ip, pattern] of cases) {
      const res = await create({ ...base, allowedIpAddresses: ['192.0.2.1', ip] });
      assertFieldError(res, 'allowedIpAddresses[1]', pattern);
    }
  });

  it('bad origin patterns', async () => {
    for (const origin of ['https://a.com', '*', 'a.*.com', 'a.com:8080', 'a com', '']) {
      const res = await create({ ...base, allowedOrigins: ['ok.com', origin] });
      assertFieldError(res, 'allowedOrigins[1]', /origin|valid/);
    }
  });

  it('bindIpsOnUsage with a non-empty allowedIpAddresses on create', async () => {
    const res = await create({ ...base, bindIpsOnUsage: 1, allowedIpAddresses: ['1.2.3.4'] });
    assertFieldError(res, 'bindIpsOnUsage', /cannot be combined/);
  });

  it('wrong types are not coerced', async () => {
    assertFieldError(await create({ ...base, subscribeRequiresAuth: 'true' }), 'subscribeRequiresAuth', /boolean/);
    assertFieldError(await create({ ...base, expires: '60' }), 'expires', /integer/);
    assertFieldError(await create({ ...base, expires: 1.5 }), 'expires', /integer/);
    assertFieldError(await create({ ...base, bindIpsOnUsage: -1 }), 'bindIpsOnUsage', />= 0/);
    assertFieldError(await create({ label: 'x', streams: 'feed1' }), 'streams', /array/);
    assertFieldError(await create({ ...base, expires: 2147483648 }), 'expires', /2147483647/);
  });

  it('unknown fields, including other-kind fields', async () => {
    assertFieldError(await create({ ...base, geoCascade: {} }), 'geoCascade', /not a known field/);
    assertFieldError(await create({ ...base, tracking: { trackingId: 'a' } }, 'publish'), 'tracking', /not a known/);
    assertFieldError(await create({ ...base, record: true }, 'subscribe'), 'record', /not a known field/);
    assertFieldError(
      await create({ label: 'x', streams: [{ streamName: 'a', regex: true }] }),
      'streams[0].regex',
      /not a known field/,
    );
  });

  it('invalid JSON, non-object body, wrong content type', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/publish_token',
      headers: { authorization: `Bearer ${acct.secret}`, 'content-type': 'application/json' },
      payload: '{"label": ',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().data.code, 'INVALID_JSON');
    assertFieldError(await create([1, 2]), 'body', /object/);
    const form = await t.app.inject({
      method: 'POST',
      url: '/api/publish_token',
      headers: { authorization: `Bearer ${acct.secret}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'label=x',
    });
    assert.equal(form.statusCode, 415);
    assert.equal(form.json().status, 'fail');
  });

  it('__proto__ keys are refused', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/publish_token',
      headers: { authorization: `Bearer ${acct.secret}`, 'content-type': 'application/json' },
      payload: '{"label":"x","streams":[{"streamName":"a"}],"__proto__":{"isAdmin":true}}',
    });
    assert.equal(res.statusCode, 400);
  });

  it('empty update', async () => {
    for (const body of [{}, { label: null, allowedOrigins: null }]) {
      const res = await t.call(acct.secret, 'PUT', `/api/publish_token/${pubId}`, body);
      assert.equal(res.status, 400);
      assert.equal(res.body.data.message, 'No properties specified to update.');
      assert.equal(res.body.data.token, 'No properties specified to update.');
    }
  });

  it('update: both spellings of one field conflict', async () => {
    const res = await t.call(acct.secret, 'PUT', `/api/publish_token/${pubId}`, {
      allowedOrigins: ['a.com'],
      updateAllowedOrigins: ['b.com'],
    });
    assertFieldError(res, 'updateAllowedOrigins', /conflicts with allowedOrigins/);
  });

  it('update: v2 refuses v1 names; bad entries name the field the client used', async () => {
    assertFieldError(
      await t.call(acct.secret, 'PUT', `/api/v2/subscribe_token/${subId}`, { updateAllowedOrigins: [] }),
      'updateAllowedOrigins',
      /not a known field/,
    );
    assertFieldError(
      await t.call(acct.secret, 'PUT', `/api/subscribe_token/${subId}`, { updateAllowedIpAddresses: ['1.2.3.*'] }),
      'updateAllowedIpAddresses[0]',
      /wildcards/,
    );
    assertFieldError(
      await t.call(acct.secret, 'PUT', `/api/v2/subscribe_token/${subId}`, { allowedOrigins: ['http://x.com'] }),
      'allowedOrigins[0]',
      /not a valid origin/,
    );
  });

  it('update: removing every stream, or a stream the token lacks', async () => {
    assertFieldError(
      await t.call(acct.secret, 'PUT', `/api/v2/publish_token/${pubId}`, { removeTokenStreams: ['feed1'] }),
      'removeTokenStreams',
      /at least one stream/,
    );
    assertFieldError(
      await t.call(acct.secret, 'PUT', `/api/v2/publish_token/${pubId}`, { removeTokenStreams: ['nope'] }),
      'removeTokenStreams[0]',
      /'nope' is not a stream of this token/,
    );
    assertFieldError(
      await t.call(acct.secret, 'PUT', `/api/v2/publish_token/${pubId}`, {
        addTokenStreams: [{ streamName: '(x)\\1', isRegex: true }],
      }),
      'addTokenStreams[0].streamName',
      /regular expression/,
    );
  });

  it('update: bind with a non-empty IP list in the same request', async () => {
    assertFieldError(
      await t.call(acct.secret, 'PUT', `/api/publish_token/${pubId}`, {
        updateBindIpsOnUsage: 2,
        updateAllowedIpAddresses: ['1.2.3.4'],
      }),
      'updateBindIpsOnUsage',
      /cannot be combined with a non-empty updateAllowedIpAddresses/,
    );
  });

  it('a failed update changes nothing', async () => {
    const before = await t.call(acct.secret, 'GET', `/api/publish_token/${pubId}`);
    await t.call(acct.secret, 'PUT', `/api/publish_token/${pubId}`, {
      label: 'changed',
      updateAllowedIpAddresses: ['777.888.99.001'],
    });
    const afterRes = await t.call(acct.secret, 'GET', `/api/publish_token/${pubId}`);
    assert.deepEqual(afterRes.body, before.body);
  });

  it('list paging parameters', async () => {
    const list = (qs: string) => t.call(acct.secret, 'GET', `/api/publish_token/list?${qs}`);
    assertFieldError(await list('itemsOnPage=10'), 'page', /is required/);
    assertFieldError(await list('page=1'), 'itemsOnPage', /is required/);
    assertFieldError(await list('page=0&itemsOnPage=10'), 'page', />= 1/);
    assertFieldError(await list('page=1&itemsOnPage=0'), 'itemsOnPage', />= 1/);
    assertFieldError(await list('page=1&itemsOnPage=101'), 'itemsOnPage', /<= 100/);
    assertFieldError(await list('page=abc&itemsOnPage=10'), 'page', /integer/);
    assertFieldError(await list('page=1&itemsOnPage=10&sortBy=Color'), 'sortBy', /Name|AddedOn|constant|anyOf/);
    assertFieldError(
      await t.call(acct.secret, 'GET', '/api/publish_token/list_by_name?page=1&itemsOnPage=10'),
      'name',
      /is required/,
    );
  });

  it('token ids: not found, not an integer', async () => {
    const res = await t.call(acct.secret, 'GET', '/api/subscribe_token/424242');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, {
      status: 'fail',
      data: {
        message: 'No subscribe token with id: 424242',
        code: 'NOT_FOUND',
        tokenId: 'No subscribe token with id: 424242',
      },
    });
    assertFieldError(await t.call(acct.secret, 'GET', '/api/subscribe_token/abc'), 'tokenId', /integer/);
    // a publish id is not a subscribe id
    assert.equal((await t.call(acct.secret, 'GET', `/api/subscribe_token/${pubId}`)).status, 404);
    assert.equal((await t.call(acct.secret, 'DELETE', '/api/publish_token/424242')).status, 404);
    assert.equal((await t.call(acct.secret, 'PUT', '/api/publish_token/424242', { label: 'z' })).status, 404);
  });

  it('disable body validation', async () => {
    assertFieldError(
      await t.call(acct.secret, 'PATCH', '/api/publish_token/disable', { tokenIds: [] }),
      'tokenIds',
      /fewer than 1/,
    );
    assertFieldError(
      await t.call(acct.secret, 'PATCH', '/api/publish_token/disable', { tokenIds: ['a'] }),
      'tokenIds[0]',
      /integer/,
    );
  });

  it('unknown route: 404 envelope', async () => {
    const res = await t.call(acct.secret, 'GET', '/api/nothing_here');
    assert.equal(res.status, 404);
    assert.equal(res.body.status, 'fail');
    assert.match(res.body.data.message, /Route GET \/api\/nothing_here not found/);
  });
});
