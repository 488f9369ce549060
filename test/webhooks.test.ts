import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';
import { type Receiver, signatureValid, startReceiver } from './helpers/webhook-receiver.js';

const FLAGS_OFF = {
  isRecordingHooks: false,
  isThumbnailHooks: false,
  isTranscoderHooks: false,
  isMediaHooks: false,
  isViewerConnectionHooks: false,
};

describe('Webhooks API', () => {
  let t: TestApp;
  let a: TestAccount;
  let b: TestAccount;

  const create = async (secret: string, body: Record<string, unknown>) => {
    const res = await t.call(secret, 'POST', '/api/webhooks', body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as { id: number; url: string; secret: string; isFeedHooks: boolean };
  };
  const fieldErrors = (res: { status: number; body: any }) => {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.status, 'fail');
    return res.body.data.errors as Record<string, string[]>;
  };

  before(async () => {
    t = await testApp();
    a = await t.account('alpha');
    b = await t.account('beta');
  });
  after(() => t.close());

  it('creates a webhook with a generated base64 secret and answers it on read and list', async () => {
    const hook = await create(a.secret, { url: 'https://hooks.example.com/streams', isFeedHooks: true });
    assert.deepEqual(Object.keys(hook).sort(), [
      'id',
      'isFeedHooks',
      'isMediaHooks',
      'isRecordingHooks',
      'isThumbnailHooks',
      'isTranscoderHooks',
      'isViewerConnectionHooks',
      'secret',
      'url',
    ]);
    assert.deepEqual(
      { ...hook, id: 0, secret: '' },
      {
        id: 0,
        secret: '',
        url: 'https://hooks.example.com/streams',
        isFeedHooks: true,
        ...FLAGS_OFF,
      },
    );
    assert.equal(Buffer.from(hook.secret, 'base64').length, 32);
    assert.equal(Buffer.from(hook.secret, 'base64').toString('base64'), hook.secret);
    const read = await t.call(a.secret, 'GET', `/api/webhooks/${hook.id}`);
    assert.deepEqual(read.body, { status: 'success', data: hook });
    const list = await t.call(a.secret, 'GET', '/api/webhooks/list');
    assert.ok(list.body.data.some((h: { id: number }) => h.id === hook.id));

    const all = await create(a.secret, {
      url: 'http://10.0.0.1:9000/x',
      isFeedHooks: false,
      isRecordingHooks: true,
      isThumbnailHooks: true,
      isTranscoderHooks: null,
      isMediaHooks: true,
      isViewerConnectionHooks: true,
    });
    assert.deepEqual(
      [all.isFeedHooks, (all as any).isRecordingHooks, (all as any).isTranscoderHooks, (all as any).isMediaHooks],
      [false, true, false, true],
    );
    assert.notEqual(all.secret, hook.secret);
  });

  it('answers 400 naming the field for bad input', async () => {
    assert.deepEqual(Object.keys(fieldErrors(await t.call(a.secret, 'POST', '/api/webhooks', {}))).sort(), [
      'isFeedHooks',
      'url',
    ]);
    for (const url of ['ftp://example.com/x', 'not a url', '/relative', 'https://u:p@example.com/', '']) {
      const errs = fieldErrors(await t.call(a.secret, 'POST', '/api/webhooks', { url, isFeedHooks: true }));
      assert.deepEqual(Object.keys(errs), ['url'], url);
    }
    let errs = fieldErrors(
      await t.call(a.secret, 'POST', '/api/webhooks', { url: 'https://x.example/', isFeedHooks: 'yes' }),
    );
    assert.deepEqual(Object.keys(errs), ['isFeedHooks']);
    errs = fieldErrors(
      await t.call(a.secret, 'POST', '/api/webhooks', { url: 'https://x.example/', isFeedHooks: true, secret: 'x' }),
    );
    assert.deepEqual(errs, { secret: ['is not a known field'] });

    const hook = await create(a.secret, { url: 'https://x.example/', isFeedHooks: true });
    errs = fieldErrors(await t.call(a.secret, 'PUT', `/api/webhooks/${hook.id}`, { url: 'gopher://x' }));
    assert.deepEqual(Object.keys(errs), ['url']);
    errs = fieldErrors(await t.call(a.secret, 'PUT', `/api/webhooks/${hook.id}`, { refreshSecret: 1 }));
    assert.deepEqual(Object.keys(errs), ['refreshSecret']);
    const empty = await t.call(a.secret, 'PUT', `/api/webhooks/${hook.id}`, { url: null });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.data.code, 'NO_PROPERTIES_TO_UPDATE');
    assert.deepEqual(Object.keys(fieldErrors(await t.call(a.secret, 'GET', '/api/webhooks/abc'))), ['webhookId']);
    assert.deepEqual(Object.keys(fieldErrors(await t.call(a.secret, 'GET', '/api/webhooks/list?itemCount=0'))), [
      'itemCount',
    ]);
  });

  it('needs an API secret', async () => {
    assert.equal((await t.call(null, 'GET', '/api/webhooks/list')).status, 401);
    assert.equal(
      (await t.call('wrong', 'POST', '/api/webhooks', { url: 'https://x/', isFeedHooks: true })).status,
      401,
    );
  });

  it('pages the list by startingId and itemCount, ascending or descending', async () => {
    const c = await t.account('paging');
    const ids: number[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await create(c.secret, { url: `https://h${i}.example/`, isFeedHooks: true })).id);
    const page = async (q: string) =>
      ((await t.call(c.secret, 'GET', `/api/webhooks/list${q}`)).body.data as { id: number }[]).map((h) => h.id);
    assert.deepEqual(await page(''), ids);
    assert.deepEqual(await page('?itemCount=2'), ids.slice(0, 2));
    assert.deepEqual(await page(`?itemCount=2&startingId=${ids[1]}`), ids.slice(2, 4));
    assert.deepEqual(await page('?isDescending=true'), [...ids].reverse());
    assert.deepEqual(await page(`?isDescending=true&startingId=${ids[2]}&itemCount=5`), [ids[1], ids[0]]);
  });

  it('updates the url and flags; refreshSecret gives a new secret and nothing else changes', async () => {
    const hook = await create(a.secret, { url: 'https://old.example/', isFeedHooks: true });
    const upd = await t.call(a.secret, 'PUT', `/api/webhooks/${hook.id}`, {
      url: 'https://new.example/path',
      isFeedHooks: false,
      isThumbnailHooks: true,
      reEnable: true,
    });
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    assert.deepEqual(upd.body.data, {
      ...hook,
      ...FLAGS_OFF,
      url: 'https://new.example/path',
      isFeedHooks: false,
      isThumbnailHooks: true,
    });
    const refreshed = await t.call(a.secret, 'PUT', `/api/webhooks/${hook.id}`, { refreshSecret: true });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.data.secret, hook.secret);
    assert.deepEqual({ ...refreshed.body.data, secret: hook.secret }, upd.body.data);
    const kept = await t.call(a.secret, 'PUT', `/api/webhooks/${hook.id}`, { refreshSecret: false });
    assert.equal(kept.body.data.secret, refreshed.body.data.secret);
  });

  it("keeps accounts apart: another account's webhook id is 404 and stays untouched", async () => {
    const hook = await create(a.secret, { url: 'https://mine.example/', isFeedHooks: true });
    const message = `No webhook with id: ${hook.id}`;
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { refreshSecret: true }],
      ['DELETE', undefined],
    ] as const) {
      const res = await t.call(b.secret, method, `/api/webhooks/${hook.id}`, body);
      assert.deepEqual(
        [res.status, res.body],
        [404, { status: 'fail', data: { message, code: 'NOT_FOUND', webhookId: message } }],
      );
    }
    const listB = await t.call(b.secret, 'GET', '/api/webhooks/list?itemCount=100');
    assert.equal(
      listB.body.data.some((h: { id: number }) => h.id === hook.id),
      false,
    );
    const still = await t.call(a.secret, 'GET', `/api/webhooks/${hook.id}`);
    assert.deepEqual(still.body.data, hook);
  });

  it('deletes a webhook: true, then 404', async () => {
    const hook = await create(a.secret, { url: 'https://gone.example/', isFeedHooks: true });
    assert.deepEqual((await t.call(a.secret, 'DELETE', `/api/webhooks/${hook.id}`)).body, {
      status: 'success',
      data: true,
    });
    assert.equal((await t.call(a.secret, 'GET', `/api/webhooks/${hook.id}`)).status, 404);
    assert.equal((await t.call(a.secret, 'DELETE', `/api/webhooks/${hook.id}`)).status, 404);
  });
});

