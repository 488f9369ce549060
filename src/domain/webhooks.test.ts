import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Receiver, signatureValid, startReceiver } from '../../test/helpers/webhook-receiver.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { AppError } from './errors.js';
import type { StreamEvent } from './live-registry.js';
import type { Account } from './model.js';
import { signWebhookBody, validateWebhookUrl, type WebhookDeliveryOptions, WebhookService } from './webhooks.js';

const FAST: Partial<WebhookDeliveryOptions> = { retryDelaysMs: [1, 1, 1], timeoutMs: 2000 };

function fieldError(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.status, 400);
    const fieldErrors = (err.fields?.errors ?? {}) as Record<string, string[]>;
    assert.ok(fieldErrors[field], JSON.stringify(err.fields));
    return true;
  });
}

describe('signWebhookBody', () => {
  it('is sha1=<hex HMAC-SHA1 of the raw body> keyed with the base64-decoded secret', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const body = '{"type":"feeds","event":"started"}';
    const byDecodedKey = createHmac('sha1', Buffer.from('0123456789abcdef0123456789abcdef')).update(body).digest('hex');
    const byTextKey = createHmac('sha1', secret).update(body).digest('hex');
    assert.equal(signWebhookBody(secret, body), `sha1=${byDecodedKey}`);
    assert.notEqual(signWebhookBody(secret, body), `sha1=${byTextKey}`);
    assert.notEqual(signWebhookBody(secret, `${body} `), signWebhookBody(secret, body));
  });
});

describe('validateWebhookUrl', () => {
  it('accepts absolute http and https URLs', () => {
    for (const url of ['https://hooks.example.com/path?x=1', 'http://127.0.0.1:8080/', 'http://[::1]:9/a']) {
      assert.equal(validateWebhookUrl(url), url);
    }
  });
  it('refuses other schemes, relative URLs, credentials and whitespace, naming the field', () => {
    for (const url of ['ftp://example.com/', 'javascript:alert(1)', '/relative', 'example.com', 'no url']) {
      fieldError(() => validateWebhookUrl(url), 'url');
    }
    fieldError(() => validateWebhookUrl('https://user:pw@example.com/'), 'url');
    fieldError(() => validateWebhookUrl(' https://example.com/'), 'url');
    fieldError(() => validateWebhookUrl(`https://example.com/${'a'.repeat(2048)}`), 'url');
  });
});

