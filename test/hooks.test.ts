import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StreamEvent } from '../src/domain/live-registry.js';
import { type TestAccount, type TestApp, testApp } from './helpers/app.js';

/**
 * Contract tests of the media-server hooks, each request shaped as its server documents it:
 * nginx-rtmp's notify module (form fields of nginx first, then the client's query args),
 * SRS http_hooks (JSON, allow = 200 `0`) and MediaMTX authMethod http (JSON, 2xx / 401).
 */

let t: TestApp;
let acct: TestAccount;
let clock = Date.parse('2026-03-01T12:00:00.000Z');
const events: StreamEvent[] = [];

before(async () => {
  t = await testApp({ now: () => clock });
  acct = await t.account();
  t.app.services.live.on('stream', (e) => events.push(e));
});
after(() => t.close());

const mk = async (kind: 'publish' | 'subscribe', body: Record<string, unknown>) => {
  const res = await t.call(acct.secret, 'POST', `/api/${kind}_token`, { label: 'hook test', ...body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data as { id: number; token: string };
};
const leases = (streamName: string) => t.app.services.live.leases(acct.id, streamName);
const eventsOf = (streamName: string) =>
  events.filter((e) => e.streamName === streamName).map((e) => `${e.type}:${e.tokenId}`);
const failBody = (code: string, message: string) => ({ status: 'fail', data: { message, code } });

// --- nginx-rtmp -----------------------------------------------------------------------------

type NginxHook = 'on_publish' | 'on_play' | 'on_update' | 'on_publish_done' | 'on_play_done';
const NGINX_CALL: Record<NginxHook, string> = {
  on_publish: 'publish',
  on_play: 'play',
  on_update: 'update_publish',
  on_publish_done: 'publish_done',
  on_play_done: 'play_done',
};

interface NginxCall {
  name?: string | null;
  addr?: string;
  clientid?: string | null;
  call?: string;
  /** the client's own query args, appended raw after nginx's fields as nginx does */
  args?: string;
  /** the HTTP peer: the nginx host */
  peer?: string;
  method?: 'GET' | 'POST';
  urlQuery?: string;
}

/** A request as ngx_rtmp_notify_module builds it: session fields, call and name, then the client args. */
function nginxBody(hook: NginxHook, c: NginxCall): string {
  const fields: [string, string][] = [
    ['app', 'live'],
    ['flashver', 'FMLE/3.0 (compatible; FMSc/1.0)'],
    ['swfurl', ''],
    ['tcurl', 'rtmp://127.0.0.1:1935/live'],
    ['pageurl', ''],
    ['addr', c.addr ?? '127.0.0.1'],
  ];
  if (c.clientid !== null) fields.push(['clientid', c.clientid ?? '1']);
  fields.push(['call', c.call ?? NGINX_CALL[hook]]);
  if (hook === 'on_update') fields.push(['time', '30'], ['timestamp', '30000']);
  if (c.name !== null) fields.push(['name', c.name ?? 'feed']);
  if (hook === 'on_publish') fields.push(['type', 'live']);
  if (hook === 'on_play') fields.push(['start', '4294965296'], ['duration', '0'], ['reset', '0']);
  const body = fields.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return c.args ? `${body}&${c.args}` : body;
}

async function nginx(hook: NginxHook, c: NginxCall = {}) {
  const body = nginxBody(hook, c);
  const query = c.urlQuery ? `?${c.urlQuery}` : '';
  const res =
    c.method === 'GET'
      ? await t.app.inject({
          method: 'GET',
          url: `/hooks/nginx-rtmp/${hook}?${body}`,
          remoteAddress: c.peer ?? '127.0.0.1',
        })
      : await t.app.inject({
          method: 'POST',
          url: `/hooks/nginx-rtmp/${hook}${query}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: body,
          remoteAddress: c.peer ?? '127.0.0.1',
        });
  return { status: res.statusCode, text: res.body, json: () => res.json() };
}

const assertDenied = (
  res: { status: number; json: () => unknown },
  status: number,
  code: string,
  message: string,
): void => {
  assert.deepEqual([res.status, res.json()], [status, failBody(code, message)]);
};

describe('nginx-rtmp hooks', () => {
  it('on_publish with a valid token allows (2xx, empty body) and makes the stream live', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-live' }] });
    const res = await nginx('on_publish', { name: 'n-live', clientid: '7', args: `token=${tok.token}` });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    const held = await leases('n-live');
    assert.deepEqual(
      held.map((l) => [l.holderId, l.tokenId, l.sourceId]),
      [['nginx:127.0.0.1:7', tok.id, null]],
    );
    assert.deepEqual(eventsOf('n-live'), [`started:${tok.id}`]);
  });

  it('refuses invalid, missing, expired and disabled tokens and a wrong stream name, with exact texts', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-deny' }], expires: 60 });
    assertDenied(
      await nginx('on_publish', { name: 'n-deny', args: `token=${'f'.repeat(64)}` }),
      401,
      'INVALID_TOKEN',
      'Unauthorized: Invalid token',
    );
    assertDenied(await nginx('on_publish', { name: 'n-deny' }), 401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
    assertDenied(
      await nginx('on_publish', { name: 'n-other', args: `token=${tok.token}` }),
      401,
      'STREAM_NAME_NOT_ALLOWED',
      'StreamName is not valid for token',
    );

    const off = await mk('publish', { streams: [{ streamName: 'n-deny' }] });
    assert.equal((await t.call(acct.secret, 'PUT', `/api/publish_token/${off.id}`, { isActive: false })).status, 200);
    assertDenied(
      await nginx('on_publish', { name: 'n-deny', args: `token=${off.token}` }),
      401,
      'TOKEN_DISABLED',
      'Unauthorized: Token disabled',
    );

    clock += 61_000;
    assertDenied(
      await nginx('on_publish', { name: 'n-deny', args: `token=${tok.token}` }),
      401,
      'TOKEN_EXPIRED',
      'Unauthorized: Token expired',
    );
    assert.deepEqual(await leases('n-deny'), []);
  });

  it('IP rules use the RTMP client address nginx reports (addr), not the HTTP peer; IPv4-mapped is IPv4', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-ip' }], allowedIpAddresses: ['203.0.113.0/24'] });
    // the HTTP peer is inside the allowed block, the RTMP client is not
    assertDenied(
      await nginx('on_publish', {
        name: 'n-ip',
        addr: '198.51.100.9',
        peer: '203.0.113.1',
        args: `token=${tok.token}`,
      }),
      401,
      'IP_NOT_ALLOWED',
      'Unauthorized: IP Address not allowed',
    );
    const mapped = await nginx('on_publish', {
      name: 'n-ip',
      addr: '::ffff:203.0.113.50',
      peer: '198.51.100.1',
      args: `token=${tok.token}`,
    });
    assert.equal(mapped.status, 200);
  });

  it('bindIpsOnUsage binds the first RTMP client address and then refuses others', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-bind' }], bindIpsOnUsage: 1 });
    assert.equal(
      (await nginx('on_publish', { name: 'n-bind', addr: '192.0.2.10', clientid: '1', args: `token=${tok.token}` }))
        .status,
      200,
    );
    const read = await t.call(acct.secret, 'GET', `/api/publish_token/${tok.id}`);
    assert.deepEqual(read.body.data.allowedIpAddresses, ['192.0.2.10']);
    assert.equal(
      (await nginx('on_publish_done', { name: 'n-bind', clientid: '1', args: `token=${tok.token}` })).status,
      200,
    );
    assertDenied(
      await nginx('on_publish', { name: 'n-bind', addr: '192.0.2.11', clientid: '2', args: `token=${tok.token}` }),
      401,
      'IP_NOT_ALLOWED',
      'Unauthorized: IP Address not allowed',
    );
    assert.equal(
      (await nginx('on_publish', { name: 'n-bind', addr: '192.0.2.10', clientid: '3', args: `token=${tok.token}` }))
        .status,
      200,
    );
  });

  it("a repeated key takes its first value: a client's args cannot override nginx's addr or name", async () => {
    const tok = await mk('publish', {
      streams: [{ streamName: 'n-first' }],
      allowedIpAddresses: ['203.0.113.7'],
    });
    // the client tries to pass as an allowed address
    assertDenied(
      await nginx('on_publish', {
        name: 'n-first',
        addr: '198.51.100.66',
        args: `token=${tok.token}&addr=203.0.113.7`,
      }),
      401,
      'IP_NOT_ALLOWED',
      'Unauthorized: IP Address not allowed',
    );
    // ...or to publish under a name its token covers while nginx publishes another
    const other = await mk('publish', { streams: [{ streamName: 'n-covered' }] });
    assertDenied(
      await nginx('on_publish', { name: 'n-uncovered', args: `token=${other.token}&name=n-covered` }),
      401,
      'STREAM_NAME_NOT_ALLOWED',
      'StreamName is not valid for token',
    );
    // and the first token= wins too
    const ok = await nginx('on_publish', {
      name: 'n-first',
      addr: '203.0.113.7',
      args: `token=${tok.token}&token=${'0'.repeat(64)}&name=n-elsewhere`,
    });
    assert.equal(ok.status, 200);
    assert.equal((await leases('n-first')).length, 1);
    assert.deepEqual(await leases('n-elsewhere'), []);
  });

  it('a second publisher on a live name is refused with 409 until the first is done; done ends the stream', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-busy' }] });
    assert.equal(
      (await nginx('on_publish', { name: 'n-busy', clientid: '10', args: `token=${tok.token}` })).status,
      200,
    );
    assertDenied(
      await nginx('on_publish', { name: 'n-busy', clientid: '11', args: `token=${tok.token}` }),
      409,
      'STREAM_ALREADY_PUBLISHED',
      'Stream is already being published',
    );
    // the same connection number on another nginx host is another publisher too
    assertDenied(
      await nginx('on_publish', { name: 'n-busy', clientid: '10', peer: '10.9.9.9', args: `token=${tok.token}` }),
      409,
      'STREAM_ALREADY_PUBLISHED',
      'Stream is already being published',
    );
    // the refused publisher's done does not end the stream
    assert.equal(
      (await nginx('on_publish_done', { name: 'n-busy', clientid: '11', args: `token=${tok.token}` })).status,
      200,
    );
    assert.equal((await leases('n-busy')).length, 1);

    const done = await nginx('on_publish_done', { name: 'n-busy', clientid: '10', args: `token=${tok.token}` });
    assert.equal(done.status, 200);
    assert.deepEqual(await leases('n-busy'), []);
    assert.deepEqual(eventsOf('n-busy'), [`started:${tok.id}`, `ended:${tok.id}`]);
    assert.equal(
      (await nginx('on_publish', { name: 'n-busy', clientid: '11', args: `token=${tok.token}` })).status,
      200,
    );
  });

  it('publish done is found from the token when this node does not remember the publisher', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-node' }] });
    // a lease taken by another node (the registry is shared through the store)
    await t.app.services.live.acquire({
      accountId: acct.id,
      streamName: 'n-node',
      holderId: 'nginx:127.0.0.1:55',
      tokenId: tok.id,
      sourceId: null,
      multisource: true,
    });
    assert.equal(
      (await nginx('on_publish_done', { name: 'n-node', clientid: '55', args: `token=${tok.token}` })).status,
      200,
    );
    assert.deepEqual(await leases('n-node'), []);
    assert.deepEqual(eventsOf('n-node'), [`started:${tok.id}`, `ended:${tok.id}`]);
  });

  it('on_update renews the lease; a publisher whose updates stop expires and its stream ends', async () => {
    const lease = t.config.liveLeaseSeconds * 1000;
    const tok = await mk('publish', { streams: [{ streamName: 'n-upd' }] });
    assert.equal(
      (await nginx('on_publish', { name: 'n-upd', clientid: '20', args: `token=${tok.token}` })).status,
      200,
    );
    for (let i = 0; i < 3; i++) {
      clock += lease - 1_000;
      const upd = await nginx('on_update', { name: 'n-upd', clientid: '20', args: `token=${tok.token}` });
      assert.equal(upd.status, 200);
      await t.app.services.live.sweep();
      assert.equal((await leases('n-upd')).length, 1, `still live after update ${i}`);
    }
    // updates stop
    clock += lease + 1;
    await t.app.services.live.sweep();
    assert.deepEqual(await leases('n-upd'), []);
    assert.deepEqual(eventsOf('n-upd'), [`started:${tok.id}`, `ended:${tok.id}`]);

    // meanwhile another publisher took the name: the late one's update is refused so nginx drops it
    assert.equal(
      (await nginx('on_publish', { name: 'n-upd', clientid: '21', args: `token=${tok.token}` })).status,
      200,
    );
    assertDenied(
      await nginx('on_update', { name: 'n-upd', clientid: '20', args: `token=${tok.token}` }),
      409,
      'STREAM_ALREADY_PUBLISHED',
      'Stream is already being published',
    );
    // viewers' updates are always fine
    assert.equal((await nginx('on_update', { name: 'n-upd', clientid: '99', call: 'update_play' })).status, 200);
  });

  it('an update after a lapse with nobody else on the stream publishes again, fully re-checked', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-lapse' }] });
    assert.equal(
      (await nginx('on_publish', { name: 'n-lapse', clientid: '30', args: `token=${tok.token}` })).status,
      200,
    );
    clock += t.config.liveLeaseSeconds * 1000 + 1;
    await t.app.services.live.sweep();
    assert.equal(
      (await nginx('on_update', { name: 'n-lapse', clientid: '30', args: `token=${tok.token}` })).status,
      200,
    );
    assert.deepEqual(
      (await leases('n-lapse')).map((l) => l.holderId),
      ['nginx:127.0.0.1:30'],
    );
    assert.deepEqual(eventsOf('n-lapse'), [`started:${tok.id}`, `ended:${tok.id}`, `started:${tok.id}`]);
    // a lapsed publisher whose token was disabled meanwhile is dropped
    clock += t.config.liveLeaseSeconds * 1000 + 1;
    await t.app.services.live.sweep();
    await t.call(acct.secret, 'PUT', `/api/publish_token/${tok.id}`, { isActive: false });
    assertDenied(
      await nginx('on_update', { name: 'n-lapse', clientid: '30', args: `token=${tok.token}` }),
      401,
      'TOKEN_DISABLED',
      'Unauthorized: Token disabled',
    );
  });

  it('on_play: subscribe token, tokenless viewers of a live stream, subscribeRequiresAuth', async () => {
    const pub = await mk('publish', { streams: [{ streamName: 'n-play' }] });
    const sub = await mk('subscribe', { streams: [{ streamName: 'n-play' }] });
    const tokenless = { name: 'n-play', args: `streamAccountId=${acct.streamAccountId}` };

    // a subscribe token holder may wait for the stream; a tokenless viewer may not
    assert.equal((await nginx('on_play', { name: 'n-play', args: `token=${sub.token}` })).status, 200);
    assertDenied(await nginx('on_play', tokenless), 404, 'STREAM_NOT_FOUND', 'Stream not found');
    assertDenied(
      await nginx('on_play', { name: 'n-play', args: `token=${'e'.repeat(64)}` }),
      401,
      'INVALID_TOKEN',
      'Unauthorized: Invalid token',
    );

    assert.equal(
      (await nginx('on_publish', { name: 'n-play', clientid: '40', args: `token=${pub.token}` })).status,
      200,
    );
    assert.equal((await nginx('on_play', tokenless)).status, 200);
    // the account id may also be set by the operator in the callback URL
    assert.equal(
      (await nginx('on_play', { name: 'n-play', urlQuery: `streamAccountId=${acct.streamAccountId}` })).status,
      200,
    );
    assert.equal((await nginx('on_play_done', { name: 'n-play' })).status, 200);

    const strict = await mk('publish', { streams: [{ streamName: 'n-strict' }], subscribeRequiresAuth: true });
    assert.equal(
      (await nginx('on_publish', { name: 'n-strict', clientid: '41', args: `token=${strict.token}` })).status,
      200,
    );
    assertDenied(
      await nginx('on_play', { name: 'n-strict', args: `streamAccountId=${acct.streamAccountId}` }),
      401,
      'SUBSCRIBE_TOKEN_REQUIRED',
      'Unauthorized: subscribe token required',
    );
  });

  it('notify_method get carries the same fields in the query', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-get' }] });
    assert.equal(
      (await nginx('on_publish', { method: 'GET', name: 'n-get', clientid: '50', args: `token=${tok.token}` })).status,
      200,
    );
    assert.equal((await leases('n-get')).length, 1);
    assert.equal((await nginx('on_publish_done', { method: 'GET', name: 'n-get', clientid: '50' })).status, 200);
    assert.deepEqual(await leases('n-get'), []);
  });

  it('missing fields are a 400 naming them', async () => {
    for (const [hook, c, field] of [
      ['on_publish', { name: null }, 'name'],
      ['on_publish', { clientid: null, args: 'token=x' }, 'clientid'],
      ['on_play', { name: null }, 'name'],
      ['on_update', { name: null }, 'name'],
      ['on_publish_done', { clientid: null }, 'clientid'],
    ] as const) {
      const res = await nginx(hook, c);
      assert.equal(res.status, 400, `${hook} without ${field}`);
      assert.deepEqual((res.json() as any).data.errors, { [field]: ['is required'] });
    }
    const empty = await t.app.inject({ method: 'POST', url: '/hooks/nginx-rtmp/on_publish' });
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(empty.json().data.errors, { name: ['is required'] });
  });

  it('the form parser is scoped to the hooks: JSON routes still refuse form bodies', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'n-scope' }] });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/director/publish',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${tok.token}` },
      payload: 'streamName=n-scope',
    });
    assert.equal(res.statusCode, 415);
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/director/publish',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok.token}` },
      payload: JSON.stringify({ streamName: 'n-scope' }),
    });
    assert.equal(json.statusCode, 200);
  });
});