describe('Webhook delivery on live streams', () => {
  let t: TestApp;
  let acct: TestAccount;
  const receivers: Receiver[] = [];

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const hook = async (url: string) => {
    const res = await t.call(acct.secret, 'POST', '/api/webhooks', { url, isFeedHooks: true });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as { id: number; secret: string };
  };
  const lease = (streamName: string) => ({
    accountId: acct.id,
    streamName,
    holderId: `holder-${streamName}`,
    tokenId: 42,
    sourceId: null,
    multisource: true,
  });

  before(async () => {
    t = await testApp();
    acct = await t.account('live');
  });
  after(async () => {
    await t.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('POSTs a signed feeds started on go-live and ended on release', async () => {
    const r = await receiver();
    const h = await hook(r.url);
    await t.app.services.live.acquire(lease('feed1'));
    await t.app.services.live.acquire(lease('feed1')); // a renewal: no second started
    await t.app.services.live.release(acct.id, 'feed1', 'holder-feed1', 42);
    await t.app.services.webhooks.idle();
    assert.equal(r.received.length, 2);
    const bodies = r.received.map((x) => JSON.parse(x.raw.toString()));
    assert.deepEqual(
      bodies.map((x) => [x.type, x.event, x.data.streamId, x.data.name, x.data.tokenId]),
      [
        ['feeds', 'started', `${acct.streamAccountId}/feed1`, 'feed1', 42],
        ['feeds', 'ended', `${acct.streamAccountId}/feed1`, 'feed1', 42],
      ],
    );
    for (const x of r.received) assert.ok(signatureValid(x, h.secret), 'signature does not verify');
    await t.call(acct.secret, 'DELETE', `/api/webhooks/${h.id}`);
  });

  it('after refreshSecret the deliveries verify with the new secret only', async () => {
    const r = await receiver();
    const h = await hook(r.url);
    const res = await t.call(acct.secret, 'PUT', `/api/webhooks/${h.id}`, { refreshSecret: true });
    const fresh = res.body.data.secret as string;
    await t.app.services.live.acquire(lease('feed2'));
    await t.app.services.webhooks.idle();
    const got = r.received[0];
    assert.ok(got);
    assert.ok(signatureValid(got, fresh));
    assert.equal(signatureValid(got, h.secret), false);
    await t.call(acct.secret, 'DELETE', `/api/webhooks/${h.id}`);
  });

  it('a deleted webhook receives nothing more', async () => {
    const r = await receiver();
    const h = await hook(r.url);
    await t.call(acct.secret, 'DELETE', `/api/webhooks/${h.id}`);
    await t.app.services.live.acquire(lease('feed3'));
    await t.app.services.webhooks.idle();
    assert.equal(r.received.length, 0);
  });

  it('never holds up the authorization: acquire resolves while the receiver hangs', { timeout: 4000 }, async () => {
    const r = await receiver(() => 'hang');
    const h = await hook(r.url);
    const start = { ...t.app.services.webhooks.stats };
    // A delivery awaited here would hold acquire for the 5 s attempt timeout (past this test's limit).
    const acquired = await t.app.services.live.acquire(lease('feed4'));
    assert.deepEqual(acquired, { acquired: true, started: true });
    const [got] = await r.waitFor(1);
    assert.ok(got && signatureValid(got, h.secret));
    // acquire has returned, and the delivery is still in flight (neither delivered nor given up).
    const { delivered, failed } = t.app.services.webhooks.stats;
    assert.deepEqual([delivered, failed], [start.delivered, start.failed]);
  });
});