describe('WebhookService delivery', () => {
  let store: SqliteStore;
  let acct: Account;
  let other: Account;
  let receivers: Receiver[] = [];
  let services: WebhookService[] = [];
  const clock = Date.parse('2026-03-01T12:00:00.000Z');

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const service = (opts: Partial<WebhookDeliveryOptions> = FAST) => {
    const s = new WebhookService(store, () => clock, opts);
    services.push(s);
    return s;
  };
  const started = (accountId = acct.id, streamName = 'feed1'): StreamEvent => ({
    type: 'started',
    accountId,
    streamName,
    tokenId: 7,
    at: clock - 5,
  });

  before(async () => {
    store = new SqliteStore(':memory:');
    await store.migrate();
    acct = await store.createAccount({ name: 'acme', streamAccountId: 'AcMe01' });
    other = await store.createAccount({ name: 'other', streamAccountId: 'OtHeR2' });
  });
  afterEach(async () => {
    await Promise.all(services.map((s) => s.close()));
    await Promise.all(receivers.map((r) => r.close()));
    services = [];
    receivers = [];
    for (const a of [acct, other]) {
      for (const h of await store.listWebhooks(a.id, { startingId: null, itemCount: 100, isDescending: false })) {
        await store.deleteWebhook(a.id, h.id);
      }
    }
  });
  after(() => store.close());

  it('POSTs the feeds event as JSON, signed over the exact raw body', async () => {
    const r = await receiver();
    const s = service();
    const hook = await s.create(acct, { url: r.url, isFeedHooks: true });
    s.streamEvent(started());
    s.streamEvent({ ...started(), type: 'ended', at: clock });
    await s.idle();
    assert.equal(r.received.length, 2);
    const [first, second] = r.received as [Receiver['received'][0], Receiver['received'][0]];
    assert.equal(first.method, 'POST');
    assert.equal(first.path, '/hooks/streamgate');
    assert.match(String(first.headers['content-type']), /^application\/json/);
    assert.ok(signatureValid(first, hook.secret), 'signature does not verify');
    assert.ok(signatureValid(second, hook.secret), 'signature does not verify');
    assert.deepEqual(JSON.parse(first.raw.toString()), {
      type: 'feeds',
      event: 'started',
      timestamp: clock,
      data: {
        streamId: 'AcMe01/feed1',
        accountId: 'AcMe01',
        name: 'feed1',
        streamName: 'feed1',
        tokenId: 7,
        active: true,
        started: clock - 5,
      },
    });
    const ended = JSON.parse(second.raw.toString());
    assert.equal(ended.event, 'ended');
    assert.equal(ended.data.active, false);
    assert.equal(ended.data.ended, clock);
    assert.deepEqual(s.stats, { delivered: 2, failed: 0, dropped: 0, cancelled: 0 });
  });

  it('a signature made with another secret or over a changed body does not verify', async () => {
    const r = await receiver();
    const s = service();
    await s.create(acct, { url: r.url, isFeedHooks: true });
    s.streamEvent(started());
    await s.idle();
    const got = r.received[0];
    assert.ok(got);
    const otherSecret = Buffer.alloc(32, 1).toString('base64');
    assert.equal(signatureValid(got, otherSecret), false);
    const tampered = { ...got, raw: Buffer.from(got.raw.toString().replace('feed1', 'feed2')) };
    const hook = (await store.webhooksFor(acct.id, 'isFeedHooks'))[0];
    assert.ok(hook);
    assert.equal(signatureValid(tampered, hook.secret), false);
  });

  it('sends only to feed hooks of the stream’s own account', async () => {
    const mine = await receiver();
    const notFeeds = await receiver();
    const theirs = await receiver();
    const s = service();
    await s.create(acct, { url: mine.url, isFeedHooks: true });
    await s.create(acct, { url: notFeeds.url, isFeedHooks: false, isRecordingHooks: true });
    await s.create(other, { url: theirs.url, isFeedHooks: true });
    s.streamEvent(started());
    await s.idle();
    assert.deepEqual([mine.received.length, notFeeds.received.length, theirs.received.length], [1, 0, 0]);
  });

  it('retries a receiver that fails twice, and delivers on the third attempt', async () => {
    const r = await receiver((n) => (n <= 2 ? 503 : 204));
    const s = service();
    const hook = await s.create(acct, { url: r.url, isFeedHooks: true });
    s.streamEvent(started());
    await s.idle();
    assert.equal(r.received.length, 3);
    for (const got of r.received) assert.ok(signatureValid(got, hook.secret));
    // Retries resend the same event, byte for byte.
    assert.equal(new Set(r.received.map((x) => x.raw.toString())).size, 1);
    assert.deepEqual(s.stats, { delivered: 1, failed: 0, dropped: 0, cancelled: 0 });
  });

  it('gives up after the configured number of attempts against a receiver that always fails', async () => {
    const r = await receiver(() => 500);
    const warnings: string[] = [];
    const s = service({ ...FAST, log: { warn: (_o, msg) => warnings.push(msg), error: () => {} } });
    await s.create(acct, { url: r.url, isFeedHooks: true });
    s.streamEvent(started());
    await s.idle();
    assert.equal(r.received.length, 4);
    assert.deepEqual(s.stats, { delivered: 0, failed: 1, dropped: 0, cancelled: 0 });
    assert.deepEqual(warnings, ['webhook delivery failed after 4 attempts']);
  });

  it('treats a refused connection and a timeout as failures to retry', async () => {
    // A port that was just closed: connecting to it is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const hanging = await receiver(() => 'hang');
    const s = service({ retryDelaysMs: [1], timeoutMs: 100 });
    await s.create(acct, { url: `http://127.0.0.1:${port}/`, isFeedHooks: true });
    await s.create(acct, { url: hanging.url, isFeedHooks: true });
    s.streamEvent(started());
    await s.idle();
    assert.equal(hanging.received.length, 2);
    assert.deepEqual(s.stats, { delivered: 0, failed: 2, dropped: 0, cancelled: 0 });
  });

  it('does not follow redirects (a 3xx is a failed attempt)', async () => {
    const target = await receiver();
    const r = await receiver(() => ({ status: 307, headers: { location: target.url } }));
    const s = service({ retryDelaysMs: [] });
    await s.create(acct, { url: r.url, isFeedHooks: true });
    s.streamEvent(started());
    await s.idle();
    assert.equal(r.received.length, 1);
    assert.equal(target.received.length, 0);
    assert.equal(s.stats.failed, 1);
  });

  it('stops retrying once the webhook is deleted', async () => {
    const r = await receiver(() => 500);
    const s = service({ retryDelaysMs: [30, 30, 30] });
    const hookId = (await s.create(acct, { url: r.url, isFeedHooks: true })).id;
    s.streamEvent(started());
    await r.waitFor(1);
    await s.delete(acct, hookId);
    await s.idle();
    assert.equal(r.received.length, 1);
    assert.deepEqual(s.stats, { delivered: 0, failed: 0, dropped: 0, cancelled: 1 });
  });

  it('signs a retry with the secret current at that attempt (refreshed meanwhile)', async () => {
    const r = await receiver((n) => (n === 1 ? 500 : 200));
    const s = service({ retryDelaysMs: [30] });
    const hook = await s.create(acct, { url: r.url, isFeedHooks: true });
    s.streamEvent(started());
    await r.waitFor(1);
    const refreshed = await s.update(acct, hook.id, { refreshSecret: true });
    assert.notEqual(refreshed.secret, hook.secret);
    await s.idle();
    const [first, second] = r.received;
    assert.ok(first && second);
    assert.ok(signatureValid(first, hook.secret));
    assert.ok(signatureValid(second, refreshed.secret));
    assert.equal(signatureValid(second, hook.secret), false);
  });

  it('bounds the deliveries pending at once, dropping (and counting) the excess', async () => {
    const r = await receiver(() => 'hang');
    const s = service({ retryDelaysMs: [], timeoutMs: 5000, maxPending: 2 });
    for (let i = 0; i < 3; i++) await s.create(acct, { url: r.url, isFeedHooks: true });
    s.streamEvent(started());
    await r.waitFor(2);
    assert.equal(s.stats.dropped, 1);
    // close() aborts the hanging requests rather than waiting out their timeout.
    const t0 = Date.now();
    await s.close();
    assert.ok(Date.now() - t0 < 4000, 'close waited for the timeout');
    assert.equal(r.received.length, 2);
  });

  it('ignores events once closed and survives a store that fails', async () => {
    const r = await receiver();
    const s = service();
    await s.create(acct, { url: r.url, isFeedHooks: true });
    const errorsLogged: string[] = [];
    const broken = new WebhookService(
      {
        ...store,
        webhooksFor: async () => {
          throw new Error('database down');
        },
      } as unknown as SqliteStore,
      () => clock,
      { ...FAST, log: { warn: () => {}, error: (_o, msg) => errorsLogged.push(msg) } },
    );
    broken.streamEvent(started());
    await broken.idle();
    assert.deepEqual(errorsLogged, ['webhook fan-out failed']);
    await s.close();
    s.streamEvent(started());
    await s.idle();
    assert.equal(r.received.length, 0);
  });
});
