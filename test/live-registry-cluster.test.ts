/**
 * A stream whose leases lapse is announced as ended exactly once, however many nodes sweep at
 * the same moment and whatever release runs alongside: LiveRegistry over several PgStores on one
 * database (each store is what one node holds), with a clock the test moves. The single-node
 * rules are checked on SQLite as well.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LiveRegistry, type StreamEvent } from '../src/domain/live-registry.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase, pgRequired, probePg, type TestDatabase } from './helpers/pg.js';

const probe = await probePg();
if ('unreachable' in probe && pgRequired()) throw new Error(`CI requires PostgreSQL: ${probe.unreachable}`);

const T0 = 1_000_000;
const LEASE_MS = 1000;

interface Node {
  readonly live: LiveRegistry;
  readonly events: StreamEvent[];
}

function nodesOn(stores: readonly Store[], clock: { now: number }): Node[] {
  return stores.map((store) => {
    const live = new LiveRegistry(store, LEASE_MS, () => clock.now);
    const events: StreamEvent[] = [];
    live.on('stream', (e) => events.push(e));
    return { live, events };
  });
}

const summary = (nodes: readonly Node[], streamName: string) =>
  nodes.flatMap((n, i) =>
    n.events.filter((e) => e.streamName === streamName).map((e) => `${i}:${e.type}:${e.tokenId}`),
  );

const publisher = (accountId: number, streamName: string, holderId: string, tokenId: number, sourceId: string) => ({
  accountId,
  streamName,
  holderId,
  tokenId,
  sourceId,
  multisource: true,
});

describe('lease expiry across nodes (PostgreSQL)', {
  skip: 'unreachable' in probe ? probe.unreachable : undefined,
}, () => {
  let db: TestDatabase;
  let stores: PgStore[];
  let accountId: number;
  before(async () => {
    if (!('adminUrl' in probe)) return;
    db = await createTestDatabase(probe.adminUrl);
    stores = [0, 1, 2].map(() => new PgStore(db.url, { poolMax: 3 }));
    await stores[0]!.migrate();
    accountId = (await stores[0]!.createAccount({ name: 'sweep', streamAccountId: 'sweep1' })).id;
  });
  after(async () => {
    for (const s of stores ?? []) await s.close();
    await db?.drop();
  });

  it('three nodes sweeping at once announce a lapsed multisource stream once', async () => {
    for (let round = 0; round < 5; round++) {
      const clock = { now: T0 + round * 100_000 };
      const nodes = nodesOn(stores, clock);
      const name = `ms-${round}`;
      await nodes[0]!.live.acquire(publisher(accountId, name, 'h1', 11, 's1'));
      await nodes[1]!.live.acquire(publisher(accountId, name, 'h2', 12, 's2'));
      await nodes[2]!.live.acquire(publisher(accountId, name, 'h3', 13, 's3'));
      clock.now += LEASE_MS;
      await Promise.all(nodes.map((n) => n.live.sweep()));
      const got = summary(nodes, name);
      assert.equal(got.filter((e) => e.endsWith(':started:11')).length, 1);
      assert.equal(got.filter((e) => e.includes(':ended:')).length, 1, JSON.stringify(got));
      assert.deepEqual(await stores[0]!.liveLeases(accountId, name, clock.now), []);
    }
  });

  it('a release that ends the stream clears lapsed leases, so no sweeper announces the end again', async () => {
    const clock = { now: T0 + 1_000_000 };
    const nodes = nodesOn(stores, clock);
    // h1 lapses first (shorter lease), h2 is still live and leaves through publish done.
    await stores[0]!.acquireLease({ ...publisher(accountId, 'rel', 'h1', 21, 's1'), now: clock.now, ttlMs: 100 });
    await nodes[0]!.live.acquire(publisher(accountId, 'rel', 'h2', 22, 's2'));
    clock.now += 200;
    // Nothing to end yet: h2 is live (and the lapsed h1 stays out of every read).
    await Promise.all(nodes.map((n) => n.live.sweep()));
    assert.deepEqual(summary(nodes, 'rel'), []);
    assert.deepEqual(
      (await nodes[2]!.live.leases(accountId, 'rel')).map((l) => l.holderId),
      ['h2'],
    );
    assert.equal(await nodes[1]!.live.release(accountId, 'rel', 'h2', 22), true);
    clock.now += 10_000;
    await Promise.all(nodes.map((n) => n.live.sweep()));
    assert.deepEqual(summary(nodes, 'rel'), ['1:ended:22']);
  });

  it('a stream whose last lease lapses after another ended announces one end, naming the last publisher', async () => {
    const clock = { now: T0 + 2_000_000 };
    const nodes = nodesOn(stores, clock);
    await stores[0]!.acquireLease({ ...publisher(accountId, 'tail', 'h1', 31, 's1'), now: clock.now, ttlMs: 100 });
    await stores[1]!.acquireLease({ ...publisher(accountId, 'tail', 'h2', 32, 's2'), now: clock.now, ttlMs: 500 });
    clock.now += 200;
    await Promise.all(nodes.map((n) => n.live.sweep()));
    assert.deepEqual(summary(nodes, 'tail'), []);
    clock.now += 400;
    await Promise.all(nodes.map((n) => n.live.sweep()));
    const got = summary(nodes, 'tail');
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.match(got[0]!, /^\d:ended:32$/);
  });

  it('a publisher taking a lapsed stream no one swept announces the old end, then its start, once', async () => {
    const clock = { now: T0 + 4_000_000 };
    const nodes = nodesOn(stores, clock);
    await nodes[0]!.live.acquire({ ...publisher(accountId, 'unswept', 'old', 51, 'o'), multisource: false });
    clock.now += LEASE_MS + 1;
    await nodes[1]!.live.acquire({ ...publisher(accountId, 'unswept', 'new', 52, 'n'), multisource: false });
    await Promise.all(nodes.map((n) => n.live.sweep()));
    assert.deepEqual(summary(nodes, 'unswept'), ['0:started:51', '1:ended:51', '1:started:52']);
  });

  it('a publisher that takes the stream between expiry and the check does not swallow the end', async () => {
    // The sweep deleted the lapsed lease; a new publisher came before the sweep read what is left.
    const clock = { now: T0 + 3_000_000 };
    const store = stores[0]!;
    const live = new LiveRegistry(
      {
        ...Object.fromEntries(
          Object.getOwnPropertyNames(PgStore.prototype).map((k) => [k, (store as any)[k]?.bind(store)]),
        ),
        kind: 'postgres',
        expireLeases: async (now: number) => {
          const gone = await store.expireLeases(now);
          await store.acquireLease({ ...publisher(accountId, 'race', 'new', 42, 'n'), now, ttlMs: LEASE_MS });
          return gone;
        },
      } as unknown as Store,
      LEASE_MS,
      () => clock.now,
    );
    const events: StreamEvent[] = [];
    live.on('stream', (e) => events.push(e));
    await store.acquireLease({ ...publisher(accountId, 'race', 'old', 41, 'o'), now: clock.now, ttlMs: 100 });
    clock.now += 100;
    await live.sweep();
    assert.deepEqual(
      events.map((e) => `${e.type}:${e.tokenId}`),
      ['ended:41'],
    );
  });
});

describe('lease expiry on one node (SQLite)', () => {
  let dir: string;
  let store: SqliteStore;
  let accountId: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streamgate-sweep-'));
    store = new SqliteStore(join(dir, 'db.sqlite'));
    await store.migrate();
    accountId = (await store.createAccount({ name: 'sweep', streamAccountId: 'sweep1' })).id;
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a multisource stream once, when its last source lapses', async () => {
    const clock = { now: T0 };
    const [node] = nodesOn([store], clock);
    await store.acquireLease({ ...publisher(accountId, 'tail', 'h1', 31, 's1'), now: clock.now, ttlMs: 100 });
    await store.acquireLease({ ...publisher(accountId, 'tail', 'h2', 32, 's2'), now: clock.now, ttlMs: 500 });
    clock.now += 200;
    await node!.live.sweep();
    assert.deepEqual(summary([node!], 'tail'), []);
    clock.now += 400;
    await node!.live.sweep();
    await node!.live.sweep();
    assert.deepEqual(summary([node!], 'tail'), ['0:ended:32']);
  });
  it('a publisher taking a lapsed stream no one swept announces the old end first, and a sweep adds nothing', async () => {
    const clock = { now: T0 + 10_000 };
    const [node] = nodesOn([store], clock);
    await node!.live.acquire({ ...publisher(accountId, 'unswept', 'old', 51, 'o'), multisource: false });
    clock.now += LEASE_MS + 1;
    await node!.live.acquire({ ...publisher(accountId, 'unswept', 'new', 52, 'n'), multisource: false });
    await node!.live.sweep();
    assert.deepEqual(summary([node!], 'unswept'), ['0:started:51', '0:ended:51', '0:started:52']);
  });

  it('a release that ends the stream beside a lapsed lease is the only end announced', async () => {
    const clock = { now: T0 + 20_000 };
    const [node] = nodesOn([store], clock);
    await store.acquireLease({ ...publisher(accountId, 'rel', 'h1', 61, 's1'), now: clock.now, ttlMs: 100 });
    await node!.live.acquire(publisher(accountId, 'rel', 'h2', 62, 's2'));
    clock.now += 200;
    assert.equal(await node!.live.release(accountId, 'rel', 'h2', 62), true);
    clock.now += 10_000;
    await node!.live.sweep();
    assert.deepEqual(summary([node!], 'rel'), ['0:ended:62']);
  });
});
