/**
 * `streamgate sign` end to end: every token is minted by a real CLI process and then presented
 * to a real server's POST /api/director/subscribe, which must accept it, or refuse it with the
 * SPEC's messages when its stream, IP, origin, lifetime or parent says so. Each CLI call is its
 * own process (about a second), so the spawn count stays small.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StreamgateClient, type SubscribeToken } from '../src/client/index.js';
import { runCli, type ServerProcess, startServer } from './helpers/server-process.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function decode(jwt: string): { header: any; payload: any } {
  const [h, p] = jwt.split('.') as [string, string];
  const json = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  return { header: json(h), payload: json(p) };
}

describe('streamgate sign', () => {
  let server: ServerProcess;
  let streamAccountId: string;
  let secret: string;
  let parent: SubscribeToken;

  /** The minted token: stdout must be exactly the JWT and a newline, with nothing on stderr. */
  function minted(r: ReturnType<typeof runCli>): string {
    assert.equal(r.stderr, '', 'no error output');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /\n$/);
    assert.equal(r.stdout.split('\n').length, 2, 'one line');
    return r.stdout.trimEnd();
  }

  /** A usage error: exit status 1 (the CLI's convention), nothing on stdout, the message on stderr. */
  function refused(r: ReturnType<typeof runCli>): string {
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    return r.stderr;
  }

  /** The CLI with no inherited credentials, so only what a case gives counts. */
  const sign = (args: readonly string[], env: Record<string, string> = {}) =>
    runCli(['sign', ...args], { STREAMGATE_SUBSCRIBE_TOKEN: '', STREAMGATE_API_SECRET: '', ...env });

  async function subscribe(jwt: string, streamName: string, origin?: string) {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${jwt}` };
    if (origin) headers.origin = origin;
    const res = await fetch(`${server.url}/api/director/subscribe`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ streamAccountId, streamName }),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function accepted(jwt: string, streamName: string, origin?: string): Promise<any> {
    const res = await subscribe(jwt, streamName, origin);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'success');
    assert.equal(res.body.data.streamAccountId, streamAccountId);
    // The director jwt names what was granted; its signature is the director tests' business.
    return decode(res.body.data.jwt).payload.streaming;
  }

  async function denied(jwt: string, streamName: string, code: string, message: string, origin?: string) {
    const res = await subscribe(jwt, streamName, origin);
    assert.deepEqual([res.status, res.body], [401, { status: 'fail', data: { message, code } }]);
  }

  before(async () => {
    server = await startServer();
    const account = server.createAccount('signer');
    streamAccountId = account.streamAccountId;
    secret = account.apiSecret;
    const sdk = new StreamgateClient({ baseUrl: server.url, apiSecret: secret });
    parent = await sdk.subscribeTokens.create({
      label: 'parent',
      streams: [
        { streamName: 'feed1', isRegex: false },
        { streamName: 'cam-[0-9]+', isRegex: true },
      ],
    });
  });
  after(async () => {
    await server?.dispose();
  });

  let shortLived: string;

  it('mints an HS256 token that the server accepts for its stream and refuses for another', async () => {
    const before = Math.floor(Date.now() / 1000);
    const jwt = minted(sign(['--token', parent.token, '--token-id', String(parent.id), '--stream-name', 'cam-7']));
    const after = Math.floor(Date.now() / 1000);
    assert.match(jwt, JWT);
    const { header, payload } = decode(jwt);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(payload.streaming, {
      tokenId: parent.id,
      tokenType: 'Subscribe',
      streamName: 'cam-7',
      allowedOrigins: [],
      allowedIpAddresses: [],
      tracking: null,
    });
    assert.ok(payload.iat >= before && payload.iat <= after, `iat ${payload.iat}`);
    assert.equal(payload.exp, payload.iat + 3600, 'default lifetime is an hour');

    const granted = await accepted(jwt, 'cam-7');
    assert.deepEqual([granted.tokenId, granted.streamName], [parent.id, 'cam-7']);
    // A self-signed token names one concrete stream, even where its parent matches others.
    await denied(jwt, 'cam-8', 'STREAM_NAME_NOT_ALLOWED', 'StreamName is not valid for token');
    await denied(jwt, 'feed1', 'STREAM_NAME_NOT_ALLOWED', 'StreamName is not valid for token');
  });

  it('HS512 with origins, tracking id, viewer data and --json', async () => {
    // Minted first so that it has run out by the time the expiry test below presents it.
    shortLived = minted(
      sign(['--token-id', String(parent.id), '--stream-name', 'feed1', '--expires-in', '1'], {
        STREAMGATE_SUBSCRIBE_TOKEN: parent.token,
      }),
    );
    const r = sign(
      [
        '--token-id',
        String(parent.id),
        '--stream-name',
        'feed1',
        '--alg',
        'HS512',
        '--expires-in',
        '120',
        '--allowed-origin',
        '*.example.com',
        '--allowed-origin',
        'tv.example.net',
        '--tracking-id',
        'campaign-9',
        '--custom-viewer-data',
        'seat 12',
        '--json',
      ],
      { STREAMGATE_SUBSCRIBE_TOKEN: parent.token },
    );
    const out = JSON.parse(minted(r)) as { token: string; tokenId: number; exp: number };
    const { header, payload } = decode(out.token);
    assert.equal(header.alg, 'HS512');
    assert.deepEqual([out.tokenId, out.exp], [parent.id, payload.exp]);
    assert.equal(payload.exp, payload.iat + 120);
    assert.deepEqual(payload.streaming.allowedOrigins, ['*.example.com', 'tv.example.net']);
    assert.deepEqual(payload.streaming.tracking, { trackingId: 'campaign-9' });
    assert.equal(payload.streaming.customViewerData, 'seat 12');

    const granted = await accepted(out.token, 'feed1', 'https://a.b.example.com');
    assert.deepEqual([granted.trackingId, granted.customViewerData], ['campaign-9', 'seat 12']);
    await accepted(out.token, 'feed1', 'https://TV.example.net:8443');
    // Wildcards cover subdomains only, and the token's origins narrow a parent that allows any.
    await denied(out.token, 'feed1', 'ORIGIN_NOT_ALLOWED', 'Unauthorized: Origin not allowed', 'https://example.com');
    await denied(out.token, 'feed1', 'ORIGIN_NOT_ALLOWED', 'Unauthorized: Origin not allowed');
  });

  it('a token past its --expires-in is refused as expired', async () => {
    const { payload } = decode(shortLived);
    assert.equal(payload.exp, payload.iat + 1);
    const wait = payload.exp * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 10));
    await denied(shortLived, 'feed1', 'TOKEN_EXPIRED', 'Unauthorized: Token expired');
  });

  it('HS384 with --exp and an extra IP rule that this client is outside of', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jwt = minted(
      sign(
        [
          '--token-id',
          String(parent.id),
          '--stream-name',
          'feed1',
          '--alg',
          'HS384',
          '--exp',
          String(exp),
          '--allowed-ip',
          '10.0.0.0/8',
          '--allowed-ip',
          '2001:db8::/32',
        ],
        { STREAMGATE_SUBSCRIBE_TOKEN: parent.token },
      ),
    );
    const { header, payload } = decode(jwt);
    assert.equal(header.alg, 'HS384');
    assert.equal(payload.exp, exp);
    assert.deepEqual(payload.streaming.allowedIpAddresses, ['10.0.0.0/8', '2001:db8::/32']);
    // The test client is 127.0.0.1: the token's own list narrows what the parent allows.
    await denied(jwt, 'feed1', 'IP_NOT_ALLOWED', 'Unauthorized: IP Address not allowed');
  });

  it('without --token reads the parent value over the REST API, and the token dies with its parent', async () => {
    const jwt = minted(
      sign(['--token-id', String(parent.id), '--stream-name', 'feed1', '--url', server.url], {
        STREAMGATE_API_SECRET: secret,
      }),
    );
    await accepted(jwt, 'feed1');
    const sdk = new StreamgateClient({ baseUrl: server.url, apiSecret: secret });
    await sdk.subscribeTokens.update(parent.id, { refreshToken: true });
    await denied(jwt, 'feed1', 'INVALID_TOKEN', 'Unauthorized: Invalid token');
  });

  it('refuses bad input naming the option, and never prints the token value', () => {
    const value = parent.token;
    const base = ['--token', value, '--token-id', '5', '--stream-name', 'feed1'];
    assert.match(refused(sign([...base, '--allowed-ip', '10.0.0.*'])), /--allowed-ip: '10\.0\.0\.\*'.*CIDR/);
    assert.match(
      refused(sign([...base, '--exp', String(Math.floor(Date.now() / 1000) - 10)])),
      /--exp \d+ is not in the future/,
    );
    const badValue = refused(sign(['--token', `${value.slice(0, 63)}X`, '--token-id', '5', '--stream-name', 'x']));
    assert.match(badValue, /--token must be the parent subscribe token's value: 64 lowercase hex characters/);
    assert.ok(!badValue.includes(value.slice(0, 63)), 'the value is not echoed');
    assert.match(refused(sign(['--token', value, '--stream-name', 'feed1'])), /required option '--token-id <id>'/);
    assert.match(
      refused(sign(['--token-id', '5', '--stream-name', 'feed1'])),
      /no parent token value: pass --token <value> \(or set STREAMGATE_SUBSCRIBE_TOKEN\), or --secret/,
    );
  });
});
