/**
 * The guarantees of SPEC.md across several real Streamgate processes sharing one PostgreSQL
 * database (helpers/cluster.ts): atomic IP binding, one live publisher per stream, immediate
 * revocation, stream events once per cluster, leases outliving a killed node, and a database
 * outage answered with 503 and recovered from without a restart or a lost write.
 *
 * Without a reachable PostgreSQL the suite is skipped, saying why; with CI set it fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import WebSocket from 'ws';
import { type Cluster, startCluster } from './helpers/cluster.js';
import { type JsonAnswer, requestJson } from './helpers/http.js';
import { pgRequired, probePg } from './helpers/pg.js';
import { freePort, runCli, type ServerProcess } from './helpers/server-process.js';
import { type Receiver, signatureValid, startReceiver } from './helpers/webhook-receiver.js';

const probe = await probePg();
if ('unreachable' in probe && pgRequired()) throw new Error(`CI requires PostgreSQL: ${probe.unreachable}`);
const skip = 'unreachable' in probe ? probe.unreachable : undefined;

/** One JSON request to a node; `headers` adds to the defaults. */
function api(
  node: ServerProcess,
  bearer: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  return requestJson(node.url, method, path, { body, bearer, headers });
}

/** An nginx-rtmp notify form post, as ngx_rtmp_notify_module sends it, with the client's query args. */
async function nginx(
  node: ServerProcess,
  hook: 'on_publish' | 'on_publish_done',
  fields: { name: string; clientid: string; token: string },
): Promise<JsonAnswer> {
  const call = hook === 'on_publish' ? 'publish' : 'publish_done';
  const form = new URLSearchParams({
    app: 'live',
    flashver: 'FMLE/3.0 (compatible; FMSc/1.0)',
    tcurl: 'rtmp://127.0.0.1:1935/live',
    addr: '127.0.0.1',
    clientid: fields.clientid,
    call,
    name: fields.name,
    ...(hook === 'on_publish' ? { type: 'live' } : {}),
  });
  const res = await fetch(`${node.url}/hooks/nginx-rtmp/${hook}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `${form}&token=${fields.token}`,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? '' : JSON.parse(text) };
}

async function waitUntil<T>(
  what: string,
  probeFn: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await probeFn();
  while (!done(last)) {
    if (Date.now() > end) throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
    last = await probeFn();
  }
  return last;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const createToken = async (node: ServerProcess, secret: string, kind: 'publish' | 'subscribe', body: object) => {
  const res = await api(node, secret, 'POST', `/api/${kind}_token`, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data as { id: number; token: string; allowedIpAddresses: string[] };
};

/** A viewer's WebSocket on a node, recording the `active`/`inactive` events and viewer counts it is sent. */
async function viewerSocket(node: ServerProcess, jwt: string) {
  const ws = new WebSocket(`${node.url.replace('http', 'ws')}/ws/events?token=${jwt}`);
  const states: string[] = [];
  const counts: number[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string; name: string; data: { viewercount?: number } };
    if (m.type === 'event' && (m.name === 'active' || m.name === 'inactive')) states.push(m.name);
    if (m.type === 'event' && m.name === 'viewercount') counts.push(m.data.viewercount as number);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, states, counts };
}

/** The `feeds` webhooks a receiver got, as `event:streamName` in arrival order. */
const feeds = (r: Receiver) =>
  r.received.map((x) => {
    const b = JSON.parse(x.raw.toString('utf8'));
    return `${b.type}:${b.event}:${b.data.name}`;
  });

describe('several nodes on one PostgreSQL', { skip }, () => {
  let cluster: Cluster;
  let nodes: readonly ServerProcess[];
  let acct: { id: number; streamAccountId: string; apiSecret: string };

  before(async () => {
    cluster = await startCluster(probe, {
      nodes: 3,
      env: { STREAMGATE_TRUSTED_PROXIES: '127.0.0.1/32' },
    });
    nodes = cluster.nodes;
    acct = cluster.createAccount('cluster');
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('bindIpsOnUsage = 3: concurrent first uses from 12 addresses over 3 nodes bind exactly 3', async () => {
    const tok = await createToken(nodes[0]!, acct.apiSecret, 'subscribe', {
      label: 'bind',
      streams: [{ streamName: 'bind-feed' }],
      bindIpsOnUsage: 3,
    });
    const ips = Array.from({ length: 12 }, (_, i) => `198.51.100.${i + 1}`);
    const answers = await Promise.all(
      ips.map((ip, i) =>
        api(
          nodes[i % 3]!,
          tok.token,
          'POST',
          '/api/director/subscribe',
          { streamAccountId: acct.streamAccountId, streamName: 'bind-feed' },
          { 'x-forwarded-for': ip },
        ),
      ),
    );
    const winners = ips.filter((_, i) => answers[i]!.status === 200);
    assert.equal(winners.length, 3, JSON.stringify(answers.map((a) => a.status)));
    for (const [i, a] of answers.entries()) {
      if (a.status === 200) continue;
      assert.equal(a.status, 401, `${ips[i]}: ${JSON.stringify(a.body)}`);
      assert.equal(a.body.data.message, 'Unauthorized: IP Address not allowed');
      assert.equal(a.body.data.code, 'IP_NOT_ALLOWED');
    }
    const stored = await api(nodes[2]!, acct.apiSecret, 'GET', `/api/subscribe_token/${tok.id}`);
    assert.deepEqual([...stored.body.data.allowedIpAddresses].sort(), [...winners].sort());
    // Every node now admits exactly the bound addresses.
    for (const node of nodes) {
      const again = await api(
        node,
        tok.token,
        'POST',
        '/api/director/subscribe',
        { streamAccountId: acct.streamAccountId, streamName: 'bind-feed' },
        { 'x-forwarded-for': winners[0]! },
      );
      assert.equal(again.status, 200);
      const loser = ips.find((ip) => !winners.includes(ip))!;
      const refused = await api(
        node,
        tok.token,
        'POST',
        '/api/director/subscribe',
        { streamAccountId: acct.streamAccountId, streamName: 'bind-feed' },
        { 'x-forwarded-for': loser },
      );
      assert.equal(refused.status, 401);
    }
  });

  it('one live publisher: concurrent on_publish at 3 nodes admits exactly one; after publish done another node admits', async () => {
    const tok = await createToken(nodes[0]!, acct.apiSecret, 'publish', {
      label: 'single',
      streams: [{ streamName: 'solo' }],
    });
    const tries = Array.from({ length: 9 }, (_, i) => ({ node: i % 3, clientid: String(100 + i) }));
    const answers = await Promise.all(
      tries.map((t) => nginx(nodes[t.node]!, 'on_publish', { name: 'solo', clientid: t.clientid, token: tok.token })),
    );
    const admitted = tries.filter((_, i) => answers[i]!.status === 200);
    assert.equal(admitted.length, 1, JSON.stringify(answers));
    for (const a of answers) {
      if (a.status === 200) continue;
      assert.deepEqual(a, {
        status: 409,
        body: {
          status: 'fail',
          data: { message: 'Stream is already being published', code: 'STREAM_ALREADY_PUBLISHED' },
        },
      });
    }
    const winner = admitted[0]!;
    const active = await api(
      nodes[(winner.node + 1) % 3]!,
      acct.apiSecret,
      'GET',
      `/api/publish_token/active?streamId=${acct.streamAccountId}/solo`,
    );
    assert.deepEqual(active.body.data, { tokenIds: [tok.id] });

    // Publish done arrives at another node than the one that admitted the publisher.
    const doneAt = (winner.node + 1) % 3;
    const done = await nginx(nodes[doneAt]!, 'on_publish_done', {
      name: 'solo',
      clientid: winner.clientid,
      token: tok.token,
    });
    assert.equal(done.status, 200);
    const next = await nginx(nodes[(winner.node + 2) % 3]!, 'on_publish', {
      name: 'solo',
      clientid: '999',
      token: tok.token,
    });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    const busy = await nginx(nodes[winner.node]!, 'on_publish', { name: 'solo', clientid: '998', token: tok.token });
    assert.equal(busy.status, 409);
    assert.equal(
      (await nginx(nodes[0]!, 'on_publish_done', { name: 'solo', clientid: '999', token: tok.token })).status,
      200,
    );
  });

  it('revocation through node A is refused by node B on the very next request', async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    const publish = (node: ServerProcess, token: string) =>
      api(node, token, 'POST', '/api/director/publish', { streamName: 'rev' });
    const tok = await createToken(a, acct.apiSecret, 'publish', { label: 'rev', streams: [{ streamName: 'rev' }] });
    assert.equal((await publish(b, tok.token)).status, 200);

    // refresh
    const refreshed = await api(a, acct.apiSecret, 'PUT', `/api/publish_token/${tok.id}`, { refreshToken: true });
    assert.equal(refreshed.status, 200);
    const newValue: string = refreshed.body.data.token;
    assert.notEqual(newValue, tok.token);
    const old = await publish(b, tok.token);
    assert.deepEqual([old.status, old.body.data.message], [401, 'Unauthorized: Invalid token']);
    assert.equal((await publish(b, newValue)).status, 200);

    // disable
    const disabled = await api(a, acct.apiSecret, 'PATCH', '/api/publish_token/disable', { tokenIds: [tok.id] });
    assert.deepEqual(disabled.body.data, { successfulTokens: [tok.id], failedTokens: [] });
    const off = await publish(b, newValue);
    assert.deepEqual([off.status, off.body.data.message], [401, 'Unauthorized: Token disabled']);

    // delete
    const tok2 = await createToken(a, acct.apiSecret, 'publish', { label: 'del', streams: [{ streamName: 'rev' }] });
    assert.equal((await publish(b, tok2.token)).status, 200);
    assert.deepEqual((await api(a, acct.apiSecret, 'DELETE', `/api/publish_token/${tok2.id}`)).body, {
      status: 'success',
      data: true,
    });
    const gone = await publish(b, tok2.token);
    assert.deepEqual([gone.status, gone.body.data.message], [401, 'Unauthorized: Invalid token']);

    // API secret refresh
    const extra = await api(a, acct.apiSecret, 'POST', '/api/api_secret', { label: 'second' });
    assert.equal(extra.status, 200);
    const secretId: number = extra.body.data.id;
    const oldSecret: string = extra.body.data.secret;
    assert.equal((await api(b, oldSecret, 'GET', '/api/api_secret/list')).status, 200);
    const rotated = await api(a, acct.apiSecret, 'POST', `/api/api_secret/${secretId}/refresh`);
    assert.equal(rotated.status, 200);
    const refusedSecret = await api(b, oldSecret, 'GET', '/api/api_secret/list');
    assert.deepEqual(refusedSecret, {
      status: 401,
      body: { status: 'fail', data: { message: 'Unauthorized', code: 'UNAUTHORIZED' } },
    });
    assert.equal((await api(b, rotated.body.data.secret, 'GET', '/api/api_secret/list')).status, 200);
  });

  it('stream events once: a viewer on node B hears a publish at node A; the webhook fires once per start and end', async () => {
    const own = cluster.createAccount('events');
    const receiver = await startReceiver();
    try {
      const hook = await api(nodes[2]!, own.apiSecret, 'POST', '/api/webhooks', {
        url: receiver.url,
        isFeedHooks: true,
      });
      assert.equal(hook.status, 200, JSON.stringify(hook.body));
      const pub = await createToken(nodes[0]!, own.apiSecret, 'publish', {
        label: 'ev',
        streams: [{ streamName: 'ev' }],
      });
      const sub = await createToken(nodes[0]!, own.apiSecret, 'subscribe', {
        label: 'ev',
        streams: [{ streamName: 'ev' }],
      });
      const dir = await api(nodes[1]!, sub.token, 'POST', '/api/director/subscribe', {
        streamAccountId: own.streamAccountId,
        streamName: 'ev',
      });
      assert.equal(dir.status, 200, JSON.stringify(dir.body));
      const viewer = await viewerSocket(nodes[1]!, dir.body.data.jwt);
      try {
        await waitUntil(
          'initial state',
          async () => viewer.states.length,
          (n) => n === 1,
        );
        assert.deepEqual(viewer.states, ['inactive']);

        assert.equal(
          (await nginx(nodes[0]!, 'on_publish', { name: 'ev', clientid: '1', token: pub.token })).status,
          200,
        );
        await waitUntil(
          'active',
          async () => viewer.states.length,
          (n) => n === 2,
        );
        await receiver.waitFor(1);
        assert.equal(
          (await nginx(nodes[0]!, 'on_publish_done', { name: 'ev', clientid: '1', token: pub.token })).status,
          200,
        );
        await waitUntil(
          'inactive',
          async () => viewer.states.length,
          (n) => n === 3,
        );
        await receiver.waitFor(2);
        // Long enough for a duplicate from another node (or a second bus delivery) to show up.
        await sleep(1500);
        assert.deepEqual(viewer.states, ['inactive', 'active', 'inactive']);
        assert.deepEqual(feeds(receiver), ['feeds:started:ev', 'feeds:ended:ev']);
        assert.ok(receiver.received.every((r) => signatureValid(r, hook.body.data.secret)));
      } finally {
        viewer.ws.close();
      }
    } finally {
      await receiver.close();
    }
  });
});

describe('viewer count across nodes', { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(probe, { nodes: 2 });
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('counts the viewers of every node: each socket hears the cluster-wide total, down again as they leave', async () => {
    const [a, b] = cluster.nodes as [ServerProcess, ServerProcess];
    const own = cluster.createAccount('counts');
    const sub = await createToken(a, own.apiSecret, 'subscribe', { label: 'vc', streams: [{ streamName: 'vc' }] });
    const jwtAt = async (node: ServerProcess) => {
      const dir = await api(node, sub.token, 'POST', '/api/director/subscribe', {
        streamAccountId: own.streamAccountId,
        streamName: 'vc',
      });
      assert.equal(dir.status, 200, JSON.stringify(dir.body));
      return dir.body.data.jwt as string;
    };
    const last = (v: { counts: number[] }) => v.counts[v.counts.length - 1];
    const onA = await viewerSocket(a, await jwtAt(a));
    const onB1 = await viewerSocket(b, await jwtAt(b));
    const onB2 = await viewerSocket(b, await jwtAt(b));
    try {
      await waitUntil(
        '3 everywhere',
        async () => [last(onA), last(onB1), last(onB2)],
        (c) => c.every((n) => n === 3),
      );
      onB2.ws.close();
      await waitUntil(
        '2 everywhere',
        async () => [last(onA), last(onB1)],
        (c) => c.every((n) => n === 2),
      );
      onA.ws.close();
      await waitUntil(
        '1 on B',
        async () => last(onB1),
        (n) => n === 1,
      );
      // No count above the number of sockets ever open was announced.
      assert.ok([...onA.counts, ...onB1.counts, ...onB2.counts].every((n) => n >= 1 && n <= 3));
    } finally {
      for (const v of [onA, onB1, onB2]) v.ws.close();
    }
  });
});

describe('a node that dies mid-stream', { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(probe, { nodes: 2, env: { STREAMGATE_LIVE_LEASE: '2' } });
  });
  after(async () => {
    await cluster?.dispose();
  });

  it('does not leave the stream live: the lease lapses, another node ends it, one ended webhook', async () => {
    const [a, b] = cluster.nodes as [ServerProcess, ServerProcess];
    const acct = cluster.createAccount('death');
    const receiver = await startReceiver();
    try {
      assert.equal(
        (await api(b, acct.apiSecret, 'POST', '/api/webhooks', { url: receiver.url, isFeedHooks: true })).status,
        200,
      );
      const tok = await createToken(b, acct.apiSecret, 'publish', { label: 'd', streams: [{ streamName: 'doomed' }] });
      assert.equal((await nginx(a, 'on_publish', { name: 'doomed', clientid: '5', token: tok.token })).status, 200);
      await receiver.waitFor(1);
      const activePath = `/api/publish_token/active?streamId=${acct.streamAccountId}/doomed`;
      assert.deepEqual((await api(b, acct.apiSecret, 'GET', activePath)).body.data, { tokenIds: [tok.id] });

      const killedAt = Date.now();
      await cluster.kill(0);
      assert.equal(a.child.signalCode, 'SIGKILL');
      // 2 s lease, then node B's sweep (every 500 ms) ends it.
      await waitUntil(
        'stream no longer live',
        async () => (await api(b, acct.apiSecret, 'GET', activePath)).body.data.tokenIds,
        (ids: number[]) => ids.length === 0,
        8000,
      );
      assert.ok(Date.now() - killedAt < 8000);
      await receiver.waitFor(2, 5000);
      await sleep(1500);
      assert.deepEqual(feeds(receiver), ['feeds:started:doomed', 'feeds:ended:doomed']);
      // And the stream is free for a new publisher at the surviving node.
      assert.equal((await nginx(b, 'on_publish', { name: 'doomed', clientid: '6', token: tok.token })).status, 200);
    } finally {
      await receiver.close();
    }
  });
});

describe('PostgreSQL lost while the nodes run', { skip }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(probe, { nodes: 2, viaProxy: true });
  });
  after(async () => {
    await cluster?.dispose();
  });

  const unavailable = {
    status: 503,
    body: { status: 'error', message: 'Database unavailable: try again shortly', code: 503, data: null },
  };

  it('answers 503 DATABASE_UNAVAILABLE while cut off, recovers by itself, and loses no acknowledged write', async () => {
    const [a, b] = cluster.nodes as [ServerProcess, ServerProcess];
    const proxy = cluster.proxy!;
    const acct = cluster.createAccount('outage');
    const made: number[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        (
          await createToken(i % 2 ? b : a, acct.apiSecret, 'publish', {
            label: `kept-${i}`,
            streams: [{ streamName: 'o' }],
          })
        ).id,
      );
    }
    const tok = await createToken(a, acct.apiSecret, 'publish', { label: 'dir', streams: [{ streamName: 'o' }] });

    await proxy.stop();
    const started = Date.now();
    for (const node of [a, b]) {
      assert.deepEqual(
        await api(node, acct.apiSecret, 'POST', '/api/publish_token', { label: 'x', streams: [{ streamName: 'o' }] }),
        unavailable,
      );
      assert.deepEqual(await api(node, acct.apiSecret, 'GET', `/api/publish_token/${made[0]}`), unavailable);
      assert.deepEqual(await api(node, tok.token, 'POST', '/api/director/publish', { streamName: 'o' }), unavailable);
      const ready = await api(node, null, 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal((await api(node, null, 'GET', '/healthz')).status, 200, 'the process is up');
    }
    assert.ok(Date.now() - started < 10_000, 'answered promptly');
    assert.equal(a.child.exitCode, null);
    assert.equal(b.child.exitCode, null);

    await proxy.start();
    for (const node of [a, b]) {
      await waitUntil(
        'node answers again',
        async () => (await api(node, acct.apiSecret, 'GET', `/api/publish_token/${made[0]}`)).status,
        (s) => s === 200,
        15_000,
      );
      assert.equal((await api(node, tok.token, 'POST', '/api/director/publish', { streamName: 'o' })).status, 200);
    }
    const listed = await api(b, acct.apiSecret, 'GET', '/api/publish_token/list?page=1&itemsOnPage=100&sortBy=AddedOn');
    assert.deepEqual(
      listed.body.data.map((t: { id: number }) => t.id),
      [...made, tok.id],
    );
    // Checked on the database itself too.
    const direct = new pg.Client(cluster.db.url);
    await direct.connect();
    try {
      const { rows } = await direct.query('SELECT id::int AS id FROM tokens WHERE account_id = $1 ORDER BY id', [
        acct.id,
      ]);
      assert.deepEqual(
        rows.map((r) => r.id),
        [...made, tok.id],
      );
    } finally {
      await direct.end();
    }
  });

  it('answers 503 within seconds when the database hangs (statement and connect timeouts), then recovers', async () => {
    const [a] = cluster.nodes as [ServerProcess];
    const proxy = cluster.proxy!;
    const acct = cluster.createAccount('hang');
    const tok = await createToken(a, acct.apiSecret, 'publish', { label: 'h', streams: [{ streamName: 'h' }] });
    proxy.freeze();
    try {
      const t0 = Date.now();
      const [read, director] = await Promise.all([
        api(a, acct.apiSecret, 'GET', `/api/publish_token/${tok.id}`),
        api(a, tok.token, 'POST', '/api/director/publish', { streamName: 'h' }),
      ]);
      const took = Date.now() - t0;
      assert.deepEqual(read, unavailable);
      assert.deepEqual(director, unavailable);
      assert.ok(took < 12_000, `answered in ${took} ms`);
    } finally {
      proxy.thaw();
    }
    await waitUntil(
      'answers again',
      async () => (await api(a, acct.apiSecret, 'GET', `/api/publish_token/${tok.id}`)).status,
      (s) => s === 200,
      15_000,
    );
  });
});

describe('PostgreSQL not there when a node starts', () => {
  it('`streamgate serve` says so and exits non-zero, without echoing the password', async () => {
    const port = await freePort();
    const r = runCli(['serve'], {
      STREAMGATE_DATABASE_URL: `postgres://sg:hunter2@127.0.0.1:${port}/streamgate`,
      STREAMGATE_PORT: String(await freePort()),
      STREAMGATE_HOST: '127.0.0.1',
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(`^streamgate: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/streamgate: .*ECONNREFUSED`),
    );
    assert.doesNotMatch(r.stderr, /hunter2/);
  });
});
