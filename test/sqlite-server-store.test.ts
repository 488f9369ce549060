/**
 * The SQLite store's server mode (`new SqliteStore(path, { server: true })`): the per-file server
 * lock (one server per file, in this process or another, released on close and on kill -9) and
 * the in-memory decision cache of a sole writer, whose invalidation must make tokenForDecision
 * answer exactly what the database holds after every write, whatever its path.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { TokenKind, TokenRecord, TokenState } from '../src/domain/model.js';
import { DecisionCache } from '../src/store/sqlite/decision-cache.js';
import { ServerLockedError, SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { ROOT, startServer } from './helpers/server-process.js';
import { stateOf, tokenState, uniq } from './helpers/store-fixtures.js';

const LOCKED_MESSAGE = /^another Streamgate server is already running on /;

const lease = (accountId: number, streamName: string, holderId: string, tokenId: number) => ({
  accountId,
  streamName,
  holderId,
  tokenId,
  sourceId: null,
  multisource: false,
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'streamgate-server-store-'));
}

/** Opens and migrates a store; every store opened this way is closed by `closeAll`. */
function opener() {
  const open: SqliteStore[] = [];
  return {
    async open(path: string, server: boolean): Promise<SqliteStore> {
      const s = server ? new SqliteStore(path, { server: true }) : new SqliteStore(path);
      open.push(s);
      await s.migrate();
      return s;
    },
    async closeAll() {
      for (const s of open.splice(0)) await s.close();
    },
  };
}

/** Waits for a child's exit, returning its code/signal and everything it wrote. */
function collect(child: ChildProcess) {
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  return { exited, output: () => output };
}

