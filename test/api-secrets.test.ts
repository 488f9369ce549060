import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashSecret } from '../src/domain/credentials.js';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

describe('API secrets', () => {
  let t: TestApp;
  let acct: TestAccount;
  let other: TestAccount;
  before(async () => {
    t = await testApp();
    acct = await t.account('owner');
    other = await t.account('other');
  });
  after(() => t.close());

  const probe = (secret: string) => t.call(secret, 'GET', '/api/publish_token/list?page=1&itemsOnPage=1');

  it('create shows the value once; list and get never show it', async () => {
    const created = await t.call(acct.secret, 'POST', '/api/api_secret', { label: 'ci' });
    assert.equal(created.status, 200);
    const d = created.body.data;
    assert.match(d.secret, /^[0-9a-f]{64}$/);
    assert.equal(d.label, 'ci');
    assert.equal((await probe(d.secret)).status, 200);

    const list = await t.call(acct.secret, 'GET', '/api/api_secret/list');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((s: any) => s.label),
      ['default', 'ci'],
    );
    assert.equal(JSON.stringify(list.body).includes(d.secret), false);
    for (const s of list.body.data) assert.deepEqual(Object.keys(s).sort(), ['addedOn', 'id', 'label', 'refreshedOn']);

    const get = await t.call(acct.secret, 'GET', `/api/api_secret/${d.id}`);
    assert.equal(get.body.data.secret, undefined);
  });

  it('stores only a hash', async () => {
    const created = await t.call(acct.secret, 'POST', '/api/api_secret', {});
    const value: string = created.body.data.secret;
    const rows = t.store.db.prepare('SELECT * FROM api_secrets').all() as Record<string, unknown>[];
    const dump = JSON.stringify(rows);
    assert.equal(dump.includes(value), false);
    assert.ok(rows.some((r) => r.hash === hashSecret(value)));
  });

  it('refresh: the old value is rejected on the very next request', async () => {
    const created = await t.call(acct.secret, 'POST', '/api/api_secret', { label: 'rotate-me' });
    const old: string = created.body.data.secret;
    const refreshed = await t.call(old, 'POST', `/api/api_secret/${created.body.data.id}/refresh`);
    assert.equal(refreshed.status, 200);
    const fresh: string = refreshed.body.data.secret;
    assert.notEqual(fresh, old);
    assert.notEqual(refreshed.body.data.refreshedOn, null);
    assert.equal((await probe(old)).status, 401);
    assert.equal((await probe(fresh)).status, 200);
  });

  it("another account's secrets are invisible", async () => {
    const mine = await t.call(acct.secret, 'GET', '/api/api_secret/list');
    const id = mine.body.data[0].id;
    assert.equal((await t.call(other.secret, 'GET', `/api/api_secret/${id}`)).status, 404);
    assert.equal((await t.call(other.secret, 'POST', `/api/api_secret/${id}/refresh`)).status, 404);
    assert.equal((await t.call(other.secret, 'DELETE', `/api/api_secret/${id}`)).status, 404);
    assert.equal((await probe(acct.secret)).status, 200);
    const theirs = await t.call(other.secret, 'GET', '/api/api_secret/list');
    assert.deepEqual(
      theirs.body.data.map((s: any) => s.label),
      ['default'],
    );
  });

  it('delete; with no secret left every API call of the account is 401', async () => {
    const lone = await t.account('lonely');
    const list = await t.call(lone.secret, 'GET', '/api/api_secret/list');
    assert.equal(list.body.data.length, 1);
    const del = await t.call(lone.secret, 'DELETE', `/api/api_secret/${list.body.data[0].id}`);
    assert.deepEqual([del.status, del.body], [200, { status: 'success', data: true }]);
    assert.equal((await probe(lone.secret)).status, 401);
    assert.equal((await t.call(lone.secret, 'POST', '/api/api_secret', {})).status, 401);
    assert.equal((await t.call(lone.secret, 'GET', '/api/api_secret/list')).status, 401);
  });

  it('validation', async () => {
    const res = await t.call(acct.secret, 'POST', '/api/api_secret', { label: '' });
    assert.equal(res.status, 400);
    assert.ok(res.body.data.errors.label);
    const unknown = await t.call(acct.secret, 'POST', '/api/api_secret', { value: 'mine' });
    assert.deepEqual(unknown.body.data.errors, { value: ['is not a known field'] });
    assert.equal((await t.call(acct.secret, 'DELETE', '/api/api_secret/987654')).status, 404);
  });
});
