import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { AccountService } from '../src/domain/accounts.js';
import type { Account } from '../src/domain/model.js';
import { directorClaims } from '../src/http/routes/director.js';
import type { ViewerEventsOptions } from '../src/http/ws-events.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

interface Msg {
  type: string;
  name: string;
  data: { streamId: string; viewercount?: number };
}

interface Client {
  readonly ws: WebSocket;
  readonly received: Msg[];
  /** The next message not yet taken (waits up to 2 s). */
  next(): Promise<Msg>;
  /** Takes messages until one matches, returning it. */
  until(pred: (m: Msg) => boolean): Promise<Msg>;
  closed: Promise<{ code: number }>;
}

interface WsApp {
  readonly app: FastifyInstance;
  readonly base: string;
  account(name: string): Promise<{ account: Account; secret: string }>;
  jwt(account: Account, streamName: string, role?: 'publish' | 'subscribe', expOffsetS?: number): string;
  connect(query: string): Promise<Client>;
  /** Tries to connect and reports the refusal (status and JSON body). */
  refused(query: string, path?: string): Promise<{ status: number; body: any }>;
  goLive(account: Account, streamName: string): Promise<unknown>;
  stop(account: Account, streamName: string): Promise<unknown>;
  close(): Promise<void>;
}

async function wsApp(options: Partial<ViewerEventsOptions> = {}): Promise<WsApp> {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-ws-'));
  const dbPath = join(dir, 'test.db');
  const config = loadConfig({ STREAMGATE_DATABASE_URL: `sqlite:${dbPath}` });
  const store = new SqliteStore(dbPath, { server: true });
  await store.migrate();
  const app = await buildApp({ store, config, logger: false, viewerEvents: { viewerCountDelayMs: 0, ...options } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const base = `ws://127.0.0.1:${port}`;
  const accounts = new AccountService(store);
  const clients: WebSocket[] = [];

  return {
    app,
    base,
    async account(name) {
      const { account, secret } = await accounts.createAccount(name);
      return { account, secret: secret.value };
    },
    jwt(account, streamName, role = 'subscribe', expOffsetS = 0) {
      const claims = directorClaims(
        { config, now: Date.now },
        { role, account, streamName, tokenId: null, clientIp: '127.0.0.1' },
      );
      return app.services.signer.sign({ ...claims, exp: (claims.exp as number) + expOffsetS });
    },
    async connect(query) {
      const ws = new WebSocket(`${base}/ws/events${query}`);
      clients.push(ws);
      const received: Msg[] = [];
      let taken = 0;
      const waiters: (() => void)[] = [];
      ws.on('message', (data) => {
        received.push(JSON.parse(String(data)));
        for (const w of waiters.splice(0)) w();
      });
      const closed = new Promise<{ code: number }>((resolve) => ws.once('close', (code) => resolve({ code })));
      const next = (): Promise<Msg> => {
        if (taken < received.length) return Promise.resolve(received[taken++] as Msg);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no message after ${JSON.stringify(received)}`)), 2000);
          waiters.push(() => {
            clearTimeout(timer);
            resolve(received[taken++] as Msg);
          });
        });
      };
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      });
      return {
        ws,
        received,
        next,
        async until(pred) {
          for (;;) {
            const m = await next();
            if (pred(m)) return m;
          }
        },
        closed,
      };
    },
    refused(query, path = '/ws/events') {
      const ws = new WebSocket(`${base}${path}${query}`);
      return new Promise((resolve, reject) => {
        ws.once('open', () => reject(new Error('connection was accepted')));
        ws.once('error', () => {});
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
      });
    },
    goLive(account, streamName) {
      return app.services.live.acquire({
        accountId: account.id,
        streamName,
        holderId: `h-${streamName}`,
        tokenId: 1,
        sourceId: null,
        multisource: true,
      });
    },
    stop(account, streamName) {
      return app.services.live.release(account.id, streamName, `h-${streamName}`, 1);
    },
    async close() {
      // The app closes its sockets itself (1001); the client side is cut only afterwards.
      await app.close();
      for (const ws of clients) ws.terminate();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ev = (name: string, streamId: string, viewercount?: number) => ({
  type: 'event',
  name,
  data: viewercount === undefined ? { streamId } : { streamId, viewercount },
});

describe('viewer events WebSocket', () => {
  let w: WsApp;
  let a: Account;
  let b: Account;

  before(async () => {
    w = await wsApp();
    a = (await w.account('alpha')).account;
    b = (await w.account('beta')).account;
  });
  after(() => w.close());

  it('refuses the upgrade with 401 and a clear message without a valid, unexpired director jwt', async () => {
    const unauthorized = (message: string) => ({
      status: 401,
      body: { status: 'fail', data: { message, code: 'UNAUTHORIZED' } },
    });
    assert.deepEqual(await w.refused(''), unauthorized('Missing token: connect to /ws/events?token=<director jwt>'));
    const invalid = unauthorized('Invalid token: not a director jwt signed by this server');
    assert.deepEqual(await w.refused('?token=garbage'), invalid);
    const good = w.jwt(a, 'feed1');
    const [h, p, s] = good.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'x' }));
    assert.deepEqual(await w.refused(`?token=${h}.${forged.toString('base64url')}.${s}`), invalid);
    assert.deepEqual(
      await w.refused(`?token=${w.jwt(a, 'feed1', 'subscribe', -3600)}`),
      unauthorized('Token has expired: ask /api/director/subscribe for a new jwt'),
    );
    const other = await w.refused(`?token=${good}`, '/ws/other');
    assert.equal(other.status, 404);
  });

  it('accepts the jwt the Director answers, then sends inactive and the viewer count', async () => {
    const { account, secret } = await w.account('director');
    const tok = await w.app.inject({
      method: 'POST',
      url: '/api/subscribe_token',
      headers: { authorization: `Bearer ${secret}` },
      payload: { label: 'v', streams: [{ streamName: 'show' }] },
    });
    const sub = await w.app.inject({
      method: 'POST',
      url: '/api/director/subscribe',
      headers: { authorization: `Bearer ${tok.json().data.token}` },
      payload: { streamName: 'show', streamAccountId: account.streamAccountId },
    });
    assert.equal(sub.statusCode, 200, sub.body);
    const c = await w.connect(`?token=${sub.json().data.jwt}`);
    const streamId = `${account.streamAccountId}/show`;
    assert.deepEqual(await c.next(), ev('inactive', streamId));
    assert.deepEqual(await c.next(), ev('viewercount', streamId, 1));
    c.ws.close();
  });

  it('sends active when the stream goes live and inactive when it stops', async () => {
    const c = await w.connect(`?token=${w.jwt(a, 'feed2')}`);
    const streamId = `${a.streamAccountId}/feed2`;
    assert.deepEqual(await c.next(), ev('inactive', streamId));
    await w.goLive(a, 'feed2');
    assert.deepEqual(await c.until((m) => m.name !== 'viewercount'), ev('active', streamId));
    // A second viewer joining a live stream is told at once that it is live.
    const late = await w.connect(`?token=${w.jwt(a, 'feed2')}`);
    assert.deepEqual(await late.next(), ev('active', streamId));
    await w.stop(a, 'feed2');
    assert.deepEqual(await c.until((m) => m.name !== 'viewercount'), ev('inactive', streamId));
    assert.deepEqual(await late.until((m) => m.name !== 'viewercount'), ev('inactive', streamId));
    c.ws.close();
    late.ws.close();
  });

  it('counts the viewers of a stream as they come and go (publisher sockets are not viewers)', async () => {
    const streamId = `${a.streamAccountId}/feed3`;
    const count = (c: Client) => c.until((m) => m.name === 'viewercount').then((m) => m.data.viewercount);
    const v1 = await w.connect(`?token=${w.jwt(a, 'feed3')}`);
    assert.equal(await count(v1), 1);
    const v2 = await w.connect(`?token=${w.jwt(a, 'feed3')}`);
    assert.equal(await count(v1), 2);
    assert.equal(await count(v2), 2);
    const pub = await w.connect(`?token=${w.jwt(a, 'feed3', 'publish')}`);
    assert.deepEqual(await pub.next(), ev('inactive', streamId));
    assert.equal(w.app.services.viewerEvents.viewerCount(a.id, 'feed3'), 2);
    v2.ws.close();
    assert.equal(await count(v1), 1);
    assert.equal(await count(pub), 1);
    v1.ws.close();
    pub.ws.close();
    await Promise.all([v1.closed, pub.closed]);
  });

  it('never tells one stream or account about another', async () => {
    // Same stream name in two accounts, and another stream of the same account.
    const mine = await w.connect(`?token=${w.jwt(a, 'shared')}`);
    const theirs = await w.connect(`?token=${w.jwt(b, 'shared')}`);
    const sibling = await w.connect(`?token=${w.jwt(a, 'sibling')}`);
    for (const c of [mine, theirs, sibling]) assert.equal((await c.next()).name, 'inactive');
    for (const c of [mine, theirs, sibling]) assert.equal((await c.next()).name, 'viewercount');
    await w.goLive(a, 'shared');
    await w.stop(a, 'shared');
    assert.deepEqual(await mine.next(), ev('active', `${a.streamAccountId}/shared`));
    assert.deepEqual(await mine.next(), ev('inactive', `${a.streamAccountId}/shared`));
    // Events go out in order: had a's events reached these sockets, they would precede these.
    await w.goLive(b, 'shared');
    await w.goLive(a, 'sibling');
    assert.deepEqual(await theirs.next(), ev('active', `${b.streamAccountId}/shared`));
    assert.deepEqual(await sibling.next(), ev('active', `${a.streamAccountId}/sibling`));
    assert.equal(mine.received.length, 4);
    for (const c of [mine, theirs, sibling]) c.ws.close();
  });
});

describe('viewer events WebSocket limits and lifecycle', () => {
  it('refuses upgrades beyond the connection caps with 503', async () => {
    const w = await wsApp({ maxConnections: 3, maxPerStream: 2 });
    try {
      const { account } = await w.account('caps');
      const s1 = await w.connect(`?token=${w.jwt(account, 's1')}`);
      await w.connect(`?token=${w.jwt(account, 's1')}`);
      const perStream = await w.refused(`?token=${w.jwt(account, 's1')}`);
      assert.equal(perStream.status, 503);
      assert.match(perStream.body.message, /on this stream/);
      await w.connect(`?token=${w.jwt(account, 's2')}`);
      const global = await w.refused(`?token=${w.jwt(account, 's3')}`);
      assert.deepEqual(global, {
        status: 503,
        body: {
          status: 'error',
          message: 'Too many event connections on this server; retry later',
          code: 503,
          data: null,
        },
      });
      // A closed socket frees its slot.
      s1.ws.close();
      await s1.closed;
      const again = await w.connect(`?token=${w.jwt(account, 's3')}`);
      assert.equal((await again.next()).name, 'inactive');
    } finally {
      await w.close();
    }
  });

  it('drops a socket that stops answering pings and keeps one that answers', async () => {
    const w = await wsApp({ heartbeatMs: 40 });
    try {
      const { account } = await w.account('beat');
      const alive = await w.connect(`?token=${w.jwt(account, 'hb')}`);
      const url = `${w.base}/ws/events?token=${w.jwt(account, 'hb')}`;
      const mute = new WebSocket(url, { autoPong: false });
      await new Promise((resolve) => mute.once('open', resolve));
      assert.equal(w.app.services.viewerEvents.viewerCount(account.id, 'hb'), 2);
      const code = await new Promise<number>((resolve) => mute.once('close', resolve));
      assert.equal(code, 1006); // cut without a closing handshake
      const drop = await alive.until((m) => m.name === 'viewercount' && m.data.viewercount === 1);
      assert.equal(drop.data.viewercount, 1);
      assert.equal(alive.ws.readyState, WebSocket.OPEN);
    } finally {
      await w.close();
    }
  });

  it('closes its sockets with 1001 when the app closes', async () => {
    const w = await wsApp();
    const { account } = await w.account('bye');
    const c = await w.connect(`?token=${w.jwt(account, 'end')}`);
    await c.next();
    await w.close();
    assert.deepEqual(await c.closed, { code: 1001 });
  });
});
