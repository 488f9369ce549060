/**
 * The director fast path (node:http ahead of Fastify) against the Fastify routes it stands in
 * for: the same requests, sent over real sockets to two servers on one store (one with the fast
 * path, one without), must get the same answers, status, headers and body, for every kind of
 * grant and refusal, and every malformed request must still be answered by Fastify.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { AccountService } from '../src/domain/accounts.js';
import { signSelfSigned } from '../src/domain/self-signed-token.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { StoreUnavailableError } from '../src/store/store-errors.js';

interface Sent {
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Send the body chunked (no content-length). */
  readonly chunked?: boolean;
}

interface Got {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

function send(port: number, role: 'publish' | 'subscribe', s: Sent): Promise<Got> {
  return new Promise((resolve, reject) => {
    const body = s.body ?? '';
    const headers: Record<string, string> = { 'content-type': 'application/json', ...s.headers };
    if (!s.chunked) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: s.path ?? `/api/director/${role}`, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    if (s.chunked) {
      // Two writes force chunked transfer encoding.
      req.write(body.slice(0, 3));
      req.end(body.slice(3));
    } else req.end(body);
  });
}

/** The body with its jwt replaced by the jwt's claims minus the clock-dependent ones. */
function comparable(got: Got): unknown {
  let body: any;
  try {
    body = JSON.parse(got.text);
  } catch {
    return got.text;
  }
  const jwt = body?.data?.jwt;
  if (typeof jwt === 'string') {
    const [header, payload] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    delete claims.iat;
    delete claims.exp;
    body.data.jwt = { header: JSON.parse(Buffer.from(header as string, 'base64url').toString()), claims };
  }
  return body;
}

/** Headers both servers must agree on (date and the request id differ by nature). */
function headerShape(got: Got): Record<string, unknown> {
  const { date: _date, 'x-request-id': id, ...rest } = got.headers;
  assert.equal(typeof id, 'string', 'every answer carries x-request-id');
  return rest;
}

describe('director fast path', () => {
  let dir: string;
  let store: SqliteStore;
  let fast: FastifyInstance;
  let slow: FastifyInstance;
  let fastPort: number;
  let slowPort: number;
  /** Requests that reached Fastify's pipeline, per server. */
  const throughFastify = { fast: 0, slow: 0 };
  /** How decision reads fail, as an unreachable database does: a rejected read, or a thrown one (SQLite reads synchronously). */
  let failReads: false | 'reject' | 'throw' = false;
  let streamAccountId: string;
  const tokens: Record<string, string> = {};
  let selfSigned = '';
  const logLines: any[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streamgate-fastpath-'));
    const dbPath = join(dir, 'db.sqlite');
    store = new SqliteStore(dbPath, { server: true });
    await store.migrate();
    // A store whose decision reads can be made to fail as an unreachable database does.
    const flaky = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'tokenForDecision' && failReads === 'reject') {
          return async () => {
            throw new StoreUnavailableError('test outage');
          };
        }
        if (prop === 'tokenForDecision' && failReads === 'throw') {
          return () => {
            throw new StoreUnavailableError('test outage');
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const config = loadConfig({ STREAMGATE_DATABASE_URL: `sqlite:${dbPath}` });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    fast = await buildApp({ store: flaky, config, logger: { level: 'info', stream: sink } });
    slow = await buildApp({ store: flaky, config, logger: false, directorFastPath: false });
    for (const [name, app] of [
      ['fast', fast],
      ['slow', slow],
    ] as const) {
      app.addHook('onRequest', async (req) => {
        if (req.url.startsWith('/api/director/')) throughFastify[name]++;
      });
    }
    await fast.listen({ host: '127.0.0.1', port: 0 });
    await slow.listen({ host: '127.0.0.1', port: 0 });
    fastPort = (fast.server.address() as AddressInfo).port;
    slowPort = (slow.server.address() as AddressInfo).port;

    const { account } = await new AccountService(store).createAccount('fastpath');
    streamAccountId = account.streamAccountId;
    const mk = async (kind: 'publish' | 'subscribe', name: string, over: Record<string, unknown> = {}) => {
      const { isActive, expiresOn, ...input } = over;
      let t = await fast.services.tokens.create(account, kind, {
        label: name,
        streams: [{ streamName: 'cam', isRegex: false }],
        ...input,
      } as never);
      if (isActive !== undefined || expiresOn !== undefined) {
        const state = {
          ...t,
          ...(isActive === undefined ? {} : { isActive }),
          ...(expiresOn === undefined ? {} : { expiresOn }),
        };
        t = (await store.updateToken(account.id, kind, t.id, t.version, state as never)) ?? assert.fail('update');
      }
      tokens[name] = t.token;
      return t;
    };
    await mk('publish', 'pub');
    await mk('publish', 'pubOrigin', { allowedOrigins: ['*.example.com'] });
    await mk('publish', 'pubIp', { allowedIpAddresses: ['10.0.0.0/8'] });
    await mk('publish', 'pubLive', { streams: [{ streamName: 'busy', isRegex: false }] });
    await mk('publish', 'pubDisabled', { isActive: false });
    await mk('publish', 'pubExpired', { expiresOn: Date.now() - 60_000 });
    const sub = await mk('subscribe', 'sub', {
      streams: [{ streamName: '.*', isRegex: true }],
      tracking: { trackingId: 'tr-1' },
    });
    selfSigned = signSelfSigned({
      parentTokenId: sub.id,
      parentTokenValue: sub.token,
      streamName: 'cam',
      expiresInSeconds: 600,
      allowedOrigins: ['*.example.com'],
    });
    const live = await mk('publish', 'pubBusy', { streams: [{ streamName: 'busy', isRegex: false }] });
    await fast.services.live.acquire({
      accountId: account.id,
      streamName: 'busy',
      holderId: 'h1',
      tokenId: live.id,
      sourceId: null,
      multisource: false,
    });
  });

  after(async () => {
    await fast.close();
    await slow.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = (v: unknown) => JSON.stringify(v);
  const bearer = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });

  /** [case, role, request, expected status, answered by the fast path itself?] */
  const cases = (): [string, 'publish' | 'subscribe', Sent, number, boolean][] => [
    ['publish granted', 'publish', { headers: bearer('pub'), body: json({ streamName: 'cam' }) }, 200, true],
    [
      'publish granted, every optional field',
      'publish',
      {
        headers: { ...bearer('pub'), 'content-type': 'application/json; charset=utf-8' },
        body: json({ streamName: 'cam', streamType: 'WebRtc', streamAccountId, sourceId: null }),
      },
      200,
      true,
    ],
    [
      'trailing comma (Millicast docs style)',
      'publish',
      { headers: bearer('pub'), body: '{"streamName": "cam", }' },
      200,
      true,
    ],
    ['no token', 'publish', { body: json({ streamName: 'cam' }) }, 401, true],
    [
      'unknown token',
      'publish',
      { headers: { authorization: 'Bearer nope' }, body: json({ streamName: 'cam' }) },
      401,
      true,
    ],
    ['stream name not allowed', 'publish', { headers: bearer('pub'), body: json({ streamName: 'other' }) }, 401, true],
    [
      'streamAccountId of another account',
      'publish',
      { headers: bearer('pub'), body: json({ streamName: 'cam', streamAccountId: 'someone-else' }) },
      401,
      true,
    ],
    [
      'origin not allowed',
      'publish',
      { headers: { ...bearer('pubOrigin'), origin: 'https://evil.test' }, body: json({ streamName: 'cam' }) },
      401,
      true,
    ],
    [
      'origin allowed',
      'publish',
      { headers: { ...bearer('pubOrigin'), origin: 'https://a.b.example.com' }, body: json({ streamName: 'cam' }) },
      200,
      true,
    ],
    ['ip not allowed', 'publish', { headers: bearer('pubIp'), body: json({ streamName: 'cam' }) }, 401, true],
    ['disabled', 'publish', { headers: bearer('pubDisabled'), body: json({ streamName: 'cam' }) }, 401, true],
    ['expired', 'publish', { headers: bearer('pubExpired'), body: json({ streamName: 'cam' }) }, 401, true],
    ['already published', 'publish', { headers: bearer('pubLive'), body: json({ streamName: 'busy' }) }, 409, true],
    ['subscribe granted', 'subscribe', { headers: bearer('sub'), body: json({ streamName: 'cam' }) }, 200, true],
    [
      'subscribe tokenless, stream live',
      'subscribe',
      { body: json({ streamName: 'busy', streamAccountId }) },
      200,
      true,
    ],
    [
      'subscribe tokenless, stream not live',
      'subscribe',
      { body: json({ streamName: 'cam', streamAccountId }) },
      404,
      true,
    ],
    [
      'self-signed subscribe token',
      'subscribe',
      {
        headers: { authorization: `Bearer ${selfSigned}`, origin: 'https://x.example.com' },
        body: json({ streamName: 'cam' }),
      },
      200,
      true,
    ],
    [
      'self-signed subscribe token, origin outside its own list',
      'subscribe',
      {
        headers: { authorization: `Bearer ${selfSigned}`, origin: 'https://x.test' },
        body: json({ streamName: 'cam' }),
      },
      401,
      true,
    ],
    ['missing streamName', 'publish', { headers: bearer('pub'), body: json({}) }, 400, false],
    ['unknown field', 'publish', { headers: bearer('pub'), body: json({ streamName: 'cam', extra: 1 }) }, 400, false],
    ['not JSON', 'publish', { headers: bearer('pub'), body: '{"streamName":' }, 400, false],
    ['empty body', 'publish', { headers: bearer('pub'), body: '' }, 400, false],
    ['JSON array', 'subscribe', { headers: bearer('sub'), body: '[]' }, 400, false],
    [
      'forbidden key',
      'publish',
      { headers: bearer('pub'), body: '{"streamName":"cam","__proto__":{"x":1}}' },
      400,
      false,
    ],
    ['control character', 'publish', { headers: bearer('pub'), body: json({ streamName: 'ca\u0001m' }) }, 400, false],
    [
      'wrong content type',
      'publish',
      { headers: { ...bearer('pub'), 'content-type': 'application/xml' }, body: json({ streamName: 'cam' }) },
      415,
      false,
    ],
    [
      'chunked body',
      'publish',
      { headers: bearer('pub'), body: json({ streamName: 'cam' }), chunked: true },
      200,
      false,
    ],
    [
      'query string',
      'publish',
      { path: '/api/director/publish?x=1', headers: bearer('pub'), body: json({ streamName: 'cam' }) },
      200,
      false,
    ],
    [
      'large body',
      'publish',
      { headers: bearer('pub'), body: json({ streamName: 'cam', sourceId: 'x'.repeat(20_000) }) },
      400,
      false,
    ],
  ];

  it('answers every case as the Fastify route does, status, headers and body', async () => {
    for (const [name, role, sent, status, _fast] of cases()) {
      const a = await send(fastPort, role, sent);
      const b = await send(slowPort, role, sent);
      assert.equal(a.status, status, `${name}: ${a.text}`);
      assert.equal(b.status, status, `${name} (Fastify): ${b.text}`);
      assert.deepEqual(comparable(a), comparable(b), name);
      assert.deepEqual(headerShape(a), headerShape(b), name);
    }
  });

  it('answers well-formed calls itself and hands every other one to Fastify', async () => {
    for (const [name, role, sent, _status, answeredFast] of cases()) {
      const before = { ...throughFastify };
      await send(fastPort, role, sent);
      await send(slowPort, role, sent);
      assert.equal(throughFastify.slow - before.slow, 1, `${name}: the plain server always uses Fastify`);
      assert.equal(throughFastify.fast - before.fast, answeredFast ? 0 : 1, `${name}: answered by the fast path?`);
    }
  });

  it('keeps the request id a client sends, and makes one otherwise', async () => {
    const sent = { headers: { ...bearer('pub'), 'x-request-id': 'client-id-1' }, body: json({ streamName: 'cam' }) };
    assert.equal((await send(fastPort, 'publish', sent)).headers['x-request-id'], 'client-id-1');
    assert.equal((await send(slowPort, 'publish', sent)).headers['x-request-id'], 'client-id-1');
    const made = await send(fastPort, 'publish', { headers: bearer('pub'), body: json({ streamName: 'cam' }) });
    const again = await send(fastPort, 'publish', { headers: bearer('pub'), body: json({ streamName: 'cam' }) });
    const viaFastify = await send(fastPort, 'publish', { headers: bearer('pub'), body: '{"streamName": 3}' });
    const otherServer = await send(slowPort, 'publish', { headers: bearer('pub'), body: json({ streamName: 'cam' }) });
    const ids = [made, again, viaFastify, otherServer].map((r) => String(r.headers['x-request-id']));
    // A random per-server prefix and a counter shared by both paths of one server.
    for (const id of ids) assert.match(id, /^[0-9a-f]{12}-[0-9a-z]+$/);
    assert.equal(new Set(ids).size, 4, 'every id is new');
    const prefix = (id: string) => id.split('-')[0];
    assert.equal(prefix(ids[0] as string), prefix(ids[2] as string), 'one server, one prefix');
    assert.notEqual(prefix(ids[0] as string), prefix(ids[3] as string), 'two servers, two prefixes');
  });

  it('answers an unavailable database with the same 503 as Fastify, whether the read rejects or throws', async () => {
    for (const mode of ['reject', 'throw'] as const) {
      failReads = mode;
      try {
        for (const [role, sent] of [
          ['publish', { headers: bearer('pub'), body: json({ streamName: 'cam' }) }],
          ['subscribe', { headers: bearer('sub'), body: json({ streamName: 'cam' }) }],
        ] as const) {
          const a = await send(fastPort, role, sent);
          const b = await send(slowPort, role, sent);
          assert.equal(a.status, 503, `${mode} ${role}`);
          assert.deepEqual(comparable(a), comparable(b), `${mode} ${role}`);
          assert.deepEqual(headerShape(a), headerShape(b), `${mode} ${role}`);
        }
      } finally {
        failReads = false;
      }
    }
  });

  it('logs its requests as Fastify does, credentials left out', async () => {
    logLines.length = 0;
    const made = await send(fastPort, 'publish', {
      headers: { ...bearer('pub'), 'x-request-id': 'log-me' },
      body: json({ streamName: 'cam' }),
    });
    assert.equal(made.status, 200);
    const mine = logLines.filter((l) => l.reqId === 'log-me');
    assert.deepEqual(
      mine.map((l) => l.msg),
      ['incoming request', 'request completed'],
    );
    assert.deepEqual(mine[0].req, { method: 'POST', url: '/api/director/publish', remoteAddress: '127.0.0.1' });
    assert.equal(mine[1].res.statusCode, 200);
    assert.equal(typeof mine[1].responseTime, 'number');
    assert.ok(!JSON.stringify(mine).includes(tokens.pub as string), 'no token value in the log');
  });
});