// --- SRS --------------------------------------------------------------------------------------

/** An SRS v5/v6 http_hooks body, as documented in SRS's http-callback page. */
function srsBody(action: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const stream = (over.stream as string | undefined) ?? 'livestream';
  return {
    server_id: 'vid-0xk989d',
    service_id: 'plw1l9l7',
    action,
    client_id: '3y1tcaw2',
    ip: '127.0.0.1',
    vhost: '__defaultVhost__',
    app: 'live',
    tcUrl: 'rtmp://127.0.0.1:1935/live',
    stream,
    param: '',
    stream_url: `/live/${stream}`,
    stream_id: 'vid-124q9y3',
    ...over,
  };
}

async function srs(action: string, over: Record<string, unknown> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/hooks/srs',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(srsBody(action, over)),
  });
  return { status: res.statusCode, text: res.body, type: res.headers['content-type'], json: () => res.json() };
}

describe('SRS http_hooks', () => {
  it('on_publish allowed: 200 with body 0; the stream is live under srs:<server_id>:<client_id>', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 's-live' }] });
    const res = await srs('on_publish', { stream: 's-live', param: `?token=${tok.token}` });
    assert.deepEqual([res.status, res.text], [200, '0']);
    assert.match(String(res.type), /^text\/plain/);
    assert.deepEqual(
      (await leases('s-live')).map((l) => [l.holderId, l.tokenId]),
      [['srs:vid-0xk989d:3y1tcaw2', tok.id]],
    );
    // older SRS: numeric client_id, no server_id -> named after the SRS host
    const old = await mk('publish', { streams: [{ streamName: 's-old' }] });
    const v3 = await srs('on_publish', {
      stream: 's-old',
      client_id: 1985,
      server_id: undefined,
      param: `?token=${old.token}`,
    });
    assert.equal(v3.text, '0');
    assert.deepEqual(
      (await leases('s-old')).map((l) => l.holderId),
      ['srs:127.0.0.1:1985'],
    );
  });

  it('denials are non-200 with {code, message}', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 's-deny' }], allowedIpAddresses: ['192.0.2.0/24'] });
    const bad = await srs('on_publish', { stream: 's-deny', param: `?token=${'a'.repeat(64)}` });
    assert.deepEqual(
      [bad.status, bad.json()],
      [401, { code: 'INVALID_TOKEN', message: 'Unauthorized: Invalid token' }],
    );
    const name = await srs('on_publish', { stream: 's-nope', ip: '192.0.2.1', param: `?token=${tok.token}` });
    assert.deepEqual(
      [name.status, name.json()],
      [401, { code: 'STREAM_NAME_NOT_ALLOWED', message: 'StreamName is not valid for token' }],
    );
    const ip = await srs('on_publish', { stream: 's-deny', ip: '198.51.100.1', param: `?token=${tok.token}` });
    assert.deepEqual(
      [ip.status, ip.json()],
      [401, { code: 'IP_NOT_ALLOWED', message: 'Unauthorized: IP Address not allowed' }],
    );
    // param: first value wins
    const first = await srs('on_publish', {
      stream: 's-deny',
      ip: '192.0.2.1',
      param: `?token=${'a'.repeat(64)}&token=${tok.token}`,
    });
    assert.equal(first.status, 401);
    const ok = await srs('on_publish', { stream: 's-deny', ip: '192.0.2.1', param: `?token=${tok.token}&token=x` });
    assert.equal(ok.text, '0');
    // a token on the application URL (tcUrl) counts when the stream URL has none
    const busy = await srs('on_publish', {
      stream: 's-deny',
      client_id: 'second',
      ip: '192.0.2.2',
      tcUrl: `rtmp://127.0.0.1/live?token=${tok.token}`,
    });
    assert.deepEqual(
      [busy.status, busy.json()],
      [409, { code: 'STREAM_ALREADY_PUBLISHED', message: 'Stream is already being published' }],
    );
  });

  it('on_unpublish ends the stream; on_play decides viewers; other actions are acknowledged with 0', async () => {
    const pub = await mk('publish', { streams: [{ streamName: 's-play' }], subscribeRequiresAuth: true });
    const sub = await mk('subscribe', { streams: [{ streamName: 's-play' }] });
    assert.equal((await srs('on_publish', { stream: 's-play', param: `?token=${pub.token}` })).text, '0');

    const viewer = await srs('on_play', { client_id: 'v1', stream: 's-play', param: `?token=${sub.token}` });
    assert.deepEqual([viewer.status, viewer.text], [200, '0']);
    const tokenless = await srs('on_play', {
      client_id: 'v2',
      stream: 's-play',
      param: `?streamAccountId=${acct.streamAccountId}`,
    });
    assert.deepEqual(
      [tokenless.status, tokenless.json()],
      [401, { code: 'SUBSCRIBE_TOKEN_REQUIRED', message: 'Unauthorized: subscribe token required' }],
    );

    for (const action of ['on_connect', 'on_close', 'on_stop', 'on_dvr', 'on_hls', 'on_hls_notify']) {
      const res = await srs(action, { stream: 's-play', client_id: 'v1' });
      assert.deepEqual([res.status, res.text], [200, '0'], action);
    }

    const un = await srs('on_unpublish', { stream: 's-play', param: `?token=${pub.token}` });
    assert.deepEqual([un.status, un.text], [200, '0']);
    assert.deepEqual(await leases('s-play'), []);
    assert.deepEqual(eventsOf('s-play'), [`started:${pub.id}`, `ended:${pub.id}`]);
  });

  it("on_hls keeps a publisher's lease alive (SRS has no per-stream heartbeat)", async () => {
    const lease = t.config.liveLeaseSeconds * 1000;
    const tok = await mk('publish', { streams: [{ streamName: 's-hls' }] });
    assert.equal((await srs('on_publish', { stream: 's-hls', param: `?token=${tok.token}` })).text, '0');
    clock += lease - 1_000;
    assert.equal((await srs('on_hls', { stream: 's-hls', duration: 9.9, seq_no: 3 })).text, '0');
    clock += lease - 1_000;
    await t.app.services.live.sweep();
    assert.equal((await leases('s-hls')).length, 1);
    clock += 2_000;
    await t.app.services.live.sweep();
    assert.deepEqual(await leases('s-hls'), []);
  });

  it('bad bodies are a 400 naming the field, never a 500', async () => {
    const post = (payload: string) =>
      t.app.inject({ method: 'POST', url: '/hooks/srs', headers: { 'content-type': 'application/json' }, payload });
    const noStream = await srs('on_publish', { stream: '' });
    assert.equal(noStream.status, 400);
    assert.deepEqual(noStream.json().data.errors, { stream: ['is required'] });
    const noClient = await srs('on_publish', { client_id: null, param: '?token=x' });
    assert.deepEqual(noClient.json().data.errors, { client_id: ['is required'] });
    const noAction = await post(JSON.stringify({ stream: 'x' }));
    assert.deepEqual([noAction.statusCode, noAction.json().data.errors], [400, { action: ['is required'] }]);
    const array = await post('[1,2]');
    assert.deepEqual([array.statusCode, array.json().data.errors], [400, { body: ['must be a JSON object'] }]);
    const broken = await post('{"action":');
    assert.equal(broken.statusCode, 400);
  });
});

