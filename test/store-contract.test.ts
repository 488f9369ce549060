/**
 * One store contract, run against every Store implementation: SQLite (a temporary file) and
 * PostgreSQL (a throwaway database on 127.0.0.1:5432, see helpers/pg.ts). Whatever the HTTP and
 * domain layers may rely on is asserted here, so the two stores cannot drift apart.
 *
 * Without a reachable PostgreSQL the PostgreSQL half is skipped, saying why; with CI set it fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { SigningKeyRecord, TokenKind, TokenListQuery, TokenState, WebhookState } from '../src/domain/model.js';
import { openStore } from '../src/store/open.js';
import { isConnectionError, PgStore, parsePgUrl } from '../src/store/postgres/pg-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { StoreUnavailableError } from '../src/store/store-errors.js';
import { createTestDatabase, type PgProbe, pgRequired, probePg, type TestDatabase } from './helpers/pg.js';
import { freePort, runCli } from './helpers/server-process.js';
import { tokenState, uniq } from './helpers/store-fixtures.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

interface Fixture {
  readonly store: Store;
  /** Another store on the same database (another pool, as another node would have). */
  another(): Promise<Store>;
  dispose(): Promise<void>;
}

function webhookState(over: Partial<WebhookState> = {}): WebhookState {
  return {
    url: 'https://example.com/hook',
    secret: randomBytes(32).toString('base64'),
    isFeedHooks: true,
    isRecordingHooks: false,
    isThumbnailHooks: false,
    isTranscoderHooks: false,
    isMediaHooks: false,
    isViewerConnectionHooks: false,
    ...over,
  };
}

const page = (over: Partial<TokenListQuery> = {}): TokenListQuery => ({
  page: 1,
  itemsOnPage: 100,
  sortBy: 'AddedOn',
  isDescending: false,
  ...over,
});

