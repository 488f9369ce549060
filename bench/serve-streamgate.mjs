/**
 * Child process: the real Streamgate app on a seeded database. Usage: node bench/serve-streamgate.mjs <db>,
 * where <db> is a SQLite file or a postgres:// URL (then wired as `streamgate serve` wires a
 * node of a cluster: PostgreSQL store plus the LISTEN/NOTIFY event bus).
 * Plain JavaScript on the compiled dist/, as `npm start` runs Streamgate (no TypeScript loader).
 * Prints `PORT <n>` once listening; exits when its stdin closes (the parent went away).
 */
import { buildApp } from '../dist/app.js';
import { loadConfig } from '../dist/config.js';
import { PgEventBus } from '../dist/store/postgres/pg-event-bus.js';
import { PgStore } from '../dist/store/postgres/pg-store.js';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';

const target = process.argv[2];
if (!target) throw new Error('usage: serve-streamgate.mjs <sqlite file | postgres:// URL>');

const isPg = /^postgres(ql)?:\/\//.test(target);
const databaseUrl = isPg ? target : `sqlite:${target}`;
const store = isPg ? new PgStore(target) : new SqliteStore(target, { server: true });
await store.migrate();
/** @type {PgEventBus | undefined} */
let bus;
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
