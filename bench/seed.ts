/** Builds (or reuses) one SQLite database per token count under .tmp/bench/. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountService } from '../src/domain/accounts.js';
import { loadSigner } from '../src/domain/signer.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { seedRow } from './fixtures.js';

export interface SeededDb {
  readonly path: string;
  readonly tokens: number;
  readonly streamAccountId: string;
}

interface Manifest {
  readonly tokens: number;
  readonly streamAccountId: string;
  readonly format: number;
}

/** Bump when fixtures.ts changes, so stale databases are rebuilt. */
const FORMAT = 1;
const BATCH = 50_000;

export async function ensureSeeded(dir: string, tokens: number, log: (line: string) => void): Promise<SeededDb> {
  const path = join(dir, `tokens-${tokens}.db`);
  const manifestPath = `${path}.json`;
  if (existsSync(path) && existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (m.tokens === tokens && m.format === FORMAT) {
      log(`reusing ${path}`);
      return { path, tokens, streamAccountId: m.streamAccountId };
    }
  }
  for (const suffix of ['', '-wal', '-shm', '.json']) rmSync(`${path}${suffix}`, { force: true });

  const started = Date.now();
  const store = new SqliteStore(path);
  try {
    await store.migrate();
    const { account } = await new AccountService(store).createAccount('bench');
    // Created here, once, so the Streamgate and bare signing servers load the same key.
    await loadSigner(store);
    const insert = store.db.prepare(
      `INSERT INTO tokens (account_id, kind, label, token, added_on, expires_on, is_active, streams,
         allowed_origins, allowed_ip_addresses, bind_ips_on_usage, subscribe_requires_auth, record, multisource,
         tracking_id, version)
       VALUES (?, ?, ?, ?, ?, NULL, 1, ?, ?, ?, 0, 0, 0, 1, NULL, 1)`,
    );
    const addedOn = Date.now();
    const batch = store.db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const [kind, label, token, streams, origins, ips] = seedRow(i);
        insert.run(account.id, kind, label, token, addedOn + i, streams, origins, ips);
      }
    });
    for (let from = 0; from < tokens; from += BATCH) {
      batch(from, Math.min(tokens, from + BATCH));
      if (tokens > BATCH)
        log(`  seeded ${Math.min(tokens, from + BATCH).toLocaleString('en-US')} / ${tokens.toLocaleString('en-US')}`);
    }
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.db.exec('ANALYZE');
    const manifest: Manifest = { tokens, streamAccountId: account.streamAccountId, format: FORMAT };
    writeFileSync(manifestPath, `${JSON.stringify(manifest)}\n`);
    log(
      `seeded ${tokens.toLocaleString('en-US')} tokens into ${path} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return { path, tokens, streamAccountId: account.streamAccountId };
  } finally {
    await store.close();
  }
}
