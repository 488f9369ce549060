/**
 * AccessService's promise-free path: with a store that reads from memory (SQLite in server
 * mode), a decision that needs no other I/O is answered at once, and one that does (an unknown
 * account, a live stream, an IP to bind) still gets every check, through a promise. Either way
 * the verdicts are those of the rules; the route tests cover each rule's message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccessService, type Requester } from '../src/domain/access.js';
import { LiveRegistry } from '../src/domain/live-registry.js';
import type { Account, TokenRecord, TokenState } from '../src/domain/model.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tokenState } from './helpers/store-fixtures.js';

const who: Requester = { ip: '203.0.113.7', origin: 'https://app.example.com', checkOrigin: true };

describe('AccessService without promises', () => {
  let dir: string;
  let store: SqliteStore;
  let live: LiveRegistry;
  let account: Account;
  const token = async (kind: 'publish' | 'subscribe', over: Partial<TokenState> = {}): Promise<TokenRecord> =>
    store.createToken({ accountId: account.id, kind, state: tokenState(over) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streamgate-access-'));
    store = new SqliteStore(join(dir, 'db.sqlite'), { server: true });
    await store.migrate();
    live = new LiveRegistry(store, 30_000);
    account = await store.createAccount({ name: 'acme', streamAccountId: 'acme01' });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a publish decision at once once the account is known, and through a promise before', async () => {
    const access = new AccessService(store, live);
    const t = await token('publish', { allowedOrigins: ['*.example.com'], allowedIpAddresses: ['203.0.113.0/24'] });
    const input = { credential: t.token, streamName: 'feed', who };
    const first = access.authorizePublish(input);
    assert.ok(first instanceof Promise, 'the account is read from the store the first time');
    assert.equal((await first).allowed, true);
    const second = access.authorizePublish(input);
    assert.ok(!(second instanceof Promise));
    assert.equal(second.allowed, true);
    assert.equal(second.allowed && second.token.id, t.id);
    assert.equal(second.allowed && second.account.streamAccountId, 'acme01');
  });

  it('refuses at once, with the rule that failed', () => {
    const access = new AccessService(store, live);
    const refusal = (input: Parameters<AccessService['authorizePublish']>[0]) => {
      const d = access.authorizePublish(input);
      assert.ok(!(d instanceof Promise));
      return d.allowed ? 'allowed' : d.code;
    };
    assert.equal(refusal({ credential: 'nope', streamName: 'feed', who }), 'INVALID_TOKEN');
    assert.equal(refusal({ credential: null, streamName: 'feed', who }), 'INVALID_TOKEN');
  });

  it('applies every rule on the promise-free path', async () => {
    const access = new AccessService(store, live);
    const t = await token('publish', { allowedOrigins: ['*.example.com'], allowedIpAddresses: ['203.0.113.0/24'] });
    await access.authorizePublish({ credential: t.token, streamName: 'feed', who });
    const code = (input: Partial<Parameters<AccessService['authorizePublish']>[0]>) => {
      const d = access.authorizePublish({ credential: t.token, streamName: 'feed', who, ...input });
      assert.ok(!(d instanceof Promise));
      return d.allowed ? 'allowed' : d.code;
    };
    assert.equal(code({}), 'allowed');
    assert.equal(code({ streamName: 'other' }), 'STREAM_NAME_NOT_ALLOWED');
    assert.equal(code({ who: { ...who, origin: 'https://example.com' } }), 'ORIGIN_NOT_ALLOWED');
    assert.equal(code({ who: { ...who, origin: 'https://evil.test' } }), 'ORIGIN_NOT_ALLOWED');
    assert.equal(code({ who: { ...who, ip: '198.51.100.1' } }), 'IP_NOT_ALLOWED');
    assert.equal(code({ who: { ...who, ip: '::ffff:203.0.113.9' } }), 'allowed');
    // Verdicts kept per matcher follow the question: back to the allowed values.
    assert.equal(code({}), 'allowed');
    await store.updateToken(account.id, 'publish', t.id, t.version, {
      ...tokenState(),
      token: t.token,
      isActive: false,
    });
    assert.equal(code({}), 'TOKEN_DISABLED');
  });

  it('takes the promise path for a live stream and refuses a second publisher there', async () => {
    const access = new AccessService(store, live);
    const t = await token('publish', { streams: [{ streamName: 'busy', isRegex: false }] });
    assert.equal((await access.authorizePublish({ credential: t.token, streamName: 'busy', who })).allowed, true);
    const held = await live.acquire({
      accountId: account.id,
      streamName: 'busy',
      holderId: 'first-publisher',
      tokenId: t.id,
      sourceId: null,
      multisource: false,
    });
    assert.equal(held.acquired, true);
    const d = access.authorizePublish({ credential: t.token, streamName: 'busy', who });
    assert.ok(d instanceof Promise, 'the leases are read');
    const decided = await d;
    assert.equal(decided.allowed ? 'allowed' : decided.code, 'STREAM_ALREADY_PUBLISHED');
  });

  it('takes the promise path to bind an IP, and binds exactly once', async () => {
    const access = new AccessService(store, live);
    const t = await token('publish', { bindIpsOnUsage: 1 });
    await access.authorizePublish({ credential: 'warm the account', streamName: 'feed', who });
    const d = access.authorizePublish({ credential: t.token, streamName: 'feed', who });
    assert.ok(d instanceof Promise, 'binding writes to the store');
    assert.equal((await d).allowed, true);
    const again = access.authorizePublish({ credential: t.token, streamName: 'feed', who });
    assert.ok(!(again instanceof Promise), 'the bound address is then just an allowed one');
    assert.equal(again.allowed, true);
    const other = await access.authorizePublish({
      credential: t.token,
      streamName: 'feed',
      who: { ...who, ip: '192.0.2.1' },
    });
    assert.equal(other.allowed ? 'allowed' : other.code, 'IP_NOT_ALLOWED');
  });

  it('answers a subscribe decision at once, with its tracking id and liveness', async () => {
    const access = new AccessService(store, live);
    const t = await token('subscribe', {
      streams: [{ streamName: 'cam-[0-9]+', isRegex: true }],
      tracking: { trackingId: 'track-1' },
    });
    const input = { streamAccountId: 'acme01', streamName: 'cam-7', credential: t.token, who };
    await access.authorizeSubscribe(input);
    const d = access.authorizeSubscribe(input);
    assert.ok(!(d instanceof Promise));
    assert.deepEqual(d.allowed && { tokenId: d.tokenId, trackingId: d.trackingId, live: d.live }, {
      tokenId: t.id,
      trackingId: 'track-1',
      live: false,
    });
    const wrongAccount = access.authorizeSubscribe({ ...input, streamAccountId: 'someone' });
    assert.ok(!(wrongAccount instanceof Promise));
    assert.equal(wrongAccount.allowed ? 'allowed' : wrongAccount.code, 'STREAM_NAME_NOT_ALLOWED');
    const wrongStream = access.authorizeSubscribe({ ...input, streamName: 'cam-x' });
    assert.ok(!(wrongStream instanceof Promise));
    assert.equal(wrongStream.allowed ? 'allowed' : wrongStream.code, 'STREAM_NAME_NOT_ALLOWED');
  });

  it('keeps tokenless viewers on the promise path (leases and publishers are read)', async () => {
    const access = new AccessService(store, live);
    const d = access.authorizeSubscribe({
      streamAccountId: 'acme01',
      streamName: 'nobody-here',
      credential: null,
      who,
    });
    assert.ok(d instanceof Promise);
    const decided = await d;
    assert.equal(decided.allowed ? 'allowed' : decided.code, 'STREAM_NOT_FOUND');
  });
});
