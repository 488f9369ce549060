/**
 * The PostgreSQL LISTEN/NOTIFY stream event bus against the real local server: each listener of
 * each node hears each event exactly once (own events included), malformed notifications are
 * dropped, and a node whose listening connection drops reconnects by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { StreamBusEvent } from '../src/domain/events.js';
import { PgEventBus, STREAM_EVENTS_CHANNEL } from '../src/store/postgres/pg-event-bus.js';
import { createTestDatabase, pgRequired, probePg, type TestDatabase } from './helpers/pg.js';
import { freePort } from './helpers/server-process.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

const probe = await probePg();
if ('unreachable' in probe && pgRequired()) throw new Error(`CI requires PostgreSQL: ${probe.unreachable}`);
const skip = 'unreachable' in probe ? probe.unreachable : undefined;

const ev = (streamName: string, type: 'started' | 'ended' = 'started', at = 1_700_000_000_000): StreamBusEvent => ({
  type,
  accountId: 7,
  streamName,
  tokenId: 42,
  at,
});

async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits long enough for a stray second delivery to have arrived (NOTIFY on loopback takes ~1 ms). */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('PgEventBus (LISTEN/NOTIFY)', { skip }, () => {
  let db: TestDatabase;
  const buses: PgEventBus[] = [];
  const bus = async (url: string, options: ConstructorParameters<typeof PgEventBus>[1] = {}) => {
    const b = new PgEventBus(url, options);
    buses.push(b);
    await b.start();
    return b;
  };

  before(async () => {
    if (!('adminUrl' in probe)) return;
    db = await createTestDatabase(probe.adminUrl);
  });
  after(async () => {
    for (const b of buses) await b.close();
    await db?.drop();
  });

  it('delivers each event once to every listener of every node, the publishing node included', async () => {
    const nodes = [await bus(db.url), await bus(db.url), await bus(db.url)];
    const heard: StreamBusEvent[][] = [[], [], [], []];
    nodes[0]!.subscribe((e) => heard[0]!.push(e));
    nodes[1]!.subscribe((e) => heard[1]!.push(e));
    nodes[2]!.subscribe((e) => heard[2]!.push(e));
    // A second listener on one node hears its own copy.
    nodes[2]!.subscribe((e) => heard[3]!.push(e));

    await nodes[0]!.publish(ev('once-a'));
    await nodes[1]!.publish(ev('once-b', 'ended', 5));
    await waitFor(() => heard.every((h) => h.length === 2), 5000, 'two events everywhere');
    await settle();
    for (const h of heard) {
      assert.deepEqual(h, [ev('once-a'), ev('once-b', 'ended', 5)]);
    }
  });

  it('does not deliver on publish itself: an own event arrives through NOTIFY, after publish resolved', async () => {
    const node = await bus(db.url);
    const heard: string[] = [];
    node.subscribe((e) => heard.push(e.streamName));
    const done = node.publish(ev('own'));
    assert.deepEqual(heard, [], 'nothing delivered synchronously');
    await done;
    await waitFor(() => heard.length === 1);
    await settle();
    assert.deepEqual(heard, ['own']);
  });

  it('publishes through a given pool when asked to', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const sent: string[] = [];
    try {
      const a = await bus(db.url, {
        notify: (sql, values) => {
          sent.push(sql);
          return pool.query(sql, values);
        },
      });
      const b = await bus(db.url);
      const heard: string[] = [];
      b.subscribe((e) => heard.push(e.streamName));
      await a.publish(ev('via-pool'));
      await waitFor(() => heard.length === 1);
      assert.deepEqual(heard, ['via-pool']);
      assert.deepEqual(sent, ['SELECT pg_notify($1, $2)']);
    } finally {
      await pool.end();
    }
  });

  it('drops notifications that are not stream events, and keeps listening', async () => {
    const invalid: string[] = [];
    const node = await bus(db.url, { onInvalidMessage: (p) => invalid.push(p) });
    const heard: StreamBusEvent[] = [];
    node.subscribe((e) => heard.push(e));
    const raw = new pg.Client(db.url);
    await raw.connect();
    try {
      const bad = [
        'not json',
        '{"node":"x","seq":1,"event":{"type":"paused","accountId":1,"streamName":"s","tokenId":1,"at":1}}',
        '{"node":"x","seq":1,"event":{"type":"started","accountId":"1","streamName":"s","tokenId":1,"at":1}}',
        '{"node":"x","seq":1,"event":{"type":"started","accountId":1,"tokenId":1,"at":1}}',
        '{"node":"x","event":{"type":"started","accountId":1,"streamName":"s","tokenId":1,"at":1}}',
        'null',
      ];
      for (const payload of bad) await raw.query('SELECT pg_notify($1, $2)', [STREAM_EVENTS_CHANNEL, payload]);
      // Extra fields are not passed on: listeners get exactly the event's five fields.
      await raw.query('SELECT pg_notify($1, $2)', [
        STREAM_EVENTS_CHANNEL,
        JSON.stringify({ node: 'x', seq: 9, event: { ...ev('good'), extra: 'dropped' } }),
      ]);
      await waitFor(() => heard.length === 1 && invalid.length === bad.length);
      assert.deepEqual(invalid, bad);
      assert.deepEqual(heard, [ev('good')]);
    } finally {
      await raw.end();
    }
  });

  it('a listener that throws does not keep the others from hearing the event', async () => {
    const failures: unknown[] = [];
    const node = await bus(db.url, { onListenerError: (err) => failures.push(err) });
    const heard: string[] = [];
    node.subscribe(() => {
      throw new Error('boom');
    });
    const off = node.subscribe((e) => heard.push(e.streamName));
    await node.publish(ev('throwing'));
    await waitFor(() => heard.length === 1);
    assert.equal(failures.length, 1);
    assert.equal((failures[0] as Error).message, 'boom');
    off();
    await node.publish(ev('after-off'));
    await waitFor(() => failures.length === 2);
    await settle();
    assert.deepEqual(heard, ['throwing'], 'an unsubscribed listener hears nothing more');
  });

  it('reconnects by itself after its connection drops; meanwhile its own events are delivered locally, once', async () => {
    const proxy = new TcpProxy(new URL(db.url).port ? Number(new URL(db.url).port) : 5432);
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const lost: Error[] = [];
    const listening: boolean[] = [];
    try {
      const a = await bus(viaProxy.toString(), {
        notify: (sql, values) => pool.query(sql, values),
        reconnectMinMs: 20,
        reconnectMaxMs: 200,
        onConnectionError: (err) => lost.push(err),
        onListening: ({ reconnected }) => listening.push(reconnected),
      });
      const b = await bus(db.url);
      const heardA: string[] = [];
      const heardB: string[] = [];
      a.subscribe((e) => heardA.push(e.streamName));
      b.subscribe((e) => heardB.push(e.streamName));
      assert.equal(a.listening, true);
      assert.deepEqual(listening, [false]);

      await proxy.stop();
      await waitFor(() => !a.listening && lost.length > 0, 5000, 'drop noticed');
      // A's own event: PostgreSQL cannot bring it back to A, so A delivers it locally; B hears it by NOTIFY.
      await a.publish(ev('during-outage'));
      // B's event cannot reach A while A is cut off (NOTIFY keeps no backlog).
      await b.publish(ev('missed-by-a'));
      await waitFor(() => heardB.length === 2);
      assert.deepEqual(heardA, ['during-outage']);

      await proxy.start();
      await waitFor(() => a.listening, 5000, 'listening again');
      assert.deepEqual(listening, [false, true]);
      await b.publish(ev('after-outage'));
      await a.publish(ev('own-after-outage'));
      await waitFor(() => heardA.length === 3 && heardB.length === 4);
      await settle();
      assert.deepEqual(heardA, ['during-outage', 'after-outage', 'own-after-outage']);
      assert.deepEqual(heardB, ['during-outage', 'missed-by-a', 'after-outage', 'own-after-outage']);
    } finally {
      await pool.end();
      await proxy.stop();
    }
  });

  it('keeps retrying with backoff while the database stays away', async () => {
    const proxy = new TcpProxy(Number(new URL(db.url).port || 5432));
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const errors: number[] = [];
    try {
      const a = await bus(viaProxy.toString(), {
        reconnectMinMs: 50,
        reconnectMaxMs: 400,
        onConnectionError: () => errors.push(Date.now()),
      });
      await proxy.stop();
      await waitFor(() => errors.length >= 5, 8000, 'five failed attempts');
      const gaps = errors.slice(1).map((t, i) => t - errors[i]!);
      // Each wait is between half and all of min * 2^n, capped at max: never a tight loop.
      assert.ok(
        gaps.every((g) => g >= 20),
        `gaps ${gaps}`,
      );
      assert.ok(gaps.at(-1)! >= 100, `backoff grew: ${gaps}`);
      assert.equal(a.listening, false);
      await proxy.start();
      await waitFor(() => a.listening, 5000, 'back');
    } finally {
      await proxy.stop();
    }
  });

  it('refuses to start when PostgreSQL is not there, and delivers nothing once closed', async () => {
    const port = await freePort();
    const nowhere = new URL(db.url);
    nowhere.port = String(port);
    const dead = new PgEventBus(nowhere.toString(), { connectTimeoutMs: 2000 });
    await assert.rejects(dead.start(), /ECONNREFUSED/);
    await dead.close();

    const node = await bus(db.url);
    const other = await bus(db.url);
    const heard: string[] = [];
    node.subscribe((e) => heard.push(e.streamName));
    await node.close();
    assert.equal(node.listening, false);
    await other.publish(ev('after-close'));
    await node.publish(ev('ignored'));
    await settle();
    assert.deepEqual(heard, []);
  });
});