// --- MediaMTX ---------------------------------------------------------------------------------

/** The JSON MediaMTX posts to authHTTPAddress (internal/auth/manager.go). */
function mtxBody(over: Record<string, unknown>): Record<string, unknown> {
  return {
    user: '',
    password: '',
    token: '',
    ip: '127.0.0.1',
    action: 'publish',
    path: 'm-feed',
    protocol: 'rtmp',
    id: '5f3c8a1e-2b7d-4c1a-9e6f-0a1b2c3d4e5f',
    query: '',
    ...over,
  };
}

async function mtx(url: string, body: Record<string, unknown> | string, contentType = 'application/json') {
  const res = await t.app.inject({
    method: 'POST',
    url: `/hooks/mediamtx/${url}`,
    headers: { 'content-type': contentType },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, json: () => res.json() };
}
const auth = (over: Record<string, unknown>) => mtx('auth', mtxBody(over));

describe('MediaMTX authMethod http', () => {
  it('publish: token from query, password or token field; 200 allows and takes mediamtx:<id>', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'm-a' }, { streamName: 'm-b' }, { streamName: 'm-c' }] });
    assert.equal((await auth({ path: 'm-a', id: 'id-a', query: `token=${tok.token}` })).status, 200);
    assert.equal(
      (await auth({ path: 'm-b', id: 'id-b', protocol: 'rtsp', user: 'pub', password: tok.token })).status,
      200,
    );
    assert.equal((await auth({ path: 'm-c', id: 'id-c', protocol: 'webrtc', token: tok.token })).status, 200);
    assert.deepEqual(
      (await leases('m-a')).map((l) => [l.holderId, l.tokenId]),
      [['mediamtx:id-a', tok.id]],
    );
    assert.deepEqual(
      (await leases('m-b')).map((l) => l.holderId),
      ['mediamtx:id-b'],
    );
  });

  it('denials are 401 with the exact text; RTSP clients without credentials are asked for them', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'm-deny' }], allowedIpAddresses: ['192.0.2.0/24'] });
    const none = await auth({ path: 'm-deny', protocol: 'rtsp' });
    assert.deepEqual([none.status, none.json()], [401, failBody('INVALID_TOKEN', 'Unauthorized: Invalid token')]);
    const ip = await auth({ path: 'm-deny', ip: '198.51.100.3', query: `token=${tok.token}` });
    assert.deepEqual([ip.status, ip.json()], [401, failBody('IP_NOT_ALLOWED', 'Unauthorized: IP Address not allowed')]);
    const first = await auth({ path: 'm-deny', ip: '192.0.2.3', query: `token=${'b'.repeat(64)}&token=${tok.token}` });
    assert.equal(first.status, 401);

    assert.equal((await auth({ path: 'm-deny', id: 'one', ip: '192.0.2.3', query: `token=${tok.token}` })).status, 200);
    // MediaMTX may authenticate the same session again: it keeps its stream
    assert.equal((await auth({ path: 'm-deny', id: 'one', ip: '192.0.2.3', query: `token=${tok.token}` })).status, 200);
    // any other session is a second publisher: refused with 401 (MediaMTX's deny), the 409 text kept
    const second = await auth({ path: 'm-deny', id: 'two', ip: '192.0.2.3', query: `token=${tok.token}` });
    assert.deepEqual(
      [second.status, second.json()],
      [401, failBody('STREAM_ALREADY_PUBLISHED', 'Stream is already being published')],
    );
  });

  it('read and playback go through the subscribe decision', async () => {
    const pub = await mk('publish', { streams: [{ streamName: 'm-read' }] });
    const sub = await mk('subscribe', { streams: [{ streamName: 'm-read' }] });
    const tokenless = { action: 'read', path: 'm-read', query: `streamAccountId=${acct.streamAccountId}` };
    const notLive = await auth(tokenless);
    assert.deepEqual([notLive.status, notLive.json()], [401, failBody('STREAM_NOT_FOUND', 'Stream not found')]);
    assert.equal((await auth({ action: 'read', path: 'm-read', protocol: 'hls', token: sub.token })).status, 200);
    assert.equal((await auth({ action: 'playback', path: 'm-read', password: sub.token })).status, 200);
    assert.equal((await auth({ action: 'read', path: 'm-other', token: sub.token })).status, 401);

    assert.equal((await auth({ path: 'm-read', id: 'pub-read', query: `token=${pub.token}` })).status, 200);
    assert.equal((await auth(tokenless)).status, 200);
  });

  it('api, metrics and pprof are never granted, whatever the token', async () => {
    const tok = await mk('publish', { streams: [{ streamName: '.*', isRegex: true }] });
    for (const action of ['api', 'metrics', 'pprof', 'something-new']) {
      const res = await auth({ action, path: '', id: null, token: tok.token });
      assert.deepEqual([res.status, res.json()], [401, failBody('UNAUTHORIZED', 'Unauthorized')], action);
    }
  });

  it('runOnReady renews, runOnNotReady releases and ends the stream (JSON or curl form bodies)', async () => {
    const lease = t.config.liveLeaseSeconds * 1000;
    const tok = await mk('publish', { streams: [{ streamName: 'm-live' }] });
    const id = '0e9a3b7c-1111-4222-8333-944455556666';
    assert.equal((await auth({ path: 'm-live', id, query: `token=${tok.token}` })).status, 200);
    for (let i = 0; i < 3; i++) {
      clock += lease - 1_000;
      const ready =
        i % 2 === 0
          ? await mtx('ready', { path: 'm-live', id })
          : await mtx('ready', `path=m-live&id=${id}`, 'application/x-www-form-urlencoded');
      assert.deepEqual([ready.status, ready.json()], [200, { status: 'success', data: { live: true } }]);
      await t.app.services.live.sweep();
      assert.equal((await leases('m-live')).length, 1);
    }
    const done = await mtx('not_ready', `path=m-live&id=${id}`, 'application/x-www-form-urlencoded');
    assert.deepEqual([done.status, done.json()], [200, { status: 'success', data: { released: true } }]);
    assert.deepEqual(await leases('m-live'), []);
    assert.deepEqual(eventsOf('m-live'), [`started:${tok.id}`, `ended:${tok.id}`]);
    const again = await mtx('ready', { path: 'm-live', id });
    assert.deepEqual([again.status, again.json()], [404, failBody('STREAM_NOT_FOUND', 'Stream not found')]);
  });

  it('a publisher whose runOnReady loop stops expires; another then takes the name', async () => {
    const tok = await mk('publish', { streams: [{ streamName: 'm-exp' }] });
    assert.equal((await auth({ path: 'm-exp', id: 'gone', query: `token=${tok.token}` })).status, 200);
    clock += t.config.liveLeaseSeconds * 1000 + 1;
    await t.app.services.live.sweep();
    assert.deepEqual(eventsOf('m-exp'), [`started:${tok.id}`, `ended:${tok.id}`]);
    assert.equal((await auth({ path: 'm-exp', id: 'next', query: `token=${tok.token}` })).status, 200);
    const late = await mtx('ready', { path: 'm-exp', id: 'gone', query: `token=${tok.token}` });
    assert.deepEqual(
      [late.status, late.json()],
      [409, failBody('STREAM_ALREADY_PUBLISHED', 'Stream is already being published')],
    );
  });

  it('bad bodies are a 400 naming the field', async () => {
    const noPath = await auth({ path: '' });
    assert.deepEqual([noPath.status, noPath.json().data.errors], [400, { path: ['is required'] }]);
    const noId = await auth({ id: null, query: 'token=x' });
    assert.deepEqual([noId.status, noId.json().data.errors], [400, { id: ['is required'] }]);
    const noAction = await auth({ action: undefined });
    assert.deepEqual([noAction.status, noAction.json().data.errors], [400, { action: ['is required'] }]);
    const readyNoId = await mtx('ready', { path: 'x' });
    assert.deepEqual([readyNoId.status, readyNoId.json().data.errors], [400, { id: ['is required'] }]);
    const notObject = await mtx('auth', '"publish"');
    assert.deepEqual([notObject.status, notObject.json().data.errors], [400, { body: ['must be a JSON object'] }]);
  });
});
