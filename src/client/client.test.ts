import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ServerProcess, startServer } from '../../test/helpers/server-process.js';
import { StreamgateApiError, StreamgateClient, StreamgateConnectionError } from './index.js';

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that records the request and answers with a fixed status and body. */
function fakeFetch(status: number, body: string, seen: Seen[] = []): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    seen.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body as string | undefined,
    });
    return new Response(body, { status });
  }) as typeof fetch;
}

const success = (data: unknown) => JSON.stringify({ status: 'success', data });

async function apiError(promise: Promise<unknown>): Promise<StreamgateApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StreamgateApiError, `expected StreamgateApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('StreamgateClient requests (fake fetch)', () => {
  it('encodes query values, sends the secret and a JSON body, and ignores a trailing slash', async () => {
    const seen: Seen[] = [];
    const client = new StreamgateClient({
      baseUrl: 'http://sg.test:8080/',
      apiSecret: 's3cret',
      fetch: fakeFetch(200, success([]), seen),
    });
    await client.subscribeTokens.listByName({
      name: 'a b&c=d/é',
      filterBy: 'StreamName',
      page: 2,
      itemsOnPage: 5,
      isDescending: true,
    });
    await client.publishTokens.update(7, { label: 'x' });
    await client.publishTokens.updateV1(7, { updateAllowedOrigins: [] });
    await client.apiSecrets.refresh(3);

    assert.equal(
      seen[0]?.url,
      'http://sg.test:8080/api/subscribe_token/list_by_name?name=a%20b%26c%3Dd%2F%C3%A9&filterBy=StreamName&page=2&itemsOnPage=5&isDescending=true',
    );
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(seen[0]?.headers.authorization, 'Bearer s3cret');
    assert.equal(seen[0]?.headers['content-type'], undefined);
    assert.equal(seen[0]?.body, undefined);

    assert.equal(seen[1]?.url, 'http://sg.test:8080/api/v2/publish_token/7');
    assert.equal(seen[1]?.method, 'PUT');
    assert.equal(seen[1]?.headers['content-type'], 'application/json');
    assert.equal(seen[1]?.body, '{"label":"x"}');

    assert.equal(seen[2]?.url, 'http://sg.test:8080/api/publish_token/7');
    assert.equal(seen[2]?.body, '{"updateAllowedOrigins":[]}');

    assert.equal(seen[3]?.url, 'http://sg.test:8080/api/api_secret/3/refresh');
    assert.equal(seen[3]?.method, 'POST');
  });

  it('turns an error envelope into StreamgateApiError with code INTERNAL', async () => {
    const body = JSON.stringify({ status: 'error', message: 'Database unavailable', code: 503, data: null });
    const client = new StreamgateClient({ baseUrl: 'http://sg.test', fetch: fakeFetch(503, body) });
    const err = await apiError(client.apiSecrets.list());
    assert.equal(err.status, 503);
    assert.equal(err.code, 'INTERNAL');
    assert.equal(err.message, 'Database unavailable');
    assert.deepEqual(err.details, {});
  });

  it('reports an answer that is not an envelope (a proxy page) with its status', async () => {
    const client = new StreamgateClient({ baseUrl: 'http://sg.test', fetch: fakeFetch(502, '<h1>Bad Gateway</h1>') });
    const err = await apiError(client.publishTokens.get(1));
    assert.equal(err.status, 502);
    assert.equal(err.code, 'INTERNAL');
    assert.equal(err.message, 'unexpected answer from the server (HTTP 502): <h1>Bad Gateway</h1>');

    const ok = new StreamgateClient({ baseUrl: 'http://sg.test', fetch: fakeFetch(200, '{"id":1}') });
    assert.equal((await apiError(ok.publishTokens.get(1))).status, 200);
  });

  it('wraps a network failure in StreamgateConnectionError naming the URL and the cause', async () => {
    const failing = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    }) as typeof fetch;
    const client = new StreamgateClient({ baseUrl: 'http://127.0.0.1:9', fetch: failing });
    await assert.rejects(client.health(), (err: unknown) => {
      assert.ok(err instanceof StreamgateConnectionError);
      assert.equal(err.message, 'cannot reach http://127.0.0.1:9/readyz: connect ECONNREFUSED 127.0.0.1:9');
      return true;
    });
  });
});

describe('StreamgateClient against a real server', () => {
  let server: ServerProcess;
  let client: StreamgateClient;
  let streamAccountId: string;
  const publishUrls = [
    'rtmp://media.test/live/{streamName}',
    'srt://media.test:9000?streamid={streamAccountId}/{streamName}',
  ];

  before(async () => {
    server = await startServer({ env: { STREAMGATE_PUBLISH_URLS: publishUrls.join(',') } });
    const account = server.createAccount('sdk');
    streamAccountId = account.streamAccountId;
    client = new StreamgateClient({ baseUrl: server.url, apiSecret: account.apiSecret });
  });
  after(async () => {
    await server?.dispose();
  });

  it('health() reads /readyz without a secret', async () => {
    assert.deepEqual(await new StreamgateClient({ baseUrl: server.url }).health(), {
      status: 'ok',
      database: 'sqlite',
    });
  });

  it("account() names the secret's account and the URL templates the server hands out", async () => {
    assert.deepEqual(await client.account(), {
      streamAccountId,
      name: 'sdk',
      publishUrls,
      // STREAMGATE_PUBLIC_URL is not set: the default public URL is http://localhost:8080.
      subscribeUrls: ['http://localhost:8080/hls/{streamName}/index.m3u8'],
    });
    const anonymous = await apiError(new StreamgateClient({ baseUrl: server.url, apiSecret: 'nope' }).account());
    assert.equal(anonymous.status, 401);
  });

  it('runs a publish token through create, get, update, updateV1, list, listByName, disable and delete', async () => {
    const api = client.publishTokens;
    const created = await api.create({
      label: 'sdk cam',
      streams: [{ streamName: 'feed1' }, { streamName: 'cam-\\d+', isRegex: true }],
      allowedOrigins: ['*.example.com'],
      allowedIpAddresses: ['10.0.0.0/8'],
      subscribeRequiresAuth: true,
      expires: 60,
    });
    assert.equal(created.label, 'sdk cam');
    assert.match(created.token, /^[0-9a-f]{64}$/);
    assert.deepEqual(created.streams, [
      { streamName: 'feed1', isRegex: false },
      { streamName: 'cam-\\d+', isRegex: true },
    ]);
    assert.deepEqual(created.allowedOrigins, ['*.example.com']);
    assert.deepEqual(created.allowedIpAddresses, ['10.0.0.0/8']);
    assert.equal(created.subscribeRequiresAuth, true);
    assert.equal(created.multisource, true);
    assert.ok(created.expiresOn !== null);

    assert.deepEqual(await api.get(created.id), created);

    const updated = await api.update(created.id, {
      label: 'renamed',
      refreshToken: true,
      removeTokenStreams: ['feed1'],
      addTokenStreams: [{ streamName: 'feed2' }],
    });
    assert.equal(updated.label, 'renamed');
    assert.notEqual(updated.token, created.token);
    assert.deepEqual(
      updated.streams.map((s) => s.streamName),
      ['cam-\\d+', 'feed2'],
    );

    const v1 = await api.updateV1(created.id, { updateAllowedOrigins: [], updateAllowedIpAddresses: [] });
    assert.deepEqual(v1.allowedOrigins, []);
    assert.deepEqual(v1.allowedIpAddresses, []);

    const other = await api.create({ label: 'another', streams: [{ streamName: 'lobby' }] });
    const page = await api.list({ page: 1, itemsOnPage: 10, sortBy: 'Name' });
    assert.deepEqual(
      page.map((t) => t.label),
      ['another', 'renamed'],
    );
    assert.deepEqual(await api.list({ page: 2, itemsOnPage: 10 }), []);
    const byStream = await api.listByName({ name: 'lob', filterBy: 'StreamName', page: 1, itemsOnPage: 10 });
    assert.deepEqual(
      byStream.map((t) => t.id),
      [other.id],
    );

    assert.deepEqual(await api.disable([other.id, 999]), {
      successfulTokens: [other.id],
      failedTokens: [{ tokenId: 999, errorMessage: 'No publish token with id: 999' }],
    });
    assert.equal((await api.get(other.id)).isActive, false);

    assert.equal(await api.delete(created.id), true);
    const gone = await apiError(api.get(created.id));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, 'NOT_FOUND');
    assert.equal(gone.message, `No publish token with id: ${created.id}`);
    assert.equal(gone.details.tokenId, `No publish token with id: ${created.id}`);
  });

  it('creates subscribe tokens with tracking through tokens(kind)', async () => {
    const token = await client.tokens('subscribe').create({
      label: 'viewer',
      streams: [{ streamName: 'feed1' }],
      bindIpsOnUsage: 2,
      tracking: { trackingId: 'trk-1' },
    });
    assert.deepEqual(token.tracking, { trackingId: 'trk-1' });
    assert.equal(token.bindIpsOnUsage, 2);
    assert.deepEqual(await client.subscribeTokens.get(token.id), token);
  });

  it('exposes validation errors per field', async () => {
    const err = await apiError(
      client.publishTokens.create({ label: 'bad', streams: [{ streamName: 'a' }], allowedIpAddresses: ['1.2.3.*'] }),
    );
    assert.equal(err.status, 400);
    assert.equal(err.code, 'VALIDATION_FAILED');
    assert.equal(err.message, 'Validation errors');
    assert.deepEqual(err.details.errors, {
      'allowedIpAddresses[0]': ["'1.2.3.*': wildcards are not supported, use CIDR blocks"],
    });
    assert.deepEqual(err.fieldErrors, {
      'allowedIpAddresses[0]': ["'1.2.3.*': wildcards are not supported, use CIDR blocks"],
    });
  });

  it('manages API secrets: create, list, get, refresh (old value refused), delete', async () => {
    const issued = await client.apiSecrets.create('ci');
    assert.equal(issued.label, 'ci');
    assert.match(issued.secret, /^[0-9a-f]{64}$/);
    assert.equal(issued.refreshedOn, null);

    const listed = await client.apiSecrets.list();
    assert.deepEqual(
      listed.map((s) => s.label),
      ['default', 'ci'],
    );
    assert.ok(listed.every((s) => !('secret' in s)));
    const { secret: _value, ...withoutValue } = issued;
    assert.deepEqual(await client.apiSecrets.get(issued.id), withoutValue);

    const ci = new StreamgateClient({ baseUrl: server.url, apiSecret: issued.secret });
    const refreshed = await ci.apiSecrets.refresh(issued.id);
    assert.notEqual(refreshed.secret, issued.secret);
    assert.ok(refreshed.refreshedOn !== null);
    const refused = await apiError(ci.apiSecrets.list());
    assert.equal(refused.status, 401);
    assert.equal(refused.code, 'UNAUTHORIZED');
    assert.equal(refused.message, 'Unauthorized');

    assert.equal(await client.apiSecrets.delete(issued.id), true);
    const missing = await apiError(client.apiSecrets.get(issued.id));
    assert.equal(missing.code, 'NOT_FOUND');
    assert.equal(missing.message, `No API secret with id: ${issued.id}`);
  });

  it('manages webhooks: create, list, get, update, refreshSecret, delete', async () => {
    const hook = await client.webhooks.create({ url: 'https://hooks.example.com/a', isFeedHooks: true });
    assert.equal(hook.url, 'https://hooks.example.com/a');
    assert.equal(Buffer.from(hook.secret, 'base64').length, 32);
    assert.deepEqual(await client.webhooks.get(hook.id), hook);
    assert.ok((await client.webhooks.list({ itemCount: 100 })).some((h) => h.id === hook.id));
    const moved = await client.webhooks.update(hook.id, { url: 'https://hooks.example.com/b', isMediaHooks: true });
    assert.deepEqual(moved, { ...hook, url: 'https://hooks.example.com/b', isMediaHooks: true });
    const fresh = await client.webhooks.refreshSecret(hook.id);
    assert.notEqual(fresh.secret, hook.secret);
    const bad = await apiError(client.webhooks.create({ url: 'ftp://x', isFeedHooks: true }));
    assert.equal(bad.status, 400);
    assert.ok('url' in (bad.details.errors as Record<string, unknown>));
    assert.equal(await client.webhooks.delete(hook.id), true);
    assert.equal((await apiError(client.webhooks.get(hook.id))).code, 'NOT_FOUND');
  });
});
