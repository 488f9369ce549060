/**
 * The hosted viewer in a real Chromium, with a real picture: ffmpeg publishes to nginx-rtmp,
 * nginx writes HLS and serves it only after Streamgate's /hooks/hls/auth accepted the director
 * jwt (auth_request), and the page plays it with hls.js.
 *
 * Needs chromium, nginx + libnginx-mod-rtmp and ffmpeg (.ci/run installs them). Skipped locally
 * without them; under CI a missing tool fails the run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { browserMissing, launchBrowser, screenshot } from './helpers/browser.js';
import { requestJson } from './helpers/http.js';
import { eventually, type Ffmpeg, mediaToolsMissing, type Nginx, publish, startNginx } from './helpers/media.js';
import { freePort, type ServerProcess, startServer } from './helpers/server-process.js';

const mediaMissing = mediaToolsMissing();
if (mediaMissing && process.env.CI) throw new Error(`media tools missing under CI: ${mediaMissing}`);
const skip = browserMissing() ?? mediaMissing ?? false;
const JWT_TTL = 8;

interface HlsRequest {
  readonly url: string;
  readonly authorization: string | undefined;
  readonly status: number | null;
}

describe('hosted viewer: waiting, live HLS behind nginx auth_request, refusals', { skip, timeout: 180_000 }, () => {
  let server: ServerProcess;
  let nginx: Nginx;
  let browser: Browser;
  let account: { streamAccountId: string; apiSecret: string };
  let hlsBase: string;
  let showPublish: string;
  let lockedPublish: string;
  let viewerToken: string;
  const publishers: Ffmpeg[] = [];

  const api = (method: string, path: string, body?: unknown, bearer: string | null = account.apiSecret) =>
    requestJson(server.url, method, path, { body, bearer });
  const token = async (kind: 'publish' | 'subscribe', body: Record<string, unknown>) => {
    const res = await api('POST', `/api/${kind}_token`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data.token as string;
  };
  const subscribeJwt = async (streamName: string, bearer: string | null) => {
    const res = await api(
      'POST',
      '/api/director/subscribe',
      { streamAccountId: account.streamAccountId, streamName },
      bearer,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as { jwt: string; urls: string[] };
  };
  const isLive = async (streamName: string) => {
    const res = await api('GET', `/api/publish_token/active?streamId=${account.streamAccountId}/${streamName}`);
    return res.status === 200 && res.body.data.tokenIds.length > 0;
  };
  const viewerUrl = (streamName: string, t?: string) =>
    `${server.url}/viewer?streamId=${account.streamAccountId}/${encodeURIComponent(streamName)}${t ? `&token=${t}` : ''}`;
  const stateOf = (page: Page) => page.evaluate(() => document.body.dataset.state);
  const waitForState = (page: Page, state: string, ms = 20_000) =>
    page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: ms });
  const text = (page: Page, selector: string) => page.locator(selector).textContent();

  before(async () => {
    const httpPort = await freePort();
    hlsBase = `http://127.0.0.1:${httpPort}/hls`;
    server = await startServer({
      env: {
        STREAMGATE_SUBSCRIBE_URLS: `${hlsBase}/{streamName}/index.m3u8`,
        STREAMGATE_LIVE_LEASE: '10',
        // Short-lived director jwts: the live page must renew its jwt while it plays.
        STREAMGATE_JWT_TTL: String(JWT_TTL),
      },
    });
    nginx = await startNginx({ streamgate: server.url, httpPort, hls: true, updateSeconds: 2 });
    account = server.createAccount('viewer-e2e');
    browser = await launchBrowser();
    showPublish = await token('publish', { label: 'show cam', streams: [{ streamName: 'show', isRegex: false }] });
    lockedPublish = await token('publish', {
      label: 'locked cam',
      streams: [{ streamName: 'locked', isRegex: false }],
      subscribeRequiresAuth: true,
    });
    viewerToken = await token('subscribe', {
      label: 'viewers',
      streams: [
        { streamName: 'show', isRegex: false },
        { streamName: 'locked', isRegex: false },
      ],
    });
  });

  after(async () => {
    for (const p of publishers) await p.stop();
    await browser?.close();
    await nginx?.stop();
    await server?.dispose();
  });

  it('shows waiting, goes live with a playing picture when ffmpeg publishes, and back to waiting when it stops', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    const hlsRequests: HlsRequest[] = [];
    page.on('requestfinished', async (req) => {
      if (!req.url().startsWith(hlsBase)) return;
      const res = await req.response();
      hlsRequests.push({
        url: req.url(),
        authorization: (await req.allHeaders()).authorization,
        status: res?.status() ?? null,
      });
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));

    await page.goto(viewerUrl('show', viewerToken));
    await waitForState(page, 'waiting');
    assert.equal(await text(page, '#status'), 'Waiting for the stream');
    assert.equal(await text(page, '#title'), 'show');
    assert.equal(await page.locator('#video').isVisible(), false);
    assert.equal(await page.locator('#live-badge').isVisible(), false);
    const scripts = () =>
      page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .map((e) => e.name)
          .filter((n) => n.endsWith('.js')),
      );
    const waitingScripts = await scripts();
    await screenshot(page, 'viewer-waiting');

    const ff = publish(`rtmp://127.0.0.1:${nginx.rtmpPort}/live/show?token=${showPublish}`);
    publishers.push(ff);
    await waitForState(page, 'live');
    assert.equal(await page.locator('#live-badge').isVisible(), true);
    assert.equal(await page.locator('#video').isVisible(), true);

    // The picture plays: currentTime moves on by more than a second in under a few seconds.
    await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 0.5, null, {
      timeout: 30_000,
    });
    const t1 = await page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).currentTime);
    await page.waitForFunction(
      (start) => (document.getElementById('video') as HTMLVideoElement).currentTime > start + 1,
      t1,
      { timeout: 10_000 },
    );
    assert.equal(await page.locator('#placeholder').isVisible(), false);
    // It keeps playing across more than one jwt lifetime, the page renewing the jwt it sends.
    await page.waitForFunction(
      (start) => (document.getElementById('video') as HTMLVideoElement).currentTime > start,
      t1 + JWT_TTL + 2,
      { timeout: (JWT_TTL + 10) * 1000 },
    );
    const size = await page.evaluate(() => {
      const v = document.getElementById('video') as HTMLVideoElement;
      return [v.videoWidth, v.videoHeight];
    });
    assert.deepEqual(size, [320, 180]);
    await screenshot(page, 'viewer-live');
    // hls.js is a chunk of its own, fetched only once the stream went live.
    const liveScripts = await scripts();
    assert.equal(liveScripts.length, waitingScripts.length + 1, liveScripts.join(', '));

    // Every playlist and segment request carried the director jwt and was served.
    const playlists = hlsRequests.filter((r) => r.url.includes('.m3u8'));
    const segments = hlsRequests.filter((r) => r.url.endsWith('.ts'));
    assert.ok(playlists.length >= 1 && segments.length >= 1, JSON.stringify(hlsRequests));
    for (const r of hlsRequests) assert.match(r.authorization ?? '', /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, r.url);
    const jwtsSent = new Set(hlsRequests.map((r) => r.authorization));
    assert.ok(jwtsSent.size >= 2, `the page sent ${jwtsSent.size} distinct jwt(s)`);
    // The page starts as soon as the stream is live: the playlist may not be written yet (404,
    // retried); once it was served, every request was. Never a refusal.
    const firstServed = hlsRequests.findIndex((r) => r.status === 200);
    assert.ok(firstServed >= 0);
    assert.deepEqual(
      hlsRequests.slice(0, firstServed).map((r) => [r.url.endsWith('index.m3u8'), r.status]),
      hlsRequests.slice(0, firstServed).map(() => [true, 404]),
    );
    assert.deepEqual(
      hlsRequests.slice(firstServed).filter((r) => r.status !== 200),
      [],
    );

    const code = await ff.stop();
    assert.ok(code === 0 || code === 255 || code === null, `ffmpeg exit ${code}: ${ff.output()}`);
    await waitForState(page, 'waiting', 20_000);
    assert.equal(await text(page, '#status'), 'Waiting for the stream');
    assert.equal(await page.locator('#video').isVisible(), false);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('serves no playlist or segment from nginx without a valid jwt for that stream', async () => {
    const ff = publish(`rtmp://127.0.0.1:${nginx.rtmpPort}/live/show?token=${showPublish}`);
    publishers.push(ff);
    await eventually(() => isLive('show'), 'show to be live');
    const { jwt, urls } = await subscribeJwt('show', viewerToken);
    assert.deepEqual(urls, [`${hlsBase}/show/index.m3u8`]);
    const playlistUrl = urls[0] as string;
    let playlist = '';
    await eventually(async () => {
      const res = await fetch(playlistUrl, { headers: { authorization: `Bearer ${jwt}` } });
      playlist = await res.text();
      return res.status === 200 && /\n\d+\.ts\n/.test(playlist);
    }, 'the HLS playlist with a segment');
    assert.match(playlist, /^#EXTM3U\n/);
    const segment = /\n(\d+\.ts)\n/.exec(playlist)?.[1] as string;
    const segmentUrl = `${hlsBase}/show/${segment}`;

    const status = async (url: string, headers: Record<string, string> = {}) => (await fetch(url, { headers })).status;
    // Nothing without a jwt, with a forged or a foreign one.
    assert.equal(await status(playlistUrl), 401);
    assert.equal(await status(segmentUrl), 401);
    assert.equal(await status(playlistUrl, { authorization: 'Bearer x.y.z' }), 401);
    const [h, p] = jwt.split('.') as [string, string];
    assert.equal(await status(segmentUrl, { authorization: `Bearer ${h}.${p}.AAAA` }), 401);
    const lockedJwt = (await subscribeJwt('locked', viewerToken)).jwt;
    assert.equal(await status(playlistUrl, { authorization: `Bearer ${lockedJwt}` }), 403);
    assert.equal(await status(segmentUrl, { authorization: `Bearer ${lockedJwt}` }), 403);
    assert.equal(await status(`${segmentUrl}?token=${lockedJwt}`), 403);

    // With the stream's jwt: served, as a header or as ?token= (which nginx then puts on every segment).
    const seg = await fetch(segmentUrl, { headers: { authorization: `Bearer ${jwt}` } });
    assert.equal(seg.status, 200);
    assert.equal(seg.headers.get('content-type'), 'video/mp2t');
    assert.equal((await seg.arrayBuffer()).byteLength > 0, true);
    const viaQuery = await fetch(`${playlistUrl}?token=${jwt}`);
    assert.equal(viaQuery.status, 200);
    const queryPlaylist = await viaQuery.text();
    const tokenSegments = queryPlaylist.split('\n').filter((l) => /\.ts/.test(l));
    assert.ok(tokenSegments.length > 0);
    for (const line of tokenSegments)
      assert.match(line, new RegExp(`^\\d+\\.ts\\?token=${jwt.replaceAll('.', '\\.')}$`));
    assert.equal(await status(`${hlsBase}/show/${tokenSegments[0]}`), 200);
    // A CORS preflight is answered without a credential, allowing the Authorization header.
    const pre = await fetch(playlistUrl, {
      method: 'OPTIONS',
      headers: {
        origin: server.url,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'Authorization');
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    await ff.stop();
    await eventually(async () => !(await isLive('show')), 'show to end');
  });

  it('shows the exact refusal to a viewer without a token on a stream that requires one, and to a bad token', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 700 } });
    // Not live and no token: the Director's "Stream not found", waiting and asking again.
    await page.goto(viewerUrl('locked'));
    await waitForState(page, 'waiting');
    assert.equal(await text(page, '#status'), 'Waiting for the stream');
    assert.equal(await text(page, '#detail'), 'Stream not found: it is not live yet. Checking again every 5 s.');

    const ff = publish(`rtmp://127.0.0.1:${nginx.rtmpPort}/live/locked?token=${lockedPublish}`);
    publishers.push(ff);
    await eventually(() => isLive('locked'), 'locked to be live');
    // The page asks again within 5 s and is now told the stream needs a subscribe token.
    await waitForState(page, 'refused', 15_000);
    assert.equal(await text(page, '#message'), 'Unauthorized: subscribe token required');
    assert.equal(await page.locator('#message').isVisible(), true);
    assert.equal(await page.locator('#video').isVisible(), false);
    await page.goto(viewerUrl('locked'));
    await waitForState(page, 'refused');
    assert.equal(await text(page, '#message'), 'Unauthorized: subscribe token required');
    await screenshot(page, 'viewer-refused-phone');

    await page.goto(viewerUrl('locked', 'f'.repeat(64)));
    await waitForState(page, 'refused');
    assert.equal(await text(page, '#message'), 'Unauthorized: Invalid token');

    // The right token on a phone-width page: live.
    await page.goto(viewerUrl('locked', viewerToken));
    await waitForState(page, 'live');
    await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 0.5, null, {
      timeout: 30_000,
    });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.equal(width, 375, 'no horizontal scrolling at phone width');
    await screenshot(page, 'viewer-live-phone');
    await ff.stop();
    await waitForState(page, 'waiting');
    await page.close();
  });

  it('reconnects the events socket when it drops, and still follows the stream', async () => {
    const page = await browser.newPage();
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/ws\/events\?/, (ws) => {
      sockets.push(ws);
      ws.connectToServer();
    });
    await page.goto(viewerUrl('show', viewerToken));
    await waitForState(page, 'waiting');
    await eventually(() => sockets.length === 1, 'the events socket', 5_000);
    await sockets[0]?.close({ code: 4000, reason: 'dropped by the test' });
    // Reopened after 1 s, with a jwt the Director handed out anew.
    await eventually(() => sockets.length === 2, 'the events socket to be reopened', 5_000);
    assert.match(sockets[1]?.url() ?? '', /\/ws\/events\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(await stateOf(page), 'waiting');

    const ff = publish(`rtmp://127.0.0.1:${nginx.rtmpPort}/live/show?token=${showPublish}`);
    publishers.push(ff);
    await waitForState(page, 'live');
    await ff.stop();
    await waitForState(page, 'waiting');
    assert.equal(sockets.length, 2);
    await page.close();
  });

  it('tells a malformed link', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/viewer?streamId=nostream`);
    assert.equal(await stateOf(page), 'refused');
    assert.equal(
      await text(page, '#message'),
      'Missing or malformed streamId: open /viewer?streamId=<streamAccountId>/<streamName>&token=<token>',
    );
    await page.close();
  });
});
