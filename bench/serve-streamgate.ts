/**
 * Child process: the real Streamgate app on a seeded database. Usage: serve-streamgate.ts <db>,
 * where <db> is a SQLite file or a postgres:// URL (then wired as `streamgate serve` wires a
 * node of a cluster: PostgreSQL store plus the LISTEN/NOTIFY event bus).
 * Prints `PORT <n>` once listening; exits when its stdin closes (the parent went away).
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { StreamEventBus } from '../src/domain/events.js';
import { PgEventBus } from '../src/store/postgres/pg-event-bus.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';

const target = process.argv[2];
if (!target) throw new Error('usage: serve-streamgate.ts <sqlite file | postgres:// URL>');

const isPg = /^postgres(ql)?:\/\//.test(target);
const databaseUrl = isPg ? target : `sqlite:${target}`;
const store: Store = isPg ? new PgStore(target) : new SqliteStore(target);
await store.migrate();
let bus: StreamEventBus | undefined;
if (store instanceof PgStore) {
  const pool = store.pool;
  const pgBus = new PgEventBus(target, { notify: (sql, values) => pool.query(sql, values) });
  await pgBus.start();
  bus = pgBus;
}
const config = loadConfig({ STREAMGATE_DATABASE_URL: databaseUrl, STREAMGATE_HOST: '127.0.0.1' });
const app = await buildApp({ store, config, logger: false, bus });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
process.stdout.write(`PORT ${address.port}\n`);

const stop = async () => {
  await app.close();
  await store.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