function contract(name: string, makeStore: () => Promise<Fixture>, options: { skip?: string } = {}) {
  describe(`store contract: ${name}`, { skip: options.skip }, () => {
    let fx: Fixture;
    let store: Store;
    const others: Store[] = [];
    const another = async () => {
      const s = await fx.another();
      others.push(s);
      return s;
    };

    before(async () => {
      fx = await makeStore();
      store = fx.store;
    });
    after(async () => {
      for (const s of others) await s.close();
      await fx?.dispose();
    });

    const account = () => store.createAccount({ name: 'acme', streamAccountId: uniq('acc') });
    const token = async (accountId: number, over: Partial<TokenState> = {}, kind: TokenKind = 'publish') =>
      store.createToken({ accountId, kind, state: tokenState(over) });

    it('reports its kind, answers ping, and migrate() again changes nothing', async () => {
      assert.equal(store.kind, name);
      await store.ping();
      const a = await account();
      await store.migrate();
      await (await another()).migrate();
      assert.deepEqual(await store.getAccount(a.id), a);
    });

    describe('accounts', () => {
      it('creates and finds accounts by id and by streamAccountId', async () => {
        const before = Date.now();
        const a = await store.createAccount({ name: 'Acme Streaming', streamAccountId: uniq('sa') });
        assert.equal(typeof a.id, 'number');
        assert.equal(a.name, 'Acme Streaming');
        assert.ok(a.createdOn >= before && a.createdOn <= Date.now());
        assert.deepEqual(await store.getAccount(a.id), a);
        assert.deepEqual(await store.getAccountByStreamAccountId(a.streamAccountId), a);
        assert.equal(await store.getAccount(a.id + 1_000_000), null);
        assert.equal(await store.getAccount(Number.MAX_SAFE_INTEGER), null);
        assert.equal(await store.getAccountByStreamAccountId(uniq('none')), null);
      });

      it('lists accounts by id and refuses a second account with the same streamAccountId', async () => {
        const a = await account();
        const b = await account();
        const ids = (await store.listAccounts()).map((x) => x.id);
        assert.ok(ids.indexOf(a.id) >= 0 && ids.indexOf(a.id) < ids.indexOf(b.id));
        assert.deepEqual(
          ids,
          [...ids].sort((x, y) => x - y),
        );
        const err = await store.createAccount({ name: 'dup', streamAccountId: a.streamAccountId }).catch((e) => e);
        assert.ok(err instanceof Error);
        assert.ok(!(err instanceof StoreUnavailableError), 'a constraint violation is not an outage');
      });
    });

    describe('api secrets', () => {
      it('creates, lists in id order, gets, and keeps accounts apart', async () => {
        const a = await account();
        const b = await account();
        const s1 = await store.createApiSecret({ accountId: a.id, label: 'one', hash: uniq('h') });
        const s2 = await store.createApiSecret({ accountId: a.id, label: 'two', hash: uniq('h') });
        const sb = await store.createApiSecret({ accountId: b.id, label: 'b', hash: uniq('h') });
        assert.equal(s1.accountId, a.id);
        assert.equal(s1.label, 'one');
        assert.equal(s1.refreshedOn, null);
        assert.equal(typeof s1.addedOn, 'number');
        assert.deepEqual(await store.listApiSecrets(a.id), [s1, s2]);
        assert.deepEqual(await store.getApiSecret(a.id, s2.id), s2);
        assert.equal(await store.getApiSecret(a.id, sb.id), null);
        assert.equal(await store.getApiSecret(b.id, s1.id), null);
        const found = await store.findApiSecretByHash(s2.hash);
        assert.deepEqual(found, { secret: s2, account: a });
        assert.equal(await store.findApiSecretByHash(uniq('nohash')), null);
      });

      it('replaces a hash so that the old one stops matching at once', async () => {
        const a = await account();
        const b = await account();
        const s = await store.createApiSecret({ accountId: a.id, label: 'k', hash: uniq('old') });
        const newHash = uniq('new');
        assert.equal(await store.replaceApiSecretHash(b.id, s.id, newHash), null, 'not through another account');
        assert.deepEqual((await store.findApiSecretByHash(s.hash))?.secret, s);
        const replaced = await store.replaceApiSecretHash(a.id, s.id, newHash);
        assert.ok(replaced);
        assert.equal(replaced.hash, newHash);
        assert.equal(replaced.id, s.id);
        assert.equal(replaced.label, 'k');
        assert.equal(typeof replaced.refreshedOn, 'number');
        assert.equal(await store.findApiSecretByHash(s.hash), null);
        const other = await another();
        assert.equal(await other.findApiSecretByHash(s.hash), null, 'another node sees the change too');
        assert.deepEqual((await other.findApiSecretByHash(newHash))?.secret, replaced);
        assert.equal(await store.replaceApiSecretHash(a.id, s.id + 1_000_000, uniq('x')), null);
      });

      it('deletes only the account own secret, once', async () => {
        const a = await account();
        const b = await account();
        const s = await store.createApiSecret({ accountId: a.id, label: 'k', hash: uniq('h') });
        assert.equal(await store.deleteApiSecret(b.id, s.id), false);
        assert.equal(await store.deleteApiSecret(a.id, s.id), true);
        assert.equal(await store.deleteApiSecret(a.id, s.id), false);
        assert.equal(await store.findApiSecretByHash(s.hash), null);
        assert.deepEqual(await store.listApiSecrets(a.id), []);
      });

      it('refuses two secrets with the same hash', async () => {
        const a = await account();
        const hash = uniq('h');
        await store.createApiSecret({ accountId: a.id, label: 'k', hash });
        await assert.rejects(store.createApiSecret({ accountId: a.id, label: 'k2', hash }));
      });
    });

    describe('tokens', () => {
      it('stores every field of a token state and reads it back the same', async () => {
        const a = await account();
        const state = tokenState({
          label: 'Full token ✓',
          expiresOn: 1_900_000_000_123,
          isActive: false,
          streams: [
            { streamName: 'exact', isRegex: false },
            { streamName: '^cam[0-9]+$', isRegex: true },
          ],
          allowedOrigins: ['*.example.com', 'https://a.test'],
          allowedIpAddresses: ['10.0.0.0/8', '2001:db8::1'],
          bindIpsOnUsage: 0,
          subscribeRequiresAuth: true,
          record: true,
          multisource: true,
          tracking: { trackingId: 'track-1' },
        });
        const t = await store.createToken({ accountId: a.id, kind: 'subscribe', state });
        assert.equal(typeof t.id, 'number');
        assert.equal(t.accountId, a.id);
        assert.equal(t.kind, 'subscribe');
        assert.equal(t.version, 1);
        assert.equal(typeof t.addedOn, 'number');
        const { id, accountId, kind, version, addedOn, ...rest } = t;
        assert.deepEqual(rest, state);
        assert.deepEqual(Object.keys(t.streams[0]!), ['streamName', 'isRegex']);
        assert.deepEqual(await store.getToken(a.id, 'subscribe', t.id), t);
        assert.deepEqual(await store.getTokenByValue('subscribe', state.token), t);
        assert.deepEqual(await store.getTokenById('subscribe', t.id), t);
        const plain = await token(a.id);
        assert.equal(plain.tracking, null);
        assert.equal(plain.expiresOn, null);
        assert.equal(plain.multisource, false);
      });

      it('finds a token only under its own account and kind; by value and id under any account', async () => {
        const a = await account();
        const b = await account();
        const t = await token(a.id);
        assert.equal(await store.getToken(b.id, 'publish', t.id), null);
        assert.equal(await store.getToken(a.id, 'subscribe', t.id), null);
        assert.equal(await store.getTokenByValue('subscribe', t.token), null);
        assert.equal(await store.getTokenByValue('publish', uniq('none')), null);
        assert.equal(await store.getTokenByValue('publish', `${t.token}\u0000`), null);
        assert.deepEqual(await store.getTokenById('publish', t.id), t);
        assert.equal(await store.getTokenById('subscribe', t.id), null);
        assert.equal(await store.getTokenById('publish', t.id + 1_000_000), null);
      });

      it('refuses two tokens with the same value, whatever their kind or account', async () => {
        const a = await account();
        const b = await account();
        const t = await token(a.id);
        await assert.rejects(token(b.id, { token: t.token }, 'subscribe'));
      });

      it('updates compare-and-set on the version', async () => {
        const a = await account();
        const b = await account();
        const t = await token(a.id, { label: 'before' });
        const next = tokenState({ label: 'after', streams: [{ streamName: 'other', isRegex: false }] });
        assert.equal(await store.updateToken(b.id, 'publish', t.id, 1, next), null, 'not through another account');
        assert.equal(await store.updateToken(a.id, 'subscribe', t.id, 1, next), null, 'not as the other kind');
        assert.equal(await store.updateToken(a.id, 'publish', t.id, 2, next), null, 'not on a wrong version');
        const updated = await store.updateToken(a.id, 'publish', t.id, 1, next);
        assert.ok(updated);
        assert.equal(updated.version, 2);
        assert.equal(updated.label, 'after');
        assert.equal(updated.addedOn, t.addedOn);
        assert.deepEqual(updated.streams, [{ streamName: 'other', isRegex: false }]);
        assert.equal(await store.updateToken(a.id, 'publish', t.id, 1, tokenState()), null, 'stale version');
        assert.equal(await store.getTokenByValue('publish', t.token), null, 'the old value is gone at once');
        assert.deepEqual(await store.getTokenByValue('publish', next.token), updated);
        assert.equal(await store.updateToken(a.id, 'publish', t.id + 1_000_000, 1, tokenState()), null);
      });

      it('lets exactly one of many concurrent updates of the same version win, across nodes', async () => {
        const a = await account();
        const t = await token(a.id);
        const nodes = [store, await another()];
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            nodes[i % 2]!.updateToken(a.id, 'publish', t.id, 1, tokenState({ label: `w${i}` })),
          ),
        );
        const winners = results.filter((r) => r !== null);
        assert.equal(winners.length, 1);
        assert.deepEqual(await store.getToken(a.id, 'publish', t.id), winners[0]);
      });

      it('deletes a token of its own account once', async () => {
        const a = await account();
        const b = await account();
        const t = await token(a.id);
        assert.equal(await store.deleteToken(b.id, 'publish', t.id), false);
        assert.equal(await store.deleteToken(a.id, 'subscribe', t.id), false);
        assert.equal(await store.deleteToken(a.id, 'publish', t.id), true);
        assert.equal(await store.deleteToken(a.id, 'publish', t.id), false);
        assert.equal(await store.getToken(a.id, 'publish', t.id), null);
        assert.equal(await store.getTokenByValue('publish', t.token), null);
        assert.equal(await store.getTokenById('publish', t.id), null);
      });

      it('disables the listed tokens the account owns and bumps their versions', async () => {
        const a = await account();
        const b = await account();
        const t1 = await token(a.id);
        const t2 = await token(a.id);
        const keep = await token(a.id);
        const sub = await token(a.id, {}, 'subscribe');
        const foreign = await token(b.id);
        const found = await store.disableTokens(a.id, 'publish', [t2.id, foreign.id, sub.id, t1.id, 99_999_999]);
        assert.deepEqual(found, [t2.id, t1.id]);
        for (const t of [t1, t2]) {
          const now = await store.getToken(a.id, 'publish', t.id);
          assert.equal(now?.isActive, false);
          assert.equal(now?.version, 2);
        }
        assert.equal((await store.getToken(a.id, 'publish', keep.id))?.isActive, true);
        assert.deepEqual(await store.getToken(a.id, 'subscribe', sub.id), sub);
        assert.deepEqual(await store.getToken(b.id, 'publish', foreign.id), foreign);
        assert.deepEqual(await store.disableTokens(a.id, 'publish', []), []);
      });

      describe('listing', () => {
        let acct: number;
        const labels = ['banana', 'Apple', 'cherry', 'apple pie', 'Zed', 'Éclair', '100%', '100x', 'a_b', 'axb'];
        const ids = new Map<string, number>();

        before(async () => {
          acct = (await account()).id;
          for (const label of labels) {
            const t = await token(acct, {
              label,
              streams: [
                { streamName: `${label}-Feed`, isRegex: false },
                { streamName: 'regexonly.*', isRegex: true },
              ],
            });
            ids.set(label, t.id);
          }
          // Same listing must not show other accounts' or the other kind's tokens.
          await token((await account()).id, { label: 'banana foreign' });
          await token(acct, { label: 'banana subscribe' }, 'subscribe');
        });

        const list = async (q: Partial<TokenListQuery>) =>
          (await store.listTokens(acct, 'publish', page(q))).map((t) => t.label);

        it('sorts by addedOn, then id, either way', async () => {
          assert.deepEqual(await list({}), labels);
          assert.deepEqual(await list({ isDescending: true }), [...labels].reverse());
        });

        it('sorts by name ignoring ASCII case only, on bytes, then id', async () => {
          const byName = ['100%', '100x', 'a_b', 'Apple', 'apple pie', 'axb', 'banana', 'cherry', 'Zed', 'Éclair'];
          assert.deepEqual(await list({ sortBy: 'Name' }), byName);
          assert.deepEqual(await list({ sortBy: 'Name', isDescending: true }), [...byName].reverse());
          const b = (await account()).id;
          const first = await token(b, { label: 'same' });
          const second = await token(b, { label: 'SAME' });
          const q = (isDescending: boolean) => store.listTokens(b, 'publish', page({ sortBy: 'Name', isDescending }));
          assert.deepEqual(
            (await q(false)).map((t) => t.id),
            [first.id, second.id],
          );
          assert.deepEqual(
            (await q(true)).map((t) => t.id),
            [second.id, first.id],
          );
        });

        it('pages with page and itemsOnPage', async () => {
          const pages = [];
          for (let p = 1; p <= 4; p++) pages.push(await list({ page: p, itemsOnPage: 3 }));
          assert.deepEqual(pages, [labels.slice(0, 3), labels.slice(3, 6), labels.slice(6, 9), labels.slice(9)]);
          assert.deepEqual(await list({ page: 5, itemsOnPage: 3 }), []);
          assert.deepEqual(await list({ page: 2, itemsOnPage: 4, sortBy: 'Name', isDescending: true }), [
            'axb',
            'apple pie',
            'Apple',
            'a_b',
          ]);
        });

        it('filters by token name: substring, ASCII case-insensitive, % and _ literal', async () => {
          const f = (name: string) => list({ filter: { name, by: 'TokenName' }, sortBy: 'Name' });
          assert.deepEqual(await f('APP'), ['Apple', 'apple pie']);
          assert.deepEqual(await f('0%'), ['100%']);
          assert.deepEqual(await f('_'), ['a_b']);
          assert.deepEqual(await f('écl'), [], 'non-ASCII letters are not case-folded');
          assert.deepEqual(await f('Écl'), ['Éclair']);
          assert.deepEqual(await f('feed'), [], 'stream names are not searched');
          assert.deepEqual(await f('nothing like it'), []);
        });

        it('filters by stream name over exact names only, not regex rules', async () => {
          const f = (name: string) => list({ filter: { name, by: 'StreamName' }, sortBy: 'Name' });
          assert.deepEqual(await f('CHERRY-f'), ['cherry']);
          assert.deepEqual(await f('regexonly'), []);
          assert.deepEqual(await f('apple'), ['Apple', 'apple pie']);
          assert.deepEqual(await f('Apple-'), ['Apple']);
          assert.equal((await f('-feed')).length, labels.length);
        });

        it('filters by token or stream name', async () => {
          const b = (await account()).id;
          await token(b, { label: 'zebra', streams: [{ streamName: 'plain', isRegex: false }] });
          await token(b, { label: 'plain label', streams: [{ streamName: 'x', isRegex: false }] });
          await token(b, { label: 'other', streams: [{ streamName: 'Zebra.*', isRegex: true }] });
          const rows = await store.listTokens(
            b,
            'publish',
            page({ filter: { name: 'zebra', by: 'TokenOrStreamName' }, sortBy: 'Name' }),
          );
          assert.deepEqual(
            rows.map((t) => t.label),
            ['zebra'],
          );
          const both = await store.listTokens(
            b,
            'publish',
            page({ filter: { name: 'PLAIN', by: 'TokenOrStreamName' }, sortBy: 'Name' }),
          );
          assert.deepEqual(
            both.map((t) => t.label),
            ['plain label', 'zebra'],
          );
        });

        it('lists nothing for another account or kind', async () => {
          assert.deepEqual(
            (await store.listTokens(acct, 'subscribe', page())).map((t) => t.label),
            ['banana subscribe'],
          );
          assert.deepEqual(await store.listTokens(acct + 1_000_000, 'publish', page()), []);
        });
      });

      it('reads a token with its stream live-lease count in one call (tokenForDecision)', async () => {
        const a = await account();
        const t = await token(a.id, { streams: [{ streamName: 'd', isRegex: false }] });
        const now = 5_000_000;
        assert.deepEqual(await store.tokenForDecision('publish', { value: t.token }, 'd', now), {
          token: t,
          liveLeases: 0,
        });
        await store.acquireLease({ ...lease(a.id, 'd', 'h1', t.id), now, ttlMs: 1000 });
        await store.acquireLease({ ...lease(a.id, 'other', 'h2', t.id), now, ttlMs: 1000 });
        assert.deepEqual(await store.tokenForDecision('publish', { id: t.id }, 'd', now + 999), {
          token: t,
          liveLeases: 1,
        });
        assert.equal((await store.tokenForDecision('publish', { id: t.id }, 'd', now + 1000))?.liveLeases, 0);
        assert.equal(await store.tokenForDecision('subscribe', { id: t.id }, 'd', now), null);
        assert.equal(await store.tokenForDecision('publish', { value: uniq('none') }, 'd', now), null);
        assert.equal(await store.tokenForDecision('publish', { id: t.id + 1_000_000 }, 'd', now), null);
      });
    });

    describe('bindIp', () => {
      it('binds exactly N of 20 concurrent first uses from distinct addresses, across nodes', async () => {
        const a = await account();
        const t = await token(a.id, { bindIpsOnUsage: 3 });
        const nodes = [store, await another(), await another()];
        const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
        const results = await Promise.all(ips.map((ip, i) => nodes[i % nodes.length]!.bindIp(t.id, ip, 3)));
        const bound = ips.filter((_, i) => results[i] === 'bound');
        assert.equal(bound.length, 3);
        assert.equal(results.filter((r) => r === 'full').length, 17);
        const after = await store.getToken(a.id, 'publish', t.id);
        assert.deepEqual([...(after?.allowedIpAddresses ?? [])].sort(), [...bound].sort());
        assert.equal(after?.version, 4, 'each binding is a write');
        // An address already bound stays bound without another write; others stay out.
        assert.equal(await store.bindIp(t.id, bound[0]!, 3), 'bound');
        assert.equal(await store.bindIp(t.id, '203.0.113.9', 3), 'full');
        assert.equal((await store.getToken(a.id, 'publish', t.id))?.version, 4);
      });

      it('binds the same address from concurrent requests once', async () => {
        const a = await account();
        const t = await token(a.id, { bindIpsOnUsage: 2 });
        const nodes = [store, await another()];
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => nodes[i % 2]!.bindIp(t.id, '::1', 2)));
        assert.deepEqual(results, Array(6).fill('bound'));
        assert.deepEqual((await store.getToken(a.id, 'publish', t.id))?.allowedIpAddresses, ['::1']);
        assert.equal(await store.bindIp(t.id, '10.0.0.1', 2), 'bound');
        assert.equal(await store.bindIp(t.id, '10.0.0.2', 2), 'full');
        assert.deepEqual((await store.getToken(a.id, 'publish', t.id))?.allowedIpAddresses, ['::1', '10.0.0.1']);
      });

      it("answers 'gone' for a token that does not exist", async () => {
        const a = await account();
        const t = await token(a.id, { bindIpsOnUsage: 1 });
        await store.deleteToken(a.id, 'publish', t.id);
        assert.equal(await store.bindIp(t.id, '10.0.0.1', 1), 'gone');
      });
    });

    describe('leases', () => {
      const T0 = 10_000_000;
      const TTL = 1_000;

      it('grants a free stream, renews for its holder, refuses anyone else', async () => {
        const a = await account();
        const acq = (holderId: string, now: number) =>
          store.acquireLease({ ...lease(a.id, 'live', holderId, 7), now, ttlMs: TTL });
        assert.deepEqual(await acq('h1', T0), { acquired: true, started: true });
        assert.deepEqual(await acq('h2', T0 + 10), { acquired: false });
        assert.deepEqual(await acq('h1', T0 + 500), { acquired: true, started: false });
        const [held] = await store.liveLeases(a.id, 'live', T0 + 500);
        assert.deepEqual(held, {
          accountId: a.id,
          streamName: 'live',
          holderId: 'h1',
          tokenId: 7,
          sourceId: null,
          startedOn: T0,
          expiresOn: T0 + 500 + TTL,
        });
        assert.deepEqual(await store.liveLeases(a.id, 'live', T0 + 500 + TTL), []);
        // Once it has expired, someone else may take it, and that is a new start; no sweep ran, so
        // the acquire also reports the run that ended unannounced, with its last publisher's lease.
        assert.deepEqual(await acq('h2', T0 + 500 + TTL), { acquired: true, started: true, endedRun: held });
        assert.deepEqual(
          (await store.expireLeases(T0 + 500 + TTL + 1)).filter((l) => l.accountId === a.id),
          [],
          'nothing left for a sweeper to announce',
        );
        assert.deepEqual(
          (await store.liveLeases(a.id, 'live', T0 + 500 + TTL)).map((l) => l.holderId),
          ['h2'],
        );
      });

      it('lets exactly one of many concurrent publishers take a stream, across nodes', async () => {
        const a = await account();
        const nodes = [store, await another(), await another()];
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            nodes[i % nodes.length]!.acquireLease({ ...lease(a.id, 'race', `h${i}`, 1), now: T0, ttlMs: TTL }),
          ),
        );
        assert.equal(results.filter((r) => r.acquired).length, 1);
        assert.deepEqual(
          results.find((r) => r.acquired),
          { acquired: true, started: true },
        );
        assert.equal((await store.liveLeases(a.id, 'race', T0)).length, 1);
      });

      it('shares a stream among distinct named sources of a multisource token only', async () => {
        const a = await account();
        const acq = (holderId: string, sourceId: string | null, multisource = true) =>
          store.acquireLease({ ...lease(a.id, 'ms', holderId, 3, sourceId, multisource), now: T0, ttlMs: TTL });
        assert.deepEqual(await acq('h1', 's1'), { acquired: true, started: true });
        assert.deepEqual(await acq('h2', 's2'), { acquired: true, started: false });
        assert.deepEqual(await acq('h3', 's1'), { acquired: false }, 'same source');
        assert.deepEqual(await acq('h4', null), { acquired: false }, 'unnamed source');
        assert.deepEqual(await acq('h5', 's5', false), { acquired: false }, 'not multisource');
        assert.deepEqual(
          (await store.liveLeases(a.id, 'ms', T0)).map((l) => [l.holderId, l.sourceId]),
          [
            ['h1', 's1'],
            ['h2', 's2'],
          ],
        );
        // An unnamed publisher holding the stream keeps named sources out too.
        assert.deepEqual(await store.acquireLease({ ...lease(a.id, 'ms2', 'u', 3, null, true), now: T0, ttlMs: TTL }), {
          acquired: true,
          started: true,
        });
        assert.deepEqual(await store.acquireLease({ ...lease(a.id, 'ms2', 'v', 3, 'sv', true), now: T0, ttlMs: TTL }), {
          acquired: false,
        });
      });

      it('renews only a held, unexpired lease', async () => {
        const a = await account();
        await store.acquireLease({ ...lease(a.id, 'r', 'h1', 1), now: T0, ttlMs: TTL });
        assert.equal(await store.renewLease(a.id, 'r', 'h2', T0 + 100, TTL), false);
        assert.equal(await store.renewLease(a.id, 'other', 'h1', T0 + 100, TTL), false);
        assert.equal(await store.renewLease(a.id, 'r', 'h1', T0 + 900, TTL), true);
        assert.equal((await store.liveLeases(a.id, 'r', T0 + 900))[0]?.expiresOn, T0 + 900 + TTL);
        assert.equal(await store.renewLease(a.id, 'r', 'h1', T0 + 900 + TTL, TTL), false, 'expired meanwhile');
      });

      it('releases a lease and says whether the stream ended with it', async () => {
        const a = await account();
        const acq = (holderId: string, sourceId: string) =>
          store.acquireLease({ ...lease(a.id, 'rel', holderId, 1, sourceId, true), now: T0, ttlMs: TTL });
        await acq('h1', 's1');
        await acq('h2', 's2');
        assert.deepEqual(await store.releaseLease(a.id, 'rel', 'nobody', T0), { released: false, ended: false });
        assert.deepEqual(await store.releaseLease(a.id, 'rel', 'h1', T0), { released: true, ended: false });
        assert.deepEqual(await store.releaseLease(a.id, 'rel', 'h2', T0), { released: true, ended: true });
        assert.deepEqual(await store.releaseLease(a.id, 'rel', 'h2', T0), { released: false, ended: false });
        // The last live holder leaving ends the stream even when expired leases linger.
        await store.acquireLease({ ...lease(a.id, 'rel2', 'old', 1, 'a', true), now: T0, ttlMs: 100 });
        await store.acquireLease({ ...lease(a.id, 'rel2', 'new', 1, 'b', true), now: T0, ttlMs: TTL });
        assert.deepEqual(await store.releaseLease(a.id, 'rel2', 'new', T0 + 200), { released: true, ended: true });
        // ... and that release announced the end: a sweeper finds nothing of it to announce again.
        assert.deepEqual(
          (await store.expireLeases(T0 + 300)).filter((l) => l.accountId === a.id),
          [],
        );
      });

      it('reports no ended run when lapsed leases sit beside a live one', async () => {
        const a = await account();
        await store.acquireLease({ ...lease(a.id, 'side', 'old', 1, 'a', true), now: T0, ttlMs: 100 });
        await store.acquireLease({ ...lease(a.id, 'side', 'live', 1, 'b', true), now: T0, ttlMs: TTL });
        assert.deepEqual(
          await store.acquireLease({ ...lease(a.id, 'side', 'third', 1, 'c', true), now: T0 + 200, ttlMs: TTL }),
          { acquired: true, started: false },
        );
      });

      it('lists an account live leases by stream name, and keeps accounts apart', async () => {
        const a = await account();
        const b = await account();
        await store.acquireLease({ ...lease(a.id, 'zz', 'h1', 1), now: T0, ttlMs: TTL });
        await store.acquireLease({ ...lease(a.id, 'aa', 'h2', 1), now: T0, ttlMs: TTL });
        await store.acquireLease({ ...lease(a.id, 'gone', 'h3', 1), now: T0, ttlMs: 10 });
        // The same stream name in another account is another stream.
        assert.deepEqual(await store.acquireLease({ ...lease(b.id, 'zz', 'hb', 2), now: T0, ttlMs: TTL }), {
          acquired: true,
          started: true,
        });
        assert.deepEqual(
          (await store.accountLiveLeases(a.id, T0 + 10)).map((l) => l.streamName),
          ['aa', 'zz'],
        );
        assert.deepEqual(
          (await store.accountLiveLeases(b.id, T0 + 10)).map((l) => l.holderId),
          ['hb'],
        );
        assert.deepEqual(await store.liveLeases(b.id, 'aa', T0), []);
      });

      it('expires each lapsed lease exactly once, even with several sweepers at once', async () => {
        const a = await account();
        const base = 50_000_000;
        for (let i = 0; i < 6; i++) {
          await store.acquireLease({ ...lease(a.id, `e${i}`, 'h', 1), now: base, ttlMs: i < 4 ? 10 : 10_000 });
        }
        const nodes = [store, await another(), await another()];
        const swept = (await Promise.all(nodes.map((n) => n.expireLeases(base + 10)))).flat();
        const mine = swept.filter((l) => l.accountId === a.id);
        assert.deepEqual(mine.map((l) => l.streamName).sort(), ['e0', 'e1', 'e2', 'e3']);
        assert.equal(mine[0]?.expiresOn, base + 10);
        assert.deepEqual(
          (await store.expireLeases(base + 10)).filter((l) => l.accountId === a.id),
          [],
        );
        assert.deepEqual(
          (await store.accountLiveLeases(a.id, base + 10)).map((l) => l.streamName),
          ['e4', 'e5'],
        );
      });
    });

    describe('signing keys', () => {
      const key = (kid: string, createdOn: number, pem = 'PEM'): SigningKeyRecord => ({
        kid,
        alg: 'ES256',
        privateKeyPem: pem,
        publicJwk: { kty: 'EC', crv: 'P-256', x: 'xx', y: 'yy', kid, alg: 'ES256', use: 'sig' },
        createdOn,
      });

      it('adds a key once per kid, also when nodes race, and lists by creation time', async () => {
        const k1 = uniq('kid');
        const k2 = uniq('kid');
        const nodes = [store, await another()];
        await Promise.all(Array.from({ length: 6 }, (_, i) => nodes[i % 2]!.addSigningKey(key(k2, 2000, `pem${i}`))));
        await store.addSigningKey(key(k1, 1000));
        await store.addSigningKey(key(k1, 3000, 'replacement'));
        const mine = (await store.signingKeys()).filter((k) => k.kid === k1 || k.kid === k2);
        assert.equal(mine.length, 2);
        assert.deepEqual(mine[0], key(k1, 1000));
        assert.equal(mine[1]?.kid, k2);
        assert.match(mine[1]?.privateKeyPem ?? '', /^pem\d$/);
        assert.deepEqual(Object.keys(mine[0]!.publicJwk), ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use']);
        const all = await store.signingKeys();
        assert.deepEqual(
          all.map((k) => k.createdOn),
          [...all.map((k) => k.createdOn)].sort((x, y) => x - y),
        );
      });
    });

    describe('webhooks', () => {
      it('creates, gets, updates and deletes within one account', async (t) => {
        if (typeof (store as Partial<Store>).createWebhook !== 'function') return t.skip('store has no webhooks');
        const a = await account();
        const b = await account();
        const state = webhookState({ isViewerConnectionHooks: true, isRecordingHooks: true });
        const w = await store.createWebhook({ ...state, accountId: a.id, now: 1234 });
        assert.equal(typeof w.id, 'number');
        assert.deepEqual(w, { ...state, id: w.id, accountId: a.id, addedOn: 1234 });
        assert.deepEqual(await store.getWebhook(a.id, w.id), w);
        assert.equal(await store.getWebhook(b.id, w.id), null);
        const next = webhookState({ url: 'https://other.test/x', isFeedHooks: false, isMediaHooks: true });
        assert.equal(await store.updateWebhook(b.id, w.id, next), null);
        const updated = await store.updateWebhook(a.id, w.id, next);
        assert.deepEqual(updated, { ...next, id: w.id, accountId: a.id, addedOn: 1234 });
        assert.deepEqual(await store.getWebhook(a.id, w.id), updated);
        assert.equal(await store.updateWebhook(a.id, w.id + 1_000_000, next), null);
        assert.equal(await store.deleteWebhook(b.id, w.id), false);
        assert.equal(await store.deleteWebhook(a.id, w.id), true);
        assert.equal(await store.deleteWebhook(a.id, w.id), false);
        assert.equal(await store.getWebhook(a.id, w.id), null);
      });

      it('lists by id after (or before) a starting id, and finds the webhooks of one hook', async (t) => {
        if (typeof (store as Partial<Store>).createWebhook !== 'function') return t.skip('store has no webhooks');
        const a = await account();
        const b = await account();
        const ws = [];
        for (let i = 0; i < 5; i++) {
          ws.push(
            await store.createWebhook({ ...webhookState({ isFeedHooks: i % 2 === 0 }), accountId: a.id, now: i }),
          );
        }
        await store.createWebhook({ ...webhookState(), accountId: b.id, now: 9 });
        const ids = ws.map((w) => w.id);
        const list = async (startingId: number | null, itemCount: number, isDescending: boolean) =>
          (await store.listWebhooks(a.id, { startingId, itemCount, isDescending })).map((w) => w.id);
        assert.deepEqual(await list(null, 10, false), ids);
        assert.deepEqual(await list(null, 2, false), ids.slice(0, 2));
        assert.deepEqual(await list(ids[1]!, 2, false), ids.slice(2, 4));
        assert.deepEqual(await list(null, 10, true), [...ids].reverse());
        assert.deepEqual(await list(ids[3]!, 2, true), [ids[2], ids[1]]);
        assert.deepEqual(await list(ids[4]!, 10, false), []);
        assert.deepEqual(
          (await store.webhooksFor(a.id, 'isFeedHooks')).map((w) => w.id),
          [ids[0], ids[2], ids[4]],
        );
        assert.deepEqual(await store.webhooksFor(a.id, 'isThumbnailHooks'), []);
        assert.deepEqual(
          await store.listWebhooks(a.id + 1_000_000, { startingId: null, itemCount: 5, isDescending: false }),
          [],
        );
      });
    });
  });
}

