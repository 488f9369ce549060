/**
 * A throwaway PostgreSQL database seeded with the same token population as the SQLite bench
 * databases (fixtures.ts), for the two-node run. Created fresh for each run and dropped after.
 */
import pg from 'pg';
import { AccountService } from '../src/domain/accounts.js';
import { loadSigner } from '../src/domain/signer.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import { createTestDatabase, probePg, type TestDatabase } from '../test/helpers/pg.js';
import { seedRow } from './fixtures.js';

export interface SeededPg {
  readonly url: string;
  readonly tokens: number;
  readonly streamAccountId: string;
  drop(): Promise<void>;
}

const BATCH = 10_000;

/** Why PostgreSQL cannot be used, or null when it can. */
export async function pgUnavailable(): Promise<string | null> {
  const probe = await probePg();
  return 'unreachable' in probe ? probe.unreachable : null;
}

export async function seedPg(tokens: number, log: (line: string) => void): Promise<SeededPg> {
  const probe = await probePg();
  if ('unreachable' in probe) throw new Error(probe.unreachable);
  const started = Date.now();
  const db: TestDatabase = await createTestDatabase(probe.adminUrl);
  try {
    const store = new PgStore(db.url);
    let streamAccountId: string;
    let accountId: number;
    try {
      await store.migrate();
      const { account } = await new AccountService(store).createAccount('bench');
      streamAccountId = account.streamAccountId;
      accountId = account.id;
      // Created once here, so both nodes sign with the same key from their first request.
      await loadSigner(store);
    } finally {
      await store.close();
    }
    const client = new pg.Client(db.url);
    await client.connect();
    try {
      const addedOn = Date.now();
      for (let from = 0; from < tokens; from += BATCH) {
        const to = Math.min(tokens, from + BATCH);
        const cols: unknown[][] = [[], [], [], [], [], [], [], []];
        for (let i = from; i < to; i++) {
          const [kind, label, token, streams, origins, ips] = seedRow(i);
          const row = [kind, label, token, addedOn + i, streams, origins, ips, i];
          for (const [c, v] of row.entries()) cols[c]!.push(v);
        }
        await client.query(
          `INSERT INTO tokens (account_id, kind, label, token, added_on, expires_on, is_active, streams,
             allowed_origins, allowed_ip_addresses, bind_ips_on_usage, subscribe_requires_auth, record, multisource,
             tracking_id, version)
           SELECT $1, kind, label, token, added_on, NULL, TRUE, streams::jsonb, origins::jsonb, ips::jsonb,
                  0, FALSE, FALSE, TRUE, NULL, 1
             FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::int[])
                  AS s(kind, label, token, added_on, streams, origins, ips, ord)
            ORDER BY ord`,
          [accountId, ...cols.slice(0, 8)],
        );
        if (tokens > BATCH * 2 && to % (BATCH * 5) === 0) {
          log(`  seeded ${to.toLocaleString('en-US')} / ${tokens.toLocaleString('en-US')} (PostgreSQL)`);
        }
      }
      await client.query('ANALYZE');
    } finally {
      await client.end();
    }
    log(
      `seeded ${tokens.toLocaleString('en-US')} tokens into PostgreSQL database ${db.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return { url: db.url, tokens, streamAccountId, drop: () => db.drop() };
  } catch (err) {
    await db.drop().catch(() => {});
    throw err;
  }
}
