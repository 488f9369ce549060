/**
 * The operator CLI end to end: `streamgate account create` on the database, then the REST-driven
 * `secret` and `token` commands against a real `streamgate serve` process. Every command is its
 * own process (about a second each), so state is checked through the SDK where output is not the
 * point, and the spawn count stays small.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type PublishToken, StreamgateClient, type SubscribeToken } from '../src/client/index.js';
import { runCli, type ServerProcess, startServer } from './helpers/server-process.js';

const HEX64 = /^[0-9a-f]{64}$/;

describe('streamgate CLI', () => {
  let server: ServerProcess;
  let secret: string;
  let sdk: StreamgateClient;

  /** A remote command against the test server, authenticated with the account's first secret. */
  const cli = (args: readonly string[], env: Record<string, string> = {}) =>
    runCli([...args, '--url', server.url], { STREAMGATE_API_SECRET: secret, ...env });

  function ok(r: ReturnType<typeof runCli>): string {
    assert.equal(r.stderr, '', 'no error output');
    assert.equal(r.status, 0);
    return r.stdout;
  }

  function failed(r: ReturnType<typeof runCli>): string {
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    return r.stderr;
  }

  const json = <T>(r: ReturnType<typeof runCli>): T => {
    const out = ok(r);
    assert.equal(out.trimEnd().split('\n').length, 1, '--json prints one line');
    return JSON.parse(out) as T;
  };

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.dispose();
  });

  it('account create --json prints the id, streamAccountId and first API secret', () => {
    const created = json<Record<string, unknown>>(
      runCli(['account', 'create', '--name', 'cli', '--json'], { STREAMGATE_DATABASE_URL: server.databaseUrl }),
    );
    assert.deepEqual(Object.keys(created).sort(), ['apiSecret', 'id', 'name', 'streamAccountId']);
    assert.equal(created.id, 1);
    assert.equal(created.name, 'cli');
    assert.match(String(created.streamAccountId), /^[0-9A-Za-z]{6}$/);
    assert.match(String(created.apiSecret), HEX64);
    secret = String(created.apiSecret);
    sdk = new StreamgateClient({ baseUrl: server.url, apiSecret: secret });
  });

  it('secret create, list, refresh (old value refused) and delete', async () => {
    const issued = json<Record<string, unknown>>(cli(['secret', 'create', '--label', 'ci', '--json']));
    assert.equal(issued.id, 2);
    assert.equal(issued.label, 'ci');
    assert.equal(issued.refreshedOn, null);
    assert.match(String(issued.secret), HEX64);
    const ciSecret = String(issued.secret);

    // --secret on the command line wins over the environment.
    const listed = ok(cli(['secret', 'list', '--secret', ciSecret], { STREAMGATE_API_SECRET: 'not-it' }));
    const rows = listed.trimEnd().split('\n');
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0]?.split(/\s{2,}/), ['ID', 'LABEL', 'ADDED', 'REFRESHED']);
    assert.match(rows[1] ?? '', /^1 +default +\d{4}-\d\d-\d\dT[\d:.]+Z +never$/);
    assert.match(rows[2] ?? '', /^2 +ci +\d{4}-\d\d-\d\dT[\d:.]+Z +never$/);

    const refreshed = json<Record<string, unknown>>(cli(['secret', 'refresh', '2', '--secret', ciSecret, '--json']));
    assert.equal(refreshed.id, 2);
    assert.match(String(refreshed.secret), HEX64);
    assert.notEqual(refreshed.secret, ciSecret);
    assert.equal(typeof refreshed.refreshedOn, 'string');

    const refused = failed(cli(['secret', 'list', '--secret', ciSecret]));
    assert.match(refused, /^streamgate: Unauthorized\n/);

    assert.equal(ok(cli(['secret', 'delete', '2'])), 'deleted API secret 2\n');
    assert.deepEqual(
      (await sdk.apiSecrets.list()).map((s) => [s.id, s.label]),
      [[1, 'default']],
    );
  });

  describe('token commands', () => {
    let cam: PublishToken;
    let lobby: PublishToken;
    let viewerId: number;

    it('token create (publish, --json) sends streams, patterns, origins, IPs, expiry and flags', () => {
      const before = Date.now();
      cam = json<PublishToken>(
        cli([
          'token',
          'create',
          '--label',
          'cam one',
          '--stream',
          'feed1',
          '--stream',
          'feed2',
          '--regex-stream',
          'cam-\\d+',
          '--origin',
          '*.example.com',
          '--origin',
          'example.org',
          '--ip',
          '10.0.0.0/8',
          '--ip',
          '2001:db8::/32',
          '--expires',
          '3600',
          '--subscribe-requires-auth',
          '--json',
        ]),
      );
      assert.equal(cam.label, 'cam one');
      assert.match(cam.token, HEX64);
      assert.equal(cam.isActive, true);
      assert.deepEqual(cam.streams, [
        { streamName: 'feed1', isRegex: false },
        { streamName: 'feed2', isRegex: false },
        { streamName: 'cam-\\d+', isRegex: true },
      ]);
      assert.deepEqual(cam.allowedOrigins, ['*.example.com', 'example.org']);
      assert.deepEqual(cam.allowedIpAddresses, ['10.0.0.0/8', '2001:db8::/32']);
      assert.equal(cam.bindIpsOnUsage, 0);
      assert.equal(cam.subscribeRequiresAuth, true);
      assert.equal(cam.record, false);
      assert.equal(cam.multisource, true);
      const expires = Date.parse(cam.expiresOn ?? '');
      assert.ok(expires >= before + 3_600_000 - 1_000 && expires <= Date.now() + 3_600_000 + 1_000);
    });

    it('token create --kind subscribe prints readable fields, binding and tracking included', async () => {
      const out = ok(
        cli([
          'token',
          'create',
          '--kind',
          'subscribe',
          '--label',
          'viewer',
          '--stream',
          'feed1',
          '--bind-ips',
          '2',
          '--tracking-id',
          'trk-1',
        ]),
      );
      const fields = Object.fromEntries(
        out
          .trimEnd()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
      );
      viewerId = Number(fields.id);
      const stored: SubscribeToken = await sdk.subscribeTokens.get(viewerId);
      assert.deepEqual(fields, {
        id: String(stored.id),
        label: 'viewer',
        token: stored.token,
        isActive: 'true',
        streams: 'feed1',
        addedOn: stored.addedOn,
        expiresOn: 'never',
        allowedOrigins: '(any)',
        allowedIpAddresses: '(any)',
        bindIpsOnUsage: '2',
        tracking: 'trk-1',
      });
      assert.deepEqual(stored.tracking, { trackingId: 'trk-1' });
    });

    it('token list prints one row per token; --json with --name uses list_by_name', async () => {
      lobby = await sdk.publishTokens.create({ label: 'lobby', streams: [{ streamName: 'feed9' }] });

      const rows = ok(cli(['token', 'list']))
        .trimEnd()
        .split('\n');
      assert.deepEqual(
        rows.map((r) => r.split(/\s{2,}/)),
        [
          ['ID', 'LABEL', 'STREAMS', 'ACTIVE', 'TOKEN'],
          [String(cam.id), 'cam one', 'feed1, feed2, /cam-\\d+/', 'true', cam.token],
          [String(lobby.id), 'lobby', 'feed9', 'true', lobby.token],
        ],
      );

      const newest = json<PublishToken[]>(
        cli([
          'token',
          'list',
          '--name',
          'feed',
          '--filter-by',
          'StreamName',
          '--sort',
          'AddedOn',
          '--desc',
          '--items',
          '1',
          '--json',
        ]),
      );
      assert.deepEqual(newest, [lobby]);
    });

    it('token get --kind subscribe --json prints the stored token', async () => {
      const got = json<SubscribeToken>(cli(['token', 'get', '--kind', 'subscribe', String(viewerId), '--json']));
      assert.deepEqual(got, await sdk.subscribeTokens.get(viewerId));
    });

    it('token update changes label, value, streams, origins, IPs and activity', async () => {
      const updated = json<PublishToken>(
        cli([
          'token',
          'update',
          String(cam.id),
          '--label',
          'renamed',
          '--refresh',
          '--remove-stream',
          'feed1',
          '--add-stream',
          'feed3',
          '--origins',
          '',
          '--ips',
          '192.168.0.0/16, 172.16.0.0/12',
          '--active',
          'false',
          '--subscribe-requires-auth',
          'false',
          '--json',
        ]),
      );
      assert.equal(updated.id, cam.id);
      assert.equal(updated.label, 'renamed');
      assert.match(updated.token, HEX64);
      assert.notEqual(updated.token, cam.token);
      assert.deepEqual(updated.streams, [
        { streamName: 'feed2', isRegex: false },
        { streamName: 'cam-\\d+', isRegex: true },
        { streamName: 'feed3', isRegex: false },
      ]);
      assert.deepEqual(updated.allowedOrigins, []);
      assert.deepEqual(updated.allowedIpAddresses, ['192.168.0.0/16', '172.16.0.0/12']);
      assert.equal(updated.isActive, false);
      assert.equal(updated.subscribeRequiresAuth, false);
      assert.deepEqual(await sdk.publishTokens.get(cam.id), updated);
    });

    it('token disable disables publish tokens', async () => {
      assert.equal(ok(cli(['token', 'disable', String(lobby.id)])), `disabled publish token ${lobby.id}\n`);
      assert.equal((await sdk.publishTokens.get(lobby.id)).isActive, false);
    });

    it('token delete, then token get fails naming the id', () => {
      assert.equal(ok(cli(['token', 'delete', String(cam.id)])), `deleted publish token ${cam.id}\n`);
      const err = failed(cli(['token', 'get', String(cam.id)]));
      assert.equal(err, `streamgate: No publish token with id: ${cam.id}\n`);
    });

    it('a validation error exits 1 naming the field and the bad value', () => {
      const err = failed(cli(['token', 'create', '--label', 'bad', '--stream', 'a', '--ip', '777.888.99.001']));
      assert.equal(
        err,
        "streamgate: Validation errors\n  allowedIpAddresses[0]: '777.888.99.001' is not a valid IP address or CIDR block\n",
      );
    });

    it('without an API secret the command refuses before calling the server', () => {
      const err = failed(cli(['token', 'list'], { STREAMGATE_API_SECRET: '' }));
      assert.equal(err, 'streamgate: no API secret given: pass --secret <secret> or set STREAMGATE_API_SECRET\n');
    });
  });
});
