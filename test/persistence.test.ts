import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServer } from './helpers/server-process.js';

describe('data written through the API survives restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-persist-'));
  const databaseUrl = `sqlite:${join(dir, 'streamgate.db')}`;
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('graceful restart and kill -9 lose no acknowledged write', async () => {
    const first = await startServer({ databaseUrl });
    const acct = first.createAccount('durable');
    const auth = { authorization: `Bearer ${acct.apiSecret}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.url}/api/subscribe_token`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        label: 'keep me',
        streams: [{ streamName: 'feed1' }],
        allowedOrigins: ['*.example.com'],
        tracking: { trackingId: 't-1' },
      }),
    }).then((r) => r.json());
    assert.equal(created.status, 'success');
    // graceful stop answers SIGTERM with exit code 0
    assert.equal(await first.stop('SIGTERM'), 0);

    const second = await startServer({ databaseUrl });
    const read = await fetch(`${second.url}/api/subscribe_token/${created.data.id}`, { headers: auth }).then((r) =>
      r.json(),
    );
    assert.deepEqual(read, created);
    // an update acknowledged just before a crash is kept too
    const updated = await fetch(`${second.url}/api/subscribe_token/${created.data.id}`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ label: 'after crash', refreshToken: true }),
    }).then((r) => r.json());
    assert.equal(updated.status, 'success');
    await second.stop('SIGKILL');

    const third = await startServer({ databaseUrl });
    try {
      const again = await fetch(`${third.url}/api/subscribe_token/${created.data.id}`, { headers: auth }).then((r) =>
        r.json(),
      );
      assert.deepEqual(again, updated);
      assert.equal(again.data.label, 'after crash');
      assert.notEqual(again.data.token, created.data.token);
    } finally {
      await third.stop();
    }
  });
});
