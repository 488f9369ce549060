/**
 * End to end with real media software: Streamgate as a process, Debian's nginx with the RTMP
 * module calling its hooks, ffmpeg publishing and playing. Proves that nginx, asking Streamgate,
 * lets through exactly who the tokens allow, and that liveness, viewer events and webhooks follow
 * a real publisher.
 *
 * Needs nginx, libnginx-mod-rtmp and ffmpeg (.ci/run installs them). Skipped locally without them;
 * under CI a missing tool is a failure, never a skip.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { requestJson } from './helpers/http.js';
import { eventually, type Ffmpeg, mediaToolsMissing, type Nginx, play, publish, startNginx } from './helpers/media.js';
import { type ServerProcess, startServer } from './helpers/server-process.js';
import { type Receiver, signatureValid, startReceiver } from './helpers/webhook-receiver.js';

const missing = mediaToolsMissing();
if (missing && process.env.CI) throw new Error(`end-to-end media tools missing under CI: ${missing}`);

type Api = (
  method: string,
  path: string,
  body?: unknown,
  bearer?: string | null,
) => Promise<{ status: number; body: any }>;

function api(server: ServerProcess, secret: string): Api {
  return (method, path, body, bearer = secret) => requestJson(server.url, method, path, { body, bearer });
}

/** A viewer's event socket: every message it received, parsed. */
interface Viewer {
  readonly events: { name: string; data: Record<string, unknown> }[];
  close(): void;
}

