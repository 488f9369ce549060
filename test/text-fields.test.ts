/**
 * Text fields PostgreSQL cannot store (U+0000) and other C0 control characters: every route
 * answers 400 naming the field, on SQLite and on PostgreSQL alike, and never reaches the store
 * (where PostgreSQL would fail the statement and the caller would get a 500).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { AccountService } from '../src/domain/accounts.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase, pgRequired, probePg, type TestDatabase } from './helpers/pg.js';

interface Target {
  readonly store: Store;
  readonly databaseUrl: string;
  dispose(): Promise<void>;
}

const probe = await probePg();
if ('unreachable' in probe && pgRequired()) throw new Error(`CI requires PostgreSQL: ${probe.unreachable}`);

function suite(name: string, open: () => Promise<Target>, skip?: string) {
  describe(`text fields with control characters: ${name}`, { skip }, () => {
    let target: Target;
    let app: FastifyInstance;
    let secret: string;
    let publishToken: string;
    let publishId: number;
    let streamAccountId: string;

    const call = async (method: InjectOptions['method'], url: string, body?: unknown, bearer = secret) => {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${bearer}` },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      });
      return { status: res.statusCode, body: JSON.parse(res.body) };
    };

    /** Exactly one field error, for `field`, saying what is wrong. */
    const assertRefused = (res: { status: number; body: any }, field: string) => {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        status: 'fail',
        data: {
          message: 'Validation errors',
          code: 'VALIDATION_FAILED',
          errors: { [field]: ['must not contain control characters (U+0000 to U+001F)'] },
        },
      });
    };

    before(async () => {
      target = await open();
      const config = loadConfig({ STREAMGATE_DATABASE_URL: target.databaseUrl });
      app = await buildApp({ store: target.store, config, logger: false });
      await app.ready();
      const created = await new AccountService(target.store).createAccount('acme');
      secret = created.secret.value;
      streamAccountId = created.account.streamAccountId;
      const res = await call('POST', '/api/publish_token', { label: 'pub', streams: [{ streamName: 'feed' }] });
      assert.equal(res.status, 200);
      publishToken = res.body.data.token;
      publishId = res.body.data.id;
    });
    after(async () => {
      await app?.close();
      await target?.dispose();
    });

    for (const [what, ch] of [
      ['U+0000', '\u0000'],
      ['U+0007 (bell)', '\u0007'],
      ['U+0009 (tab)', '\t'],
      ['U+000A (line feed)', '\n'],
      ['U+001F', '\u001f'],
    ] as const) {
      it(`refuses ${what} in labels, stream names and list filters`, async () => {
        for (const kind of ['publish', 'subscribe']) {
          assertRefused(
            await call('POST', `/api/${kind}_token`, { label: `a${ch}b`, streams: [{ streamName: 'feed' }] }),
            'label',
          );
          assertRefused(
            await call('POST', `/api/${kind}_token`, { label: 'ok', streams: [{ streamName: `fe${ch}ed` }] }),
            'streams[0].streamName',
          );
          assertRefused(
            await call(
              'GET',
              `/api/${kind}_token/list_by_name?name=${encodeURIComponent(`x${ch}`)}&page=1&itemsOnPage=10`,
            ),
            'name',
          );
        }
        assertRefused(await call('PUT', `/api/publish_token/${publishId}`, { label: `${ch}` }), 'label');
        assertRefused(
          await call('PUT', `/api/v2/publish_token/${publishId}`, { addTokenStreams: [{ streamName: `s${ch}` }] }),
          'addTokenStreams[0].streamName',
        );
        assertRefused(
          await call('PUT', `/api/publish_token/${publishId}`, { removeTokenStreams: [`s${ch}`] }),
          'removeTokenStreams[0]',
        );
        assertRefused(await call('POST', '/api/api_secret', { label: `k${ch}` }), 'label');
        assertRefused(
          await call('POST', '/api/director/publish', { streamName: `feed${ch}` }, publishToken),
          'streamName',
        );
        assertRefused(
          await call('POST', '/api/director/subscribe', { streamAccountId, streamName: `feed${ch}` }),
          'streamName',
        );
      });
    }

    it('left the token as it was, and still takes other Unicode text', async () => {
      const read = await call('GET', `/api/publish_token/${publishId}`);
      assert.equal(read.body.data.label, 'pub');
      assert.deepEqual(read.body.data.streams, [{ streamName: 'feed', isRegex: false }]);
      const label = 'Café ☕ \u007f 東京 🎥';
      const res = await call('POST', '/api/publish_token', { label, streams: [{ streamName: 'flux-é' }] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const again = await call('GET', `/api/publish_token/${res.body.data.id}`);
      assert.equal(again.body.data.label, label);
      assert.deepEqual(again.body.data.streams, [{ streamName: 'flux-é', isRegex: false }]);
      const found = await call(
        'GET',
        `/api/publish_token/list_by_name?name=${encodeURIComponent('☕')}&page=1&itemsOnPage=10`,
      );
      assert.equal(found.status, 200);
      assert.deepEqual(
        found.body.data.map((t: { id: number }) => t.id),
        [res.body.data.id],
      );
    });
  });
}

suite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-text-'));
  const path = join(dir, 'db.sqlite');
  const store = new SqliteStore(path);
  await store.migrate();
  return {
    store,
    databaseUrl: `sqlite:${path}`,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

suite(
  'postgres',
  async () => {
    if (!('adminUrl' in probe)) throw new Error(probe.unreachable);
    const db: TestDatabase = await createTestDatabase(probe.adminUrl);
    const store = new PgStore(db.url);
    await store.migrate();
    return {
      store,
      databaseUrl: db.url,
      async dispose() {
        await store.close();
        await db.drop();
      },
    };
  },
  'unreachable' in probe ? probe.unreachable : undefined,
);