describe('SQLite server lock', () => {
  const dir = tempDir();
  const stores = opener();
  after(async () => {
    await stores.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second server store on the same file until the first is closed', async () => {
    const path = join(dir, 'one.db');
    const first = await stores.open(path, true);
    assert.ok(existsSync(`${path}-server.lock`), 'the lock file sits next to the database');
    assert.ok(!existsSync(`${path}-server.lock-journal`), 'and needs no journal of its own');
    for (let attempt = 0; attempt < 2; attempt++) {
      // a failed attempt must not disturb the holder: the second one is refused too
      assert.throws(
        () => new SqliteStore(path, { server: true }),
        (err: unknown) => {
          assert.ok(err instanceof ServerLockedError, `not a ServerLockedError: ${err}`);
          assert.match(err.message, LOCKED_MESSAGE);
          assert.ok(err.message.includes(path), err.message);
          assert.equal(err.path, path);
          return true;
        },
      );
    }
    // another file is another lock
    const other = await stores.open(join(dir, 'other.db'), true);
    assert.ok(other.decisionCache instanceof DecisionCache);

    await first.close();
    const second = await stores.open(path, true);
    assert.ok(second.decisionCache instanceof DecisionCache);
    assert.throws(() => new SqliteStore(path, { server: true }), ServerLockedError);
    await second.close();
    // closing twice is harmless and keeps the lock released
    await second.close();
    const third = new SqliteStore(path, { server: true });
    await third.close();
  });

  it('lets a plain store (the CLI) open, read and write accounts and secrets while a server runs', async () => {
    const path = join(dir, 'cli.db');
    const server = await stores.open(path, true);
    const cli = await stores.open(path, false);
    assert.equal(cli.decisionCache, null);
    const account = await cli.createAccount({ name: 'from the CLI', streamAccountId: uniq('acc') });
    const hash = uniq('hash');
    const secret = await cli.createApiSecret({ accountId: account.id, label: 'cli', hash });
    assert.deepEqual(await cli.listApiSecrets(account.id), [secret]);
    assert.deepEqual(await server.getAccountByStreamAccountId(account.streamAccountId), account);
    assert.deepEqual(await server.findApiSecretByHash(hash), { secret, account });
    // and the other way round: the CLI reads what the server wrote
    const t = await server.createToken({ accountId: account.id, kind: 'publish', state: tokenState() });
    assert.deepEqual(await cli.getToken(account.id, 'publish', t.id), t);
    assert.deepEqual(await cli.listAccounts(), [account]);
    // the server still holds its lock
    assert.throws(() => new SqliteStore(path, { server: true }), ServerLockedError);
  });

  it('refuses schema migrations from a plain store (the CLI) while a server runs', async () => {
    const path = join(dir, 'migrate.db');
    const server = await stores.open(path, true);
    // As if the CLI were a newer version: the file lacks its latest migration.
    const latest = server.db.prepare('SELECT * FROM schema_migrations ORDER BY version DESC LIMIT 1').get() as {
      version: number;
      name: string;
      applied_on: number;
    };
    server.db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(latest.version);
    const cli = new SqliteStore(path);
    try {
      await assert.rejects(cli.migrate(), /needs schema migrations, but a Streamgate server is running on it/);
      // with nothing pending, a plain store opens beside the server as before
      server.db
        .prepare('INSERT INTO schema_migrations (version, name, applied_on) VALUES (?, ?, ?)')
        .run(latest.version, latest.name, latest.applied_on);
      await cli.migrate();
    } finally {
      await cli.close();
    }
  });

  describe('across processes', () => {
    const child = join(dir, 'child.mts');
    const moduleUrl = pathToFileURL(join(ROOT, 'src/store/sqlite/sqlite-store.ts')).href;
    before(() => {
      writeFileSync(
        child,
        `const [path, mode] = process.argv.slice(2);
const { ServerLockedError, SqliteStore } = await import(${JSON.stringify(moduleUrl)});
try {
  new SqliteStore(path, { server: true });
} catch (err) {
  if (!(err instanceof ServerLockedError)) throw err;
  console.log('LOCKED', err.message);
  process.exit(3);
}
console.log('HELD');
if (mode === 'hold') setInterval(() => {}, 60_000);
else process.exit(0);
`,
      );
    });
    const run = (path: string, mode: 'try' | 'hold') =>
      spawn(process.execPath, ['--import', 'tsx', child, path, mode], { cwd: ROOT, stdio: 'pipe' });

    it('a server in another process is refused while this one holds the lock', async () => {
      const path = join(dir, 'cross.db');
      const server = await stores.open(path, true);
      const { exited, output } = collect(run(path, 'try'));
      const { code } = await exited;
      assert.equal(code, 3, output());
      assert.match(output(), /^LOCKED another Streamgate server is already running on /m);
      await server.close();
    });

    it('a lock held by a process killed with SIGKILL is released by the system', async () => {
      const path = join(dir, 'killed.db');
      const proc = run(path, 'hold');
      const { exited, output } = collect(proc);
      try {
        const deadline = Date.now() + 15_000;
        while (!output().includes('HELD')) {
          assert.ok(Date.now() < deadline && proc.exitCode === null, `child did not take the lock: ${output()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        // the other direction: this process is refused while the child holds the lock
        assert.throws(
          () => new SqliteStore(path, { server: true }),
          (err: unknown) => err instanceof ServerLockedError && LOCKED_MESSAGE.test(err.message),
        );
      } finally {
        proc.kill('SIGKILL');
      }
      assert.equal((await exited).signal, 'SIGKILL');
      const after = await stores.open(path, true);
      assert.ok(after.decisionCache instanceof DecisionCache);
      await after.close();
    });

    it('`streamgate serve` refuses to start on a sqlite: file another server is serving', async () => {
      const databaseUrl = `sqlite:${join(dir, 'serve.db')}`;
      const first = await startServer({ databaseUrl });
      try {
        // the CLI (a plain store) still works beside the running server
        const acct = first.createAccount('beside the server');
        assert.equal(typeof acct.apiSecret, 'string');
        const err = await startServer({ databaseUrl }).then(
          async (second) => {
            await second.stop();
            return null;
          },
          (e: unknown) => e,
        );
        assert.ok(err instanceof Error, 'a second server started on the same SQLite file');
        assert.match(err.message, /^server exited early \(1\): /);
        assert.ok(err.message.includes('another Streamgate server is already running'), err.message);
        // the first server is unharmed
        assert.equal((await fetch(`${first.url}/readyz`)).status, 200);
      } finally {
        await first.stop();
      }
    });
  });
});

describe('decision cache invalidation (server store)', () => {
  const dir = tempDir();
  const stores = opener();
  let store: SqliteStore;
  let cache: DecisionCache;
  let accountId: number;
  const NOW = 10_000_000;
  before(async () => {
    store = await stores.open(join(dir, 'cache.db'), true);
    assert.ok(store.decisionCache instanceof DecisionCache);
    cache = store.decisionCache;
    accountId = (await store.createAccount({ name: 'acme', streamAccountId: uniq('acc') })).id;
  });
  after(async () => {
    await stores.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const seed = (over: Partial<TokenState> = {}, kind: TokenKind = 'publish') =>
    store.createToken({ accountId, kind, state: tokenState(over) });
  const byValue = (t: { token: string }, stream = 'feed', now = NOW, kind: TokenKind = 'publish') =>
    store.tokenForDecision(kind, { value: t.token }, stream, now);
  const byId = (t: { id: number }, stream = 'feed', now = NOW, kind: TokenKind = 'publish') =>
    store.tokenForDecision(kind, { id: t.id }, stream, now);
  /** Reads once by value and once by id, so both are cached, and checks they are `t`. */
  async function warm(t: TokenRecord) {
    assert.deepEqual((await byValue(t))?.token, t);
    assert.deepEqual((await byId(t))?.token, t);
  }
  const drops = () => cache.drops;

  it('serves repeated reads from memory: the very same object, no database read', async () => {
    const t = await seed();
    const a = await byValue(t);
    const b = await byValue(t);
    const c = await byId(t);
    assert.ok(a && b && c);
    assert.deepEqual(a.token, t);
    assert.equal(a.token, b.token, 'a second read returned another object: not served from memory');
    assert.equal(a.token, c.token, 'by id and by value share one cached record');
    assert.ok(Object.isFrozen(a.token), 'a shared cached record must be frozen');
    // the kind is part of the key, by value and by id
    assert.equal(await byValue(t, 'feed', NOW, 'subscribe'), null);
    assert.equal(await byId(t, 'feed', NOW, 'subscribe'), null);
    assert.equal(await byValue({ token: uniq('none') }), null);
    assert.equal(await byId({ id: t.id + 1_000_000 }), null);
  });

  it('a token created after a miss is found (misses are not remembered)', async () => {
    const value = uniq('later');
    assert.equal(await byValue({ token: value }), null);
    const before = drops().tokens;
    const t = await seed({ token: value });
    assert.ok(drops().tokens > before, 'the INSERT trigger did not fire');
    assert.deepEqual((await byValue(t))?.token, t);
  });

  it('updateToken (deactivated, new streams) is seen at once', async () => {
    const t = await seed();
    await warm(t);
    const before = drops().tokens;
    const streams = [{ streamName: 'other', isRegex: false }];
    const updated = await store.updateToken(accountId, 'publish', t.id, t.version, {
      ...stateOf(t),
      isActive: false,
      streams,
    });
    assert.ok(updated);
    assert.ok(drops().tokens > before, 'the UPDATE trigger did not fire');
    for (const got of [await byValue(t), await byId(t)]) {
      assert.deepEqual(got?.token, updated);
      assert.equal(got?.token.isActive, false);
      assert.deepEqual(got?.token.streams, streams);
      assert.equal(got?.token.version, t.version + 1);
    }
  });

  it('updateToken with a new value: the old value is gone, the new one found', async () => {
    const t = await seed();
    await warm(t);
    const fresh = uniq('refreshed');
    const updated = await store.updateToken(accountId, 'publish', t.id, t.version, { ...stateOf(t), token: fresh });
    assert.ok(updated);
    assert.equal(await byValue(t), null, 'the replaced value still authorizes');
    assert.deepEqual((await byValue({ token: fresh }))?.token, updated);
    assert.equal((await byId(t))?.token.token, fresh);
  });

  it('deleteToken: gone by value and by id', async () => {
    for (const first of ['value', 'id'] as const) {
      const t = await seed();
      // warm only one path, then the other, so each is checked as a cached entry
      if (first === 'value') await byValue(t);
      else await byId(t);
      const before = drops().tokens;
      assert.equal(await store.deleteToken(accountId, 'publish', t.id), true);
      assert.ok(drops().tokens > before, 'the DELETE trigger did not fire');
      assert.equal(await byValue(t), null);
      assert.equal(await byId(t), null);
    }
  });

  it('disableTokens deactivates cached tokens', async () => {
    const t1 = await seed();
    const t2 = await seed();
    const untouched = await seed();
    for (const t of [t1, t2, untouched]) await warm(t);
    assert.deepEqual(await store.disableTokens(accountId, 'publish', [t1.id, t2.id]), [t1.id, t2.id]);
    for (const t of [t1, t2]) {
      assert.equal((await byValue(t))?.token.isActive, false);
      assert.equal((await byId(t))?.token.isActive, false);
    }
    assert.equal((await byValue(untouched))?.token.isActive, true);
  });

  it('bindIp adds the address to the cached record', async () => {
    const t = await seed({ bindIpsOnUsage: 2 });
    await warm(t);
    assert.equal(await store.bindIp(t.id, '192.0.2.7', 2), 'bound');
    assert.deepEqual((await byValue(t))?.token.allowedIpAddresses, ['192.0.2.7']);
    assert.equal(await store.bindIp(t.id, '192.0.2.8', 2), 'bound');
    assert.deepEqual((await byId(t))?.token.allowedIpAddresses, ['192.0.2.7', '192.0.2.8']);
    assert.equal(await store.bindIp(t.id, '192.0.2.9', 2), 'full');
    assert.deepEqual((await byValue(t))?.token.allowedIpAddresses, ['192.0.2.7', '192.0.2.8']);
  });

  it('raw SQL through store.db invalidates too: UPDATE, DELETE, and an account cascade', async () => {
    const t = await seed();
    await warm(t);
    let before = drops().tokens;
    assert.equal(store.db.prepare('UPDATE tokens SET is_active = 0 WHERE id = ?').run(t.id).changes, 1);
    assert.ok(drops().tokens > before);
    assert.equal((await byValue(t))?.token.isActive, false);
    assert.equal((await byId(t))?.token.isActive, false);

    before = drops().tokens;
    assert.equal(store.db.prepare('DELETE FROM tokens WHERE token = ?').run(t.token).changes, 1);
    assert.ok(drops().tokens > before);
    assert.equal(await byValue(t), null);
    assert.equal(await byId(t), null);

    // deleting an account removes its tokens by ON DELETE CASCADE, which fires the triggers too
    const doomed = await store.createAccount({ name: 'doomed', streamAccountId: uniq('acc') });
    const d = await store.createToken({ accountId: doomed.id, kind: 'subscribe', state: tokenState() });
    assert.deepEqual((await byValue(d, 'feed', NOW, 'subscribe'))?.token, d);
    store.db.prepare('DELETE FROM accounts WHERE id = ?').run(doomed.id);
    assert.equal(await byValue(d, 'feed', NOW, 'subscribe'), null);
    assert.equal(await byId(d, 'feed', NOW, 'subscribe'), null);
  });

  it('INSERT OR REPLACE on a token value evicts the replaced row', async () => {
    const t = await seed();
    await warm(t);
    // REPLACE deletes the row holding the value; its DELETE trigger fires only because the server
    // connection turns recursive_triggers on (the INSERT trigger names only the new id).
    store.db
      .prepare(
        `INSERT OR REPLACE INTO tokens (account_id, kind, label, token, added_on, is_active, streams,
           allowed_origins, allowed_ip_addresses) VALUES (?, 'publish', 'replaced', ?, 0, 0, '[]', '[]', '[]')`,
      )
      .run(accountId, t.token);
    const row = store.db.prepare('SELECT id FROM tokens WHERE token = ?').get(t.token) as { id: number };
    assert.notEqual(row.id, t.id);
    assert.equal((await byValue(t))?.token.id, row.id);
    assert.equal(await byId(t), null);
  });

  it('a write rolled back after a read inside its transaction leaves nothing stale', async () => {
    const t = await seed();
    await warm(t);
    store.db.exec('BEGIN');
    store.db.prepare('UPDATE tokens SET is_active = 0 WHERE id = ?').run(t.id);
    assert.equal((await byValue(t))?.token.isActive, false);
    store.db.exec('ROLLBACK');
    // ROLLBACK restores the row without firing any trigger: reads inside a transaction keep nothing
    assert.equal((await byValue(t))?.token.isActive, true);
  });

  describe('live leases', () => {
    const TTL = 1000;
    const live = async (t: TokenRecord, now: number, stream = 'feed') => (await byId(t, stream, now))?.liveLeases;

    it('acquire, renew, release are seen at once', async () => {
      const t = await seed();
      assert.equal(await live(t, NOW), 0);
      assert.equal(await live(t, NOW), 0);
      let before = drops().leases;
      assert.deepEqual(await store.acquireLease({ ...lease(accountId, 'feed', 'h1', t.id), now: NOW, ttlMs: TTL }), {
        acquired: true,
        started: true,
      });
      assert.ok(drops().leases > before, 'the lease INSERT trigger did not fire');
      assert.equal(await live(t, NOW), 1);
      assert.equal(await live(t, NOW, 'elsewhere'), 0, 'leases are per stream');
      assert.equal(await live(t, NOW + TTL - 1), 1);

      before = drops().leases;
      assert.equal(await store.renewLease(accountId, 'feed', 'h1', NOW + 500, TTL), true);
      assert.ok(drops().leases > before, 'the lease UPDATE trigger did not fire');
      // live past the first expiry, until the renewed one
      assert.equal(await live(t, NOW + TTL + 100), 1);
      assert.equal(await live(t, NOW + 500 + TTL - 1), 1);
      assert.equal(await live(t, NOW + 500 + TTL), 0);

      before = drops().leases;
      assert.deepEqual(await store.releaseLease(accountId, 'feed', 'h1', NOW + 600), { released: true, ended: true });
      assert.ok(drops().leases > before, 'the lease DELETE trigger did not fire');
      assert.equal(await live(t, NOW + 600), 0);
    });

    it('a lease lapses with time alone, without any write', async () => {
      const t = await seed();
      const stream = 'lapsing';
      await store.acquireLease({ ...lease(accountId, stream, 'h', t.id), now: NOW, ttlMs: TTL });
      assert.equal(await live(t, NOW, stream), 1);
      const before = drops();
      assert.equal(await live(t, NOW + TTL - 1, stream), 1);
      assert.equal(await live(t, NOW + TTL, stream), 0);
      assert.equal(await live(t, NOW + 10 * TTL, stream), 0);
      assert.deepEqual(drops(), before, 'nothing was written, yet an invalidation ran');
    });

    it('expireLeases and a raw INSERT into live_leases are seen at once', async () => {
      const t = await seed();
      const stream = 'expiring';
      await store.acquireLease({ ...lease(accountId, stream, 'h', t.id), now: NOW, ttlMs: TTL });
      assert.equal(await live(t, NOW, stream), 1);
      let before = drops().leases;
      const expired = await store.expireLeases(NOW + TTL);
      assert.ok(expired.some((l) => l.streamName === stream));
      assert.ok(drops().leases > before);
      assert.equal(await live(t, NOW, stream), 0, 'an expired (deleted) lease still counted');

      before = drops().leases;
      store.db
        .prepare(
          `INSERT INTO live_leases (account_id, stream_name, holder_id, token_id, source_id, started_on, expires_on)
           VALUES (?, ?, 'raw', ?, NULL, ?, ?)`,
        )
        .run(accountId, stream, t.id, NOW, NOW + TTL);
      assert.ok(drops().leases > before);
      assert.equal(await live(t, NOW, stream), 1);
      store.db.prepare('DELETE FROM live_leases WHERE stream_name = ?').run(stream);
      assert.equal(await live(t, NOW, stream), 0);
    });
  });
});

/** mulberry32: a small seeded PRNG, so a failing run can be replayed exactly. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decision cache against the database (randomized model)', () => {
  const dir = tempDir();
  const stores = opener();
  after(async () => {
    await stores.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const seed of [1, 20240607, 0xc0ffee]) {
    it(`a server store answers as a plain reader of the same file (seed ${seed})`, async () => {
      const path = join(dir, `model-${seed}.db`);
      const server = await stores.open(path, true);
      const reader = await stores.open(path, false);
      assert.ok(server.decisionCache instanceof DecisionCache);
      assert.equal(reader.decisionCache, null, 'the reference must read the database every time');

      const rand = mulberry32(seed);
      const int = (n: number) => Math.floor(rand() * n);
      const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
      const STREAMS = ['a', 'b', 'c'] as const;
      const HOLDERS = ['h1', 'h2', 'h3'] as const;
      const IPS = ['198.51.100.1', '198.51.100.2', '198.51.100.3'] as const;
      const KINDS: readonly TokenKind[] = ['publish', 'subscribe'];
      const accounts = [
        (await server.createAccount({ name: 'one', streamAccountId: uniq('m') })).id,
        (await server.createAccount({ name: 'two', streamAccountId: uniq('m') })).id,
      ];
      /** Every value and id ever handed out (deleted and replaced ones included), plus unknown ones. */
      const values: string[] = [uniq('never')];
      const ids: number[] = [999_999];
      let now = 50_000_000;
      let counter = 0;
      const nextValue = () => `v${seed}-${counter++}`;

      /** The tokens now in the file, as the plain reader sees them. */
      const current = async (): Promise<TokenRecord[]> => {
        const rows = reader.db.prepare('SELECT id, kind, account_id FROM tokens ORDER BY id').all() as {
          id: number;
          kind: TokenKind;
          account_id: number;
        }[];
        const found = await Promise.all(rows.map((r) => reader.getToken(r.account_id, r.kind, r.id)));
        return found.filter((t): t is TokenRecord => t !== null);
      };

      const randomStreams = () =>
        STREAMS.filter(() => rand() < 0.5).map((streamName) => ({ streamName, isRegex: false }));

      const ops: Record<string, () => Promise<unknown>> = {
        async create() {
          const value = nextValue();
          const t = await server.createToken({
            accountId: pick(accounts),
            kind: pick(KINDS),
            state: tokenState({
              token: value,
              streams: randomStreams(),
              bindIpsOnUsage: int(3),
              isActive: rand() < 0.8,
            }),
          });
          values.push(value);
          ids.push(t.id);
        },
        async update() {
          const all = await current();
          if (all.length === 0) return;
          const t = pick(all);
          // sometimes with a stale version: the compare-and-set refuses and nothing changes
          const version = rand() < 0.15 ? t.version - 1 : t.version;
          await server.updateToken(t.accountId, t.kind, t.id, version, {
            ...stateOf(t),
            label: uniq('label'),
            isActive: rand() < 0.6,
            streams: randomStreams(),
            allowedOrigins: rand() < 0.3 ? ['*.example.com'] : [],
          });
        },
        async refresh() {
          const all = await current();
          if (all.length === 0) return;
          const t = pick(all);
          const value = nextValue();
          values.push(value);
          await server.updateToken(t.accountId, t.kind, t.id, t.version, { ...stateOf(t), token: value });
        },
        async disable() {
          const kind = pick(KINDS);
          const some = ids.filter(() => rand() < 0.3);
          await server.disableTokens(pick(accounts), kind, some);
        },
        async remove() {
          const all = await current();
          if (all.length === 0) return;
          const t = pick(all);
          await server.deleteToken(t.accountId, t.kind, t.id);
        },
        async bindIp() {
          await server.bindIp(pick(ids), pick(IPS), 1 + int(3));
        },
        async rawSql() {
          if (rand() < 0.5) {
            server.db
              .prepare('UPDATE tokens SET is_active = 1 - is_active, version = version + 1 WHERE id = ?')
              .run(pick(ids));
          } else {
            server.db
              .prepare('UPDATE live_leases SET expires_on = expires_on + 700 WHERE account_id = ? AND stream_name = ?')
              .run(pick(accounts), pick(STREAMS));
          }
        },
        async acquire() {
          await server.acquireLease({
            accountId: pick(accounts),
            streamName: pick(STREAMS),
            holderId: pick(HOLDERS),
            tokenId: pick(ids),
            sourceId: rand() < 0.5 ? pick(['s1', 's2']) : null,
            multisource: rand() < 0.5,
            now,
            ttlMs: 500 + int(2000),
          });
        },
        async renew() {
          await server.renewLease(pick(accounts), pick(STREAMS), pick(HOLDERS), now, 500 + int(2000));
        },
        async release() {
          await server.releaseLease(pick(accounts), pick(STREAMS), pick(HOLDERS), now);
        },
        async expire() {
          await server.expireLeases(now);
        },
        async tick() {
          now += int(1500);
        },
      };
      const names = Object.keys(ops);
      const seen = new Map<string, number>();

      let hits = 0;
      for (let step = 0; step < 300; step++) {
        const name = pick(names);
        seen.set(name, (seen.get(name) ?? 0) + 1);
        await ops[name]!();
        // the probes: recent and random values and ids (deleted and replaced ones included)
        const probeValues = [...values.slice(-3), pick(values), pick(values)];
        const probeIds = [...ids.slice(-2), pick(ids), pick(ids)];
        const probes = [
          ...probeValues.map((value) => ({ value }) as { value: string } | { id: number }),
          ...probeIds.map((id) => ({ id })),
        ];
        const at = now + pick([0, 0, 250, 1000]);
        for (const by of probes) {
          for (const kind of KINDS) {
            for (const stream of STREAMS) {
              const want = await reader.tokenForDecision(kind, by, stream, at);
              const got = await server.tokenForDecision(kind, by, stream, at);
              assert.deepEqual(
                got,
                want,
                `seed ${seed}, step ${step} (${name}): ${kind} ${JSON.stringify(by)} on ${stream} at ${at}`,
              );
              if (got) {
                const again = await server.tokenForDecision(kind, by, stream, at);
                if (again?.token === got.token) hits++;
              }
            }
          }
        }
      }
      // the run exercised every operation and the cache actually answered
      assert.deepEqual([...seen.keys()].sort(), [...names].sort());
      assert.ok(hits > 100, `the cache served only ${hits} repeated reads`);
      const { tokens, leases } = server.decisionCache.drops;
      assert.ok(tokens > 50 && leases > 20, `few invalidations ran: ${tokens} token, ${leases} lease`);
    });
  }
});

describe('which stores cache decisions', () => {
  // read through a call, so that asserting null does not narrow the getter's type for good
  const cacheOf = (s: SqliteStore) => s.decisionCache;
  const dir = tempDir();
  const stores = opener();
  after(async () => {
    await stores.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an in-memory store is its own sole writer: it caches once migrated', async () => {
    const mem = new SqliteStore(':memory:');
    try {
      assert.equal(cacheOf(mem), null, 'no cache before the schema exists');
      await mem.migrate();
      assert.ok(mem.decisionCache instanceof DecisionCache);
      const cache = mem.decisionCache;
      await mem.migrate();
      assert.equal(mem.decisionCache, cache, 'migrate() again keeps the one cache');

      const a = await mem.createAccount({ name: 'm', streamAccountId: uniq('m') });
      const t = await mem.createToken({ accountId: a.id, kind: 'subscribe', state: tokenState() });
      const first = await mem.tokenForDecision('subscribe', { value: t.token }, 'feed', 0);
      const second = await mem.tokenForDecision('subscribe', { value: t.token }, 'feed', 0);
      assert.ok(first && second);
      assert.equal(first.token, second.token);
      mem.db.prepare('UPDATE tokens SET label = ? WHERE id = ?').run('changed', t.id);
      assert.equal((await mem.tokenForDecision('subscribe', { value: t.token }, 'feed', 0))?.token.label, 'changed');
    } finally {
      await mem.close();
    }
  });

  it('a plain file store never caches; a server store caches once migrated', async () => {
    const path = join(dir, 'plain.db');
    const plain = await stores.open(path, false);
    assert.equal(plain.decisionCache, null);
    await plain.migrate();
    assert.equal(plain.decisionCache, null);
    const a = await plain.createAccount({ name: 'p', streamAccountId: uniq('p') });
    const t = await plain.createToken({ accountId: a.id, kind: 'publish', state: tokenState() });
    assert.deepEqual((await plain.tokenForDecision('publish', { id: t.id }, 'feed', 0))?.token, t);

    const server = new SqliteStore(path, { server: true });
    try {
      assert.equal(cacheOf(server), null, 'no cache before migrate()');
      await server.migrate();
      assert.ok(server.decisionCache instanceof DecisionCache);
      assert.deepEqual((await server.tokenForDecision('publish', { id: t.id }, 'feed', 0))?.token, t);
    } finally {
      await server.close();
    }
  });
});