async function viewer(server: ServerProcess, jwt: string): Promise<Viewer> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/events?token=${encodeURIComponent(jwt)}`);
  const events: Viewer['events'] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw));
    if (m.type === 'event') events.push({ name: m.name, data: m.data });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { events, close: () => ws.close() };
}

/** Waits for a refused ffmpeg to give up; returns its exit code. */
async function refused(ff: Ffmpeg): Promise<number | null> {
  const timer = setTimeout(() => ff.child.kill('SIGKILL'), 20_000);
  const code = await ff.exited;
  clearTimeout(timer);
  return code;
}

const HOOKS_SECRET = 'e2e-hooks-secret-0123456789';

describe('nginx-rtmp + ffmpeg end to end', { skip: missing ?? false, timeout: 180_000 }, () => {
  let server: ServerProcess;
  let nginx: Nginx;
  let receiver: Receiver;
  let call: Api;
  let streamAccountId: string;
  let publishToken: string;
  let subscribeToken: string;
  let webhookSecret: string;
  let rtmp: (stream: string, token?: string) => string;
  const running: Ffmpeg[] = [];

  before(async () => {
    // A short lease so that a publisher whose updates stop is noticed quickly (nginx updates every 2 s).
    // The hooks demand a shared secret, which nginx sends in its callback URLs, as deployed.
    server = await startServer({ env: { STREAMGATE_LIVE_LEASE: '8', STREAMGATE_HOOKS_SECRET: HOOKS_SECRET } });
    const account = server.createAccount('e2e');
    streamAccountId = account.streamAccountId;
    call = api(server, account.apiSecret);
    nginx = await startNginx({ streamgate: server.url, updateSeconds: 2, hooksSecret: HOOKS_SECRET });
    rtmp = (stream, token) =>
      `rtmp://127.0.0.1:${nginx.rtmpPort}/live/${stream}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
    receiver = await startReceiver();

    const pub = await call('POST', '/api/publish_token', {
      label: 'e2e publisher',
      streams: [{ streamName: 'feed1' }],
      subscribeRequiresAuth: true,
    });
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    publishToken = pub.body.data.token;
    const sub = await call('POST', '/api/subscribe_token', { label: 'e2e viewer', streams: [{ streamName: 'feed1' }] });
    assert.equal(sub.status, 200, JSON.stringify(sub.body));
    subscribeToken = sub.body.data.token;
    const hook = await call('POST', '/api/webhooks', { url: receiver.url, isFeedHooks: true });
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    webhookSecret = hook.body.data.secret;
  });

  after(async () => {
    for (const ff of running) await ff.stop();
    await nginx?.stop();
    await receiver?.close();
    await server?.dispose();
  });

  const isLive = async (stream: string) => {
    const r = await call(
      'GET',
      `/api/publish_token/active?streamId=${encodeURIComponent(`${streamAccountId}/${stream}`)}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.data.tokenIds as number[]).length > 0;
  };

  it('a valid token publishes through nginx; the stream goes live, refusals stay out, and it ends when ffmpeg stops', async () => {
    const director = await call('POST', '/api/director/subscribe', { streamName: 'feed1' }, subscribeToken);
    assert.equal(director.status, 200, JSON.stringify(director.body));
    const watcher = await viewer(server, director.body.data.jwt);
    await eventually(() => watcher.events.some((e) => e.name === 'inactive'), 'the initial inactive event');
    assert.equal(await isLive('feed1'), false);

    const first = publish(rtmp('feed1', publishToken));
    running.push(first);
    await eventually(() => isLive('feed1'), 'feed1 to be live');
    await eventually(() => watcher.events.some((e) => e.name === 'active'), 'the active event');
    const [started] = await receiver.waitFor(1, 10_000);
    assert.ok(started, 'a webhook arrived');
    assert.ok(signatureValid(started, webhookSecret), 'the started webhook is signed with the webhook secret');
    const startedBody = JSON.parse(started.raw.toString('utf8'));
    assert.equal(startedBody.type, 'feeds');
    assert.equal(startedBody.event, 'started');

    // Refusals, each of which nginx enforces by dropping the ffmpeg publisher.
    const wrongToken = await refused(publish(rtmp('feed2', 'f'.repeat(64))));
    assert.notEqual(wrongToken, 0, 'an unknown token is refused');
    const wrongStream = await refused(publish(rtmp('not-feed1', publishToken)));
    assert.notEqual(wrongStream, 0, 'a stream name the token does not allow is refused');

    const ipLimited = await call('POST', '/api/publish_token', {
      label: 'e2e office only',
      streams: [{ streamName: 'office' }],
      allowedIpAddresses: ['10.0.0.0/8'],
    });
    assert.equal(ipLimited.status, 200, JSON.stringify(ipLimited.body));
    const wrongIp = await refused(publish(rtmp('office', ipLimited.body.data.token)));
    assert.notEqual(wrongIp, 0, 'a publisher outside allowedIpAddresses (addr 127.0.0.1) is refused');
    assert.equal(await isLive('office'), false);
    // The control: the same rule naming the loopback client lets it publish.
    const loopback = await call('POST', '/api/publish_token', {
      label: 'e2e loopback only',
      streams: [{ streamName: 'office' }],
      allowedIpAddresses: ['127.0.0.0/8'],
    });
    assert.equal(loopback.status, 200, JSON.stringify(loopback.body));
    const allowed = publish(rtmp('office', loopback.body.data.token));
    running.push(allowed);
    await eventually(() => isLive('office'), 'office to be live from an allowed IP');
    await allowed.stop();

    const second = await refused(publish(rtmp('feed1', publishToken)));
    assert.notEqual(second, 0, 'a second publisher on the live name is refused');
    assert.equal(first.child.exitCode, null, 'the first publisher is still publishing');
    assert.equal(await isLive('feed1'), true);

    // Players: with a subscribe token ffmpeg receives media; without one it is refused
    // (the publish token says subscribeRequiresAuth).
    const player = play(rtmp('feed1', subscribeToken), 2);
    const played = await refused(player);
    assert.equal(played, 0, `the player with a subscribe token played: ${player.output()}`);
    const anonymous = await refused(play(rtmp('feed1'), 2));
    assert.notEqual(anonymous, 0, 'a player without a token is refused');

    await first.stop();
    await eventually(async () => !(await isLive('feed1')), 'feed1 to end');
    await eventually(
      () => watcher.events.some((e) => e.name === 'inactive' && watcher.events.some((a) => a.name === 'active')),
      'the inactive event',
    );
    // feed1 started and ended; the loopback control on "office" started and ended too.
    const all = await receiver.waitFor(4, 10_000);
    await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up
    const seen = all
      .map((r) => JSON.parse(r.raw.toString('utf8')))
      .map((b) => `${b.data.streamName}:${b.event}`)
      .sort();
    assert.deepEqual(seen, ['feed1:ended', 'feed1:started', 'office:ended', 'office:started']);
    assert.ok(
      all.every((r) => signatureValid(r, webhookSecret)),
      'every webhook is signed',
    );
    watcher.close();
  });

  it('a publisher whose connection vanishes without publish_done stops being live when its lease lapses', async () => {
    const ff = publish(rtmp('feed1', publishToken));
    running.push(ff);
    await eventually(() => isLive('feed1'), 'feed1 to be live again');
    // The media server dies abruptly: no publish_done is ever sent, and updates stop.
    await nginx.crash();
    await ff.stop();
    await eventually(async () => !(await isLive('feed1')), 'the lease to lapse', 30_000);
    nginx = await startNginx({ streamgate: server.url, updateSeconds: 2, hooksSecret: HOOKS_SECRET });
  });

  it('an nginx that does not send the hooks secret has every publisher refused', async () => {
    const stranger = await startNginx({ streamgate: server.url, updateSeconds: 2 });
    try {
      const code = await refused(publish(`rtmp://127.0.0.1:${stranger.rtmpPort}/live/feed1?token=${publishToken}`));
      assert.notEqual(code, 0, 'refused although the token is valid');
      assert.equal(await isLive('feed1'), false);
    } finally {
      await stranger.stop();
    }
  });
});
