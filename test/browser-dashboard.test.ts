/**
 * The dashboard at `/`, driven in a real Chromium the way a person uses it, against a real
 * server process; every effect is checked through the REST API, every message shown is compared
 * with what the API itself answers.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { browserMissing, launchBrowser, screenshot } from './helpers/browser.js';
import { type ServerProcess, startServer } from './helpers/server-process.js';

const missing = browserMissing();
const LAPTOP = { width: 1280, height: 860 };
const PHONE = { width: 375, height: 740 };

describe('dashboard in Chromium', { skip: missing ?? false }, () => {
  let server: ServerProcess;
  let account: { id: number; streamAccountId: string; apiSecret: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  /** A REST call with the account's secret; returns status and the parsed envelope. */
  async function rest(method: string, path: string, body?: unknown, secret = account.apiSecret) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${secret}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function publishTokens(): Promise<any[]> {
    const r = await rest('GET', '/api/publish_token/list?page=1&itemsOnPage=100&sortBy=Name');
    assert.equal(r.status, 200);
    return r.body.data;
  }

  /** The list item of a token, found by its label heading. */
  const itemOf = (label: string): Locator =>
    page.locator('ul.token-list > li.token').filter({ has: page.getByRole('heading', { name: label, exact: true }) });

  /** Screenshots without the transient toast floating over the content. */
  async function shot(name: string): Promise<void> {
    await page.evaluate(() => {
      const toast = document.getElementById('toast');
      if (toast) toast.hidden = true;
    });
    await screenshot(page, name);
  }

  const labelsShown = async (): Promise<string[]> => page.locator('ul.token-list > li.token h3').allTextContents();

  /** The error paragraph tied to a control through aria-describedby. */
  async function errorOf(control: Locator): Promise<Locator> {
    const id = await control.getAttribute('id');
    assert.ok(id, 'control has an id');
    return page.locator(`[id="${id}-error"]`);
  }

  before(async () => {
    server = await startServer({
      env: {
        STREAMGATE_PUBLISH_URLS:
          'rtmp://media.example.com:1935/live/{streamName},srt://media.example.com:9000?streamid={streamAccountId}/{streamName}',
      },
    });
    account = server.createAccount('dashboard-test');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: LAPTOP });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // An HTTP error answer is logged by Chromium as a failed resource: the tests provoke some on
      // purpose (wrong secret, bad IP). Anything else (a CSP refusal, an exception) is a defect.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource:')) {
        pageErrors.push(`console: ${m.text()}`);
      }
    });
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('serves the built page with its bundles under the strict CSP', async () => {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await res.text();
    const scripts = [...html.matchAll(/src="(\/assets\/dashboard-[^"]+\.js)"/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    const js = await fetch(`${server.url}${scripts[0]}`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(existsSync('dist/web/dashboard.html'), true);
    assert.ok(statSync('dist/web/dashboard.html').size > 0);
  });

  it('sign in: a wrong secret shows the API message, the right one opens the publish tokens', async () => {
    await page.goto(`${server.url}/`);
    const wrong = 'f'.repeat(64);
    const refused = await rest('GET', '/api/api_secret/list', undefined, wrong);
    assert.equal(refused.status, 401);
    const apiMessage: string = refused.body.data.message;

    await page.getByLabel('API secret').fill(wrong);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#api-secret-error');
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), apiMessage);
    assert.equal(await page.getByLabel('API secret').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    await page.getByLabel('API secret').fill(account.apiSecret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Publish tokens', level: 2 }).waitFor();
    assert.equal(await page.locator('#sign-in').isHidden(), true);
    assert.equal(await page.locator('ul.token-list li.empty').textContent(), 'No publish token yet.');
    // The secret lives in this tab's session only.
    assert.deepEqual(await page.evaluate(() => [sessionStorage.getItem('streamgate.apiSecret'), localStorage.length]), [
      account.apiSecret,
      0,
    ]);
  });

  it('creates a publish token through the form; the server stores exactly its origins and Bind IP on usage = 1', async () => {
    await page.getByRole('button', { name: 'New publish token' }).click();
    const form = page.locator('form.token-form');
    await form.getByLabel('Label').fill('Studio A');
    await form.getByLabel('Stream name').fill('feed1');
    await form.getByLabel('Allowed origins').fill('example.com\n*.example.org\n');
    await form.getByLabel('Viewers need a subscribe token (subscribeRequiresAuth)').check();

    const security = form.locator('fieldset.security');
    assert.equal(await security.locator('legend').textContent(), 'Security');
    const ipType = security.getByLabel('IP filter type');
    assert.deepEqual(await ipType.locator('option').allTextContents(), [
      'None',
      'Allowed IP addresses',
      'Bind IP on usage',
    ]);
    // None: neither the list nor the count is asked for.
    assert.equal(await security.getByLabel('Allowed IP addresses').isHidden(), true);
    assert.equal(await security.getByLabel('Number of IP addresses to bind').isHidden(), true);
    await ipType.selectOption({ label: 'Allowed IP addresses' });
    assert.equal(await security.getByLabel('Allowed IP addresses').isVisible(), true);
    assert.equal(await security.getByLabel('Number of IP addresses to bind').isHidden(), true);
    await ipType.selectOption({ label: 'Bind IP on usage' });
    assert.equal(await security.getByLabel('Allowed IP addresses').isHidden(), true);
    await security.getByLabel('Number of IP addresses to bind').fill('1');

    await shot('dashboard-form-laptop');
    await page.setViewportSize(PHONE);
    await shot('dashboard-form-phone');
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);
    await page.setViewportSize(LAPTOP);

    await form.getByRole('button', { name: 'Create publish token' }).click();
    await form.waitFor({ state: 'detached' });
    await itemOf('Studio A').waitFor();

    const stored = await publishTokens();
    assert.equal(stored.length, 1);
    const t = stored[0];
    assert.deepEqual(
      {
        label: t.label,
        streams: t.streams,
        allowedOrigins: t.allowedOrigins,
        allowedIpAddresses: t.allowedIpAddresses,
        bindIpsOnUsage: t.bindIpsOnUsage,
        subscribeRequiresAuth: t.subscribeRequiresAuth,
        record: t.record,
        multisource: t.multisource,
        expiresOn: t.expiresOn,
        isActive: t.isActive,
      },
      {
        label: 'Studio A',
        streams: [{ streamName: 'feed1', isRegex: false }],
        allowedOrigins: ['example.com', '*.example.org'],
        allowedIpAddresses: [],
        bindIpsOnUsage: 1,
        subscribeRequiresAuth: true,
        record: false,
        multisource: true,
        expiresOn: null,
        isActive: true,
      },
    );
    // The page shows the stored value, and the new token's details with its URLs are open.
    const item = itemOf('Studio A');
    assert.equal(await item.locator('code.token-value').textContent(), t.token);
    const details = item.locator('.details');
    await details.waitFor({ state: 'visible' });
    // GET /api/account gives the stream account id and the server's configured publish URLs.
    const accountField = details.getByLabel('Stream account ID');
    assert.equal(await accountField.inputValue(), account.streamAccountId);
    assert.equal(await accountField.getAttribute('readonly'), '');
    const expectedRtmp = `rtmp://media.example.com:1935/live/feed1?token=${t.token}`;
    const rtmp = details.locator('.link-row').filter({ hasText: 'RTMP publish URL' }).locator('output');
    assert.equal(await rtmp.textContent(), expectedRtmp);
    const director = details.locator('.link-row').filter({ hasText: 'Director URL' }).locator('output');
    assert.equal(await director.textContent(), `${server.url}/api/director/publish`);
    const viewer = details.locator('.link-row').filter({ hasText: 'Viewer link' }).locator('output');
    assert.equal(await viewer.textContent(), `${server.url}/viewer?streamId=${account.streamAccountId}/feed1`);
  });

  it('copies a token value to the clipboard', async () => {
    const [t] = await publishTokens();
    await itemOf('Studio A').getByRole('button', { name: 'Copy token Studio A' }).click();
    await page.locator('#toast').filter({ hasText: 'Copied token Studio A' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), t.token);
  });

  it('a bad IP in Allowed IP addresses shows the API field error next to that field', async () => {
    const body = {
      label: 'Bad IP',
      streams: [{ streamName: 'feed2', isRegex: false }],
      allowedOrigins: [],
      allowedIpAddresses: ['10.0.0.1', '777.888.99.001'],
      bindIpsOnUsage: 0,
      subscribeRequiresAuth: false,
      record: false,
      multisource: true,
    };
    const direct = await rest('POST', '/api/publish_token', body);
    assert.equal(direct.status, 400);
    assert.deepEqual(Object.keys(direct.body.data.errors), ['allowedIpAddresses[1]']);
    const problem: string = direct.body.data.errors['allowedIpAddresses[1]'][0];

    await page.getByRole('button', { name: 'New publish token' }).click();
    const form = page.locator('form.token-form');
    await form.getByLabel('Label').fill('Bad IP');
    await form.getByLabel('Stream name').fill('feed2');
    await form.getByLabel('IP filter type').selectOption({ label: 'Allowed IP addresses' });
    const ips = form.getByLabel('Allowed IP addresses');
    await ips.fill('10.0.0.1\n777.888.99.001');
    await form.getByRole('button', { name: 'Create publish token' }).click();

    const error = await errorOf(ips);
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), `Entry 2: ${problem}`);
    assert.equal(await ips.getAttribute('aria-invalid'), 'true');
    assert.match(
      (await ips.getAttribute('aria-describedby')) ?? '',
      new RegExp(`\\b${await error.getAttribute('id')}\\b`),
    );
    // Only that field is marked; the form says the API's general message.
    assert.equal(await form.locator('[aria-invalid="true"]').count(), 1);
    assert.equal(await form.getByRole('alert').textContent(), direct.body.data.message);
    assert.equal(await (await errorOf(form.getByLabel('Label'))).isHidden(), true);
    await shot('dashboard-form-error-laptop');
    assert.deepEqual(
      (await publishTokens()).map((t) => t.label),
      ['Studio A'],
    );

    // Fixing the entry clears the error and creates the token.
    await ips.fill('10.0.0.1\n10.1.0.0/16');
    await form.getByRole('button', { name: 'Create publish token' }).click();
    await form.waitFor({ state: 'detached' });
    const created = (await publishTokens()).find((t) => t.label === 'Bad IP');
    assert.deepEqual(created?.allowedIpAddresses, ['10.0.0.1', '10.1.0.0/16']);
    assert.equal(created?.bindIpsOnUsage, 0);
  });

  it('an empty label and stream name: each API problem lands on its own input', async () => {
    const direct = await rest('POST', '/api/publish_token', {
      label: '',
      streams: [{ streamName: '', isRegex: false }],
      allowedOrigins: [],
      allowedIpAddresses: [],
      bindIpsOnUsage: 0,
      subscribeRequiresAuth: false,
      record: false,
      multisource: true,
    });
    assert.equal(direct.status, 400);
    const errs = direct.body.data.errors as Record<string, string[]>;
    assert.deepEqual(Object.keys(errs).sort(), ['label', 'streams[0].streamName']);

    await page.getByRole('button', { name: 'New publish token' }).click();
    const form = page.locator('form.token-form');
    await form.getByRole('button', { name: 'Create publish token' }).click();
    const labelError = await errorOf(form.getByLabel('Label'));
    await labelError.waitFor({ state: 'visible' });
    assert.equal(await labelError.textContent(), errs.label?.join(' '));
    const streamError = await errorOf(form.getByLabel('Stream name'));
    assert.equal(await streamError.textContent(), errs['streams[0].streamName']?.join(' '));
    assert.equal(await form.locator('[aria-invalid="true"]').count(), 2);
    // The first marked input has the focus.
    assert.equal(await form.getByLabel('Label').evaluate((el) => el === document.activeElement), true);
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
  });

  it('refresh asks first: cancel keeps the value, confirm replaces it and the old one is refused', async () => {
    const before = (await publishTokens()).find((t) => t.label === 'Studio A');
    const item = itemOf('Studio A');
    await item.getByRole('button', { name: 'Refresh', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /The old value stops working at once/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await publishTokens()).find((t) => t.label === 'Studio A')?.token, before.token);

    await item.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Refresh token' }).click();
    await item.locator('code.token-value').filter({ hasNotText: before.token }).waitFor();
    const afterRefresh = (await publishTokens()).find((t) => t.label === 'Studio A');
    assert.notEqual(afterRefresh.token, before.token);
    assert.match(afterRefresh.token, /^[0-9a-f]{64}$/);
    assert.equal(await item.locator('code.token-value').textContent(), afterRefresh.token);
    const old = await fetch(`${server.url}/api/director/publish`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${before.token}`,
        'content-type': 'application/json',
        origin: 'https://example.com',
      },
      body: JSON.stringify({ streamName: 'feed1' }),
    });
    assert.equal(old.status, 401);
    assert.equal(((await old.json()) as any).data.message, 'Unauthorized: Invalid token');
  });

  it('disable and enable change isActive on the server', async () => {
    const item = itemOf('Bad IP');
    await item.getByRole('button', { name: 'Disable' }).click();
    await itemOf('Bad IP').locator('.badge.off', { hasText: 'Disabled' }).waitFor();
    assert.equal((await publishTokens()).find((t) => t.label === 'Bad IP')?.isActive, false);
    await itemOf('Bad IP').getByRole('button', { name: 'Enable' }).click();
    await itemOf('Bad IP').getByRole('button', { name: 'Disable' }).waitFor();
    assert.equal((await publishTokens()).find((t) => t.label === 'Bad IP')?.isActive, true);
  });

  it('edits a token: IP filter type and streams go to the server in its update vocabulary', async () => {
    await itemOf('Bad IP').getByRole('button', { name: 'Edit' }).click();
    const form = page.locator('form.token-form');
    assert.equal(await form.getByLabel('IP filter type').inputValue(), 'allowed');
    assert.equal(await form.getByLabel('Allowed IP addresses').inputValue(), '10.0.0.1\n10.1.0.0/16');
    await form.getByLabel('Label').fill('Backstage');
    await form.getByRole('button', { name: 'Any stream (.*)' }).click();
    await form.getByLabel('IP filter type').selectOption({ label: 'Bind IP on usage' });
    await form.getByLabel('Number of IP addresses to bind').fill('2');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    const t = (await publishTokens()).find((x) => x.label === 'Backstage');
    assert.deepEqual(
      [t?.streams, t?.allowedIpAddresses, t?.bindIpsOnUsage],
      [
        [
          { streamName: 'feed2', isRegex: false },
          { streamName: '.*', isRegex: true },
        ],
        [],
        2,
      ],
    );
  });

  it('search filters the list by label or stream name; paging walks the pages', async () => {
    for (const [label, stream] of [
      ['Lobby cam', 'beta-feed'],
      ['Rooftop', 'gamma'],
    ]) {
      assert.equal(
        (await rest('POST', '/api/publish_token', { label, streams: [{ streamName: stream, isRegex: false }] })).status,
        200,
      );
    }
    const search = page.getByRole('search');
    await search.getByRole('button', { name: 'Clear' }).click();
    await itemOf('Rooftop').waitFor();
    assert.deepEqual(await labelsShown(), ['Backstage', 'Lobby cam', 'Rooftop', 'Studio A']);

    await search.getByLabel('Search', { exact: true }).fill('feed');
    await search.getByRole('button', { name: 'Search' }).click();
    await itemOf('Rooftop').waitFor({ state: 'detached' });
    // "feed" is in the stream names feed1, feed2 and beta-feed.
    assert.deepEqual(await labelsShown(), ['Backstage', 'Lobby cam', 'Studio A']);

    await search.getByLabel('Search in').selectOption({ label: 'Label' });
    await search.getByLabel('Search', { exact: true }).fill('roof');
    await search.getByRole('button', { name: 'Search' }).click();
    await itemOf('Studio A').waitFor({ state: 'detached' });
    assert.deepEqual(await labelsShown(), ['Rooftop']);

    await search.getByLabel('Search', { exact: true }).fill('nothing-like-this');
    await search.getByRole('button', { name: 'Search' }).click();
    await page.locator('ul.token-list li.empty').waitFor();
    assert.equal(
      await page.locator('ul.token-list li.empty').textContent(),
      'No publish token matches “nothing-like-this”.',
    );

    // Paging: 11 tokens at 10 a page.
    for (let i = 0; i < 7; i++) {
      const r = await rest('POST', '/api/publish_token', {
        label: `Zz extra ${i}`,
        streams: [{ streamName: `x${i}`, isRegex: false }],
      });
      assert.equal(r.status, 200);
    }
    await search.getByRole('button', { name: 'Clear' }).click();
    await itemOf('Zz extra 5').waitFor();
    assert.equal((await labelsShown()).length, 10);
    const pager = page.getByRole('navigation', { name: 'Publish tokens pages' });
    assert.equal(await pager.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await pager.getByRole('button', { name: 'Next page' }).click();
    await itemOf('Studio A').waitFor({ state: 'detached' });
    assert.deepEqual(await labelsShown(), ['Zz extra 6']);
    assert.equal(await pager.locator('.page-info').textContent(), 'Page 2');
    assert.equal(await pager.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await pager.getByRole('button', { name: 'Previous page' }).click();
    await itemOf('Studio A').waitFor();
  });

  it('a token publishing now carries the live badge', async () => {
    const studio = (await publishTokens()).find((t) => t.label === 'Studio A');
    const hook = await fetch(`${server.url}/hooks/nginx-rtmp/on_publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `app=live&addr=127.0.0.1&clientid=7&call=publish&name=feed1&type=live&token=${studio.token}`,
    });
    assert.equal(hook.status, 200);
    const active = await rest('GET', '/api/publish_token/active/all');
    assert.deepEqual(active.body.data.tokenIds, [studio.id]);

    await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
    await itemOf('Studio A').locator('.badge.live').waitFor({ state: 'visible' });
    const liveLabels = await page
      .locator('ul.token-list > li.token')
      .filter({ has: page.locator('.badge.live:visible') })
      .locator('h3')
      .allTextContents();
    assert.deepEqual(liveLabels, ['Studio A']);
    await shot('dashboard-list-laptop');
    await page.setViewportSize(PHONE);
    await shot('dashboard-list-phone');
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);
    await page.setViewportSize(LAPTOP);

    const done = await fetch(`${server.url}/hooks/nginx-rtmp/on_publish_done`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `app=live&addr=127.0.0.1&clientid=7&call=publish_done&name=feed1&token=${studio.token}`,
    });
    assert.equal(done.status, 200);
    assert.deepEqual((await rest('GET', '/api/publish_token/active/all')).body.data.tokenIds, []);
    // No reload: the page polls the active tokens (every 10 s) and drops the badge by itself.
    await itemOf('Studio A').locator('.badge.live').waitFor({ state: 'hidden', timeout: 15_000 });
  });

  it('editing a bound token shows the bound address; IP filter type None resets the binding', async () => {
    const bound = (await publishTokens()).find((t) => t.label === 'Studio A');
    assert.deepEqual([bound.bindIpsOnUsage, bound.allowedIpAddresses], [1, ['127.0.0.1']]);
    await itemOf('Studio A').getByRole('button', { name: 'Edit' }).click();
    const form = page.locator('form.token-form');
    assert.equal(await form.getByLabel('IP filter type').inputValue(), 'bind');
    assert.equal(await form.getByLabel('Number of IP addresses to bind').inputValue(), '1');
    assert.equal(
      await form.locator('fieldset.security .hint', { hasText: 'Bound so far' }).textContent(),
      'Bound so far: 127.0.0.1. Choose None to reset the binding.',
    );
    await form.getByLabel('IP filter type').selectOption({ label: 'None' });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    const reset = (await publishTokens()).find((t) => t.label === 'Studio A');
    assert.deepEqual(
      [reset.bindIpsOnUsage, reset.allowedIpAddresses, reset.allowedOrigins, reset.token],
      [0, [], ['example.com', '*.example.org'], bound.token],
    );
  });

  it('delete asks first and removes the token on the server', async () => {
    await itemOf('Rooftop').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete token' }).click();
    await itemOf('Rooftop').waitFor({ state: 'detached' });
    assert.equal(
      (await publishTokens()).some((t) => t.label === 'Rooftop'),
      false,
    );
  });

  it('subscribe tokens: create with tracking; the viewer link carries the token', async () => {
    await page.getByRole('link', { name: 'Subscribe tokens' }).click();
    await page.getByRole('heading', { name: 'Subscribe tokens', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'New subscribe token' }).click();
    const form = page.locator('form.token-form');
    await form.getByLabel('Label').fill('Viewer pass');
    await form.getByLabel('Stream name').fill('feed1');
    await form.getByLabel('Tracking ID').fill('campaign-7');
    // Expiry: a local date and time, sent as seconds from now. Too far (beyond the API's
    // 2147483647 s) is refused by the API, next to that input.
    const tooFar = await rest('POST', '/api/subscribe_token', {
      label: 'x',
      streams: [{ streamName: 'feed1' }],
      expires: 2147483648,
    });
    assert.equal(tooFar.status, 400);
    const tooFarMessage: string = tooFar.body.data.errors.expires[0];
    const expires = form.getByLabel('Expires at');
    await expires.fill('2099-05-04T03:02');
    await form.getByRole('button', { name: 'Create subscribe token' }).click();
    const expiresError = await errorOf(expires);
    await expiresError.waitFor({ state: 'visible' });
    const escaped = tooFarMessage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('2147483648', '\\d+');
    assert.match((await expiresError.textContent()) ?? '', new RegExp(`^${escaped}$`));
    assert.equal(await expires.getAttribute('aria-invalid'), 'true');

    const nextYear = new Date().getFullYear() + 1;
    const expiresAt = `${nextYear}-05-04T03:02`;
    await expires.fill(expiresAt);
    const expiresMs = await page.evaluate((v) => new Date(v).getTime(), expiresAt);
    await form.getByRole('button', { name: 'Create subscribe token' }).click();
    await form.waitFor({ state: 'detached' });
    const list = await rest('GET', '/api/subscribe_token/list?page=1&itemsOnPage=10');
    assert.equal(list.body.data.length, 1);
    const s = list.body.data[0];
    assert.deepEqual(
      [s.label, s.streams, s.tracking],
      ['Viewer pass', [{ streamName: 'feed1', isRegex: false }], { trackingId: 'campaign-7' }],
    );
    assert.ok(
      Math.abs(Date.parse(s.expiresOn) - expiresMs) <= 5000,
      `${s.expiresOn} vs ${new Date(expiresMs).toISOString()}`,
    );
    const details = itemOf('Viewer pass').locator('.details');
    await details.waitFor({ state: 'visible' });
    // The account id typed earlier is remembered for this session.
    const viewer = details.locator('.link-row').filter({ hasText: 'Viewer link' }).locator('output');
    assert.equal(
      await viewer.textContent(),
      `${server.url}/viewer?streamId=${account.streamAccountId}/feed1&token=${s.token}`,
    );

    // A publish token's viewer link can carry one of the account's subscribe tokens.
    await page.getByRole('link', { name: 'Publish tokens' }).click();
    await itemOf('Studio A').getByRole('button', { name: 'Details' }).click();
    const studio = itemOf('Studio A').locator('.details');
    const pick = studio.getByLabel('Subscribe token in the viewer link');
    await pick.locator('option', { hasText: 'Viewer pass' }).waitFor({ state: 'attached' });
    await pick.selectOption({ label: 'Viewer pass' });
    assert.equal(
      await studio.locator('.link-row').filter({ hasText: 'Viewer link' }).locator('output').textContent(),
      `${server.url}/viewer?streamId=${account.streamAccountId}/feed1&token=${s.token}`,
    );
  });

  it('API secrets: create shows the value once and it works; refresh and delete ask first', async () => {
    await page.getByRole('link', { name: 'API secrets' }).click();
    await page.getByRole('heading', { name: 'API secrets', level: 2 }).waitFor();
    await page.getByLabel('Label').fill('ci robot');
    await page.getByRole('button', { name: 'Create secret' }).click();
    const value = page.locator('.issued code.secret-value');
    await value.waitFor();
    const secret = (await value.textContent()) ?? '';
    assert.match(secret, /^[0-9a-f]{64}$/);
    assert.equal((await rest('GET', '/api/api_secret/list', undefined, secret)).status, 200);
    await page.getByRole('row').filter({ hasText: 'ci robot' }).waitFor();

    await page.getByRole('button', { name: 'Refresh secret ci robot' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Refresh secret' }).click();
    await value.filter({ hasNotText: secret }).waitFor();
    const refreshed = (await value.textContent()) ?? '';
    assert.equal((await rest('GET', '/api/api_secret/list', undefined, secret)).status, 401);
    assert.equal((await rest('GET', '/api/api_secret/list', undefined, refreshed)).status, 200);

    await page.getByRole('button', { name: 'Delete secret ci robot' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete secret' }).click();
    await page.getByRole('row').filter({ hasText: 'ci robot' }).waitFor({ state: 'detached' });
    assert.equal((await rest('GET', '/api/api_secret/list', undefined, refreshed)).status, 401);
    const labels = (await rest('GET', '/api/api_secret/list')).body.data.map((s: any) => s.label);
    assert.equal(labels.includes('ci robot'), false);

    // Refreshing the secret this session signed in with moves the session to the new value.
    await page.getByRole('button', { name: 'Refresh secret default' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Refresh secret' }).click();
    await value.filter({ hasNotText: refreshed }).waitFor();
    const mine = (await value.textContent()) ?? '';
    await page.locator('#toast').filter({ hasText: 'This session used that secret' }).waitFor();
    assert.equal((await rest('GET', '/api/api_secret/list', undefined, account.apiSecret)).status, 401);
    account.apiSecret = mine;
    assert.equal((await rest('GET', '/api/api_secret/list')).status, 200);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('streamgate.apiSecret')), mine);
    await page.getByRole('row').filter({ hasText: 'default' }).waitFor();
    assert.equal(await page.locator('#sign-in').isHidden(), true);
  });

  it('webhooks: a bad URL is shown next to the URL field; create, edit, refresh secret, delete', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'New webhook' }).click();
    const url = page.getByLabel('URL', { exact: true });
    await url.fill('ftp://hooks.example.com/in');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const direct = await rest('POST', '/api/webhooks', { url: 'ftp://hooks.example.com/in', isFeedHooks: true });
    assert.equal(direct.status, 400);
    const error = await errorOf(url);
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), direct.body.data.errors.url.join(' '));

    await url.fill('https://hooks.example.com/in');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByRole('heading', { name: 'https://hooks.example.com/in' }).waitFor();
    let [hook] = (await rest('GET', '/api/webhooks/list')).body.data;
    assert.deepEqual(
      [hook.url, hook.isFeedHooks, hook.isRecordingHooks],
      ['https://hooks.example.com/in', true, false],
    );

    const item = page.locator('li.token').filter({ hasText: 'https://hooks.example.com/in' });
    await item.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('URL', { exact: true }).fill('https://hooks.example.com/v2');
    await page.getByLabel('Recording').check();
    await page.getByRole('button', { name: 'Save webhook' }).click();
    await page.getByRole('heading', { name: 'https://hooks.example.com/v2' }).waitFor();
    const oldSecret = hook.secret;
    [hook] = (await rest('GET', '/api/webhooks/list')).body.data;
    assert.deepEqual([hook.url, hook.isFeedHooks, hook.isRecordingHooks], ['https://hooks.example.com/v2', true, true]);

    const item2 = page.locator('li.token').filter({ hasText: 'https://hooks.example.com/v2' });
    await item2.getByRole('button', { name: 'Refresh secret' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Refresh secret' }).click();
    await item2.locator('code.token-value').filter({ hasNotText: oldSecret }).waitFor();
    [hook] = (await rest('GET', '/api/webhooks/list')).body.data;
    assert.notEqual(hook.secret, oldSecret);
    assert.equal(await item2.locator('code.token-value').textContent(), hook.secret);

    await item2.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
    await page.locator('ul.token-list li.empty').waitFor();
    assert.deepEqual((await rest('GET', '/api/webhooks/list')).body.data, []);
  });

  it('sign out forgets the secret', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.locator('#app').isHidden(), true);
  });

  it('shows every configured publish URL (GET /api/account) at phone width', async () => {
    const other = await browser.newContext({ viewport: PHONE });
    try {
      const p = await other.newPage();
      await p.goto(`${server.url}/`);
      await p.getByLabel('API secret').fill(account.apiSecret);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText(`Account ${account.streamAccountId}`).waitFor();
      const item = p
        .locator('ul.token-list > li.token')
        .filter({ has: p.getByRole('heading', { name: 'Studio A', exact: true }) });
      await item.getByRole('button', { name: 'Details' }).click();
      const t = (await publishTokens()).find((x) => x.label === 'Studio A');
      const url = (label: string) => item.locator('.link-row').filter({ hasText: label }).locator('output');
      assert.equal(
        await url('RTMP publish URL').textContent(),
        `rtmp://media.example.com:1935/live/feed1?token=${t.token}`,
      );
      assert.equal(
        await url('SRT publish URL').textContent(),
        `srt://media.example.com:9000?streamid=${account.streamAccountId}/feed1&token=${t.token}`,
      );
      assert.equal(await item.getByLabel('Stream account ID').getAttribute('readonly'), '');
      assert.equal(
        await url('Viewer link').textContent(),
        `${server.url}/viewer?streamId=${account.streamAccountId}/feed1`,
      );
      await screenshot(p, 'dashboard-details-phone');
    } finally {
      await other.close();
    }
  });

  it('raised no script error and no CSP violation', () => {
    assert.deepEqual(pageErrors, []);
  });
});