function lease(
  accountId: number,
  streamName: string,
  holderId: string,
  tokenId: number,
  sourceId: string | null = null,
  multisource = false,
) {
  return { accountId, streamName, holderId, tokenId, sourceId, multisource };
}

// --- SQLite -------------------------------------------------------------------------------

contract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-contract-'));
  const path = join(dir, 'store.db');
  const store = new SqliteStore(path);
  await store.migrate();
  return {
    store,
    async another() {
      const s = new SqliteStore(path);
      await s.migrate();
      return s;
    },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// --- PostgreSQL ---------------------------------------------------------------------------

const probe: PgProbe = await probePg();
const pgSkip = 'unreachable' in probe ? probe.unreachable : undefined;

if (pgSkip !== undefined && pgRequired()) {
  it('PostgreSQL store contract', () => {
    assert.fail(`${pgSkip}; CI is set, so the PostgreSQL suites must run`);
  });
}

const adminUrl = 'adminUrl' in probe ? probe.adminUrl : '';
const databases: TestDatabase[] = [];
after(async () => {
  for (const db of databases) await db.drop();
});
const testDatabase = async () => {
  const db = await createTestDatabase(adminUrl);
  databases.push(db);
  return db;
};

contract(
  'postgres',
  async () => {
    const db = await testDatabase();
    const store = new PgStore(db.url);
    await store.migrate();
    return {
      store,
      async another() {
        const s = new PgStore(db.url, { poolMax: 4 });
        await s.migrate();
        return s;
      },
      async dispose() {
        await store.close();
      },
    };
  },
  { skip: pgSkip },
);

describe('PostgreSQL store specifics', { skip: pgSkip }, () => {
  it('migrates a fresh database once when several nodes start at the same moment', async () => {
    const db = await testDatabase();
    const nodes = Array.from({ length: 4 }, () => new PgStore(db.url, { poolMax: 2 }));
    try {
      await Promise.all(nodes.map((n) => n.migrate()));
      const { rows } = await nodes[0]!.pool.query('SELECT version FROM schema_migrations ORDER BY version');
      const versions = rows.map((r) => r.version);
      assert.deepEqual(versions, [...new Set(versions)]);
      assert.ok(versions.length >= 3);
      assert.equal(versions[0], 1);
      await nodes[1]!.migrate();
      const again = await nodes[0]!.pool.query('SELECT count(*)::int AS n FROM schema_migrations');
      assert.equal(again.rows[0].n, versions.length);
    } finally {
      for (const n of nodes) await n.close();
    }
  });

  it('is what openStore opens for postgres:// and postgresql:// URLs, pool size from the URL', async () => {
    const db = await testDatabase();
    const s1 = await openStore(`${db.url}?pool_max=3`);
    const s2 = await openStore(db.url.replace(/^postgres:/, 'postgresql:'));
    try {
      assert.ok(s1 instanceof PgStore && s2 instanceof PgStore);
      assert.equal(s1.kind, 'postgres');
      assert.equal(s1.pool.options.max, 3);
      assert.equal(s2.pool.options.max, 10);
      const a = await s1.createAccount({ name: 'n', streamAccountId: uniq() });
      assert.deepEqual(await s2.getAccount(a.id), a);
    } finally {
      await s1.close();
      await s2.close();
    }
    assert.throws(() => new PgStore(`${db.url}?pool_max=0`), /pool_max in the database URL must be an integer 1-1000/);
    assert.equal(
      parsePgUrl('postgres://u:secret@db.example:6543/sg?pool_max=5&sslmode=require').target,
      'db.example:6543/sg',
    );
    assert.equal(
      parsePgUrl('postgres://u:secret@db.example:6543/sg?pool_max=5&sslmode=require').connectionString,
      'postgres://u:secret@db.example:6543/sg?sslmode=require',
    );
  });

  it('bounds every statement: a stuck statement fails as DATABASE_UNAVAILABLE after statement_timeout', async () => {
    const db = await testDatabase();
    const parsed = parsePgUrl(`${db.url}?statement_timeout=300&pool_max=2`);
    assert.equal(parsed.statementTimeoutMs, 300);
    assert.doesNotMatch(parsed.connectionString, /statement_timeout/);
    assert.equal(parsePgUrl(db.url).statementTimeoutMs, undefined);
    assert.throws(() => new PgStore(`${db.url}?statement_timeout=0`), /statement_timeout in the database URL must be/);
    assert.throws(
      () => new PgStore(`${db.url}?statement_timeout=abc`),
      /statement_timeout in the database URL must be/,
    );

    const store = new PgStore(`${db.url}?statement_timeout=300`);
    const blocker = new pg.Client(db.url);
    await blocker.connect();
    try {
      await store.migrate();
      const a = await store.createAccount({ name: 'slow', streamAccountId: uniq() });
      // Another session holds the stream's lock, so the lease transaction cannot go on.
      await blocker.query('BEGIN');
      await blocker.query(
        "SELECT pg_advisory_xact_lock(hashtextextended('lease/' || $1::text || '/' || $2::text, 0))",
        [a.id, 'stuck'],
      );
      const t0 = Date.now();
      await assert.rejects(store.acquireLease({ ...lease(a.id, 'stuck', 'h', 1), now: 1, ttlMs: 10 }), (err: Error) => {
        assert.ok(err instanceof StoreUnavailableError, `${err}`);
        assert.match(err.detail, /statement timeout/);
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took >= 250 && took < 3000, `gave up after ${took} ms`);
      await blocker.query('ROLLBACK');
      // The pool is fine afterwards.
      assert.deepEqual(await store.acquireLease({ ...lease(a.id, 'stuck', 'h', 1), now: 1, ttlMs: 10 }), {
        acquired: true,
        started: true,
      });
    } finally {
      await blocker.end().catch(() => {});
      await store.close();
    }
    // Defaults: 5 s on the server, the client waiting one second longer.
    const plain = new PgStore(db.url);
    try {
      const opts = plain.pool.options as { statement_timeout?: number; query_timeout?: number };
      assert.deepEqual([opts.statement_timeout, opts.query_timeout], [5000, 6000]);
    } finally {
      await plain.close();
    }
  });

  it('`streamgate db migrate` migrates a PostgreSQL database', async () => {
    const db = await testDatabase();
    const r = runCli(['db', 'migrate', '--json'], { STREAMGATE_DATABASE_URL: db.url });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { migrated: true, database: 'postgres' });
    const client = new pg.Client(db.url);
    await client.connect();
    try {
      const { rows } = await client.query("SELECT to_regclass('public.tokens') IS NOT NULL AS ok");
      assert.equal(rows[0].ok, true);
    } finally {
      await client.end();
    }
  });

  it('fails at start with a clear message, without hanging, when PostgreSQL is not there', async () => {
    const port = await freePort();
    const url = `postgres://postgres:hunter2@127.0.0.1:${port}/nowhere`;
    await assert.rejects(openStore(url), (err: Error) => {
      assert.match(
        err.message,
        new RegExp(`^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/nowhere: .*ECONNREFUSED`),
      );
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
    const r = runCli(['db', 'migrate'], { STREAMGATE_DATABASE_URL: url });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/nowhere/);
  });

  it('throws StoreUnavailableError while the database is lost, and recovers by itself', async () => {
    const db = await testDatabase();
    const proxy = new TcpProxy(5432);
    const port = await proxy.start();
    const idleErrors: Error[] = [];
    const url = new URL(db.url);
    url.port = String(port);
    const store = new PgStore(url.toString(), { onIdleError: (e) => idleErrors.push(e) });
    try {
      await store.migrate();
      const a = await store.createAccount({ name: 'kept', streamAccountId: uniq() });
      const t = await store.createToken({ accountId: a.id, kind: 'publish', state: tokenState() });

      await proxy.stop(); // idle pooled connections die, new ones are refused
      await waitFor(() => idleErrors.length > 0);
      for (const call of [
        () => store.getAccount(a.id),
        () => store.createToken({ accountId: a.id, kind: 'publish', state: tokenState() }),
        () => store.acquireLease({ ...lease(a.id, 's', 'h', t.id), now: 1, ttlMs: 10 }),
        () => store.ping(),
      ]) {
        await assert.rejects(call(), (err: Error) => {
          assert.ok(err instanceof StoreUnavailableError, `${err}`);
          assert.equal(err.message, 'Database unavailable');
          assert.equal(err.code, 'DATABASE_UNAVAILABLE');
          return true;
        });
      }

      await proxy.start(port);
      assert.deepEqual(await store.getAccount(a.id), a, 'acknowledged writes survived');
      assert.deepEqual(await store.getToken(a.id, 'publish', t.id), t);
      assert.deepEqual(await store.acquireLease({ ...lease(a.id, 's', 'h', t.id), now: 1, ttlMs: 10 }), {
        acquired: true,
        started: true,
      });
    } finally {
      await store.close();
      await proxy.stop();
    }
  });

  it('throws StoreUnavailableError when a connection dies inside a transaction', async () => {
    const db = await testDatabase();
    const proxy = new TcpProxy(5432);
    const port = await proxy.start();
    const url = new URL(db.url);
    url.port = String(port);
    const store = new PgStore(url.toString(), { poolMax: 1 });
    // Direct sessions: one holds the stream's lock so the lease transaction waits mid-way, one watches.
    const blocker = new pg.Client(db.url);
    const watcher = new pg.Client(db.url);
    await blocker.connect();
    await watcher.connect();
    try {
      await store.migrate();
      const a = await store.createAccount({ name: 'tx', streamAccountId: uniq() });
      await blocker.query('BEGIN');
      await blocker.query(
        "SELECT pg_advisory_xact_lock(hashtextextended('lease/' || $1::text || '/' || $2::text, 0))",
        [a.id, 'tx'],
      );
      const pending = store.acquireLease({ ...lease(a.id, 'tx', 'h', 1), now: 1, ttlMs: 10 });
      pending.catch(() => {});
      await waitFor(async () => {
        const { rows } = await watcher.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'advisory' AND datname = current_database()",
        );
        return rows[0].n > 0;
      });
      await proxy.stop();
      await assert.rejects(pending, StoreUnavailableError);
      await blocker.query('ROLLBACK');
      await proxy.start(port);
      // The broken connection was discarded: the next transaction on the one-connection pool works.
      assert.deepEqual(await store.acquireLease({ ...lease(a.id, 'tx', 'h', 1), now: 1, ttlMs: 10 }), {
        acquired: true,
        started: true,
      });
    } finally {
      // The lock goes first, so that nothing the store has checked out waits on it while closing.
      await blocker.end().catch(() => {});
      await watcher.end().catch(() => {});
      await store.close();
      await proxy.stop();
    }
  });
});

describe('PostgreSQL connection errors', () => {
  it('tells an unreachable database from a wrong query', () => {
    const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    for (const err of [
      coded('ECONNREFUSED'),
      coded('ECONNRESET'),
      coded('57P01'),
      coded('57P03'),
      coded('08006'),
      coded('08001'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      coded('57014', 'canceling statement due to statement timeout'),
      new AggregateError([coded('ECONNREFUSED')], ''),
    ]) {
      assert.equal(isConnectionError(err), true, `${err}`);
    }
    for (const err of [coded('23505'), coded('42P01'), coded('40001'), new Error('syntax error'), 'ECONNREFUSED']) {
      assert.equal(isConnectionError(err), false, `${err}`);
    }
    const wrapped = new StoreUnavailableError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'));
    assert.equal(wrapped.message, 'Database unavailable');
    assert.equal(wrapped.statusCode, 503);
    assert.equal(wrapped.detail, 'connect ECONNREFUSED 127.0.0.1:1');
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
