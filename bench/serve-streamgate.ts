/**
 * Child process: the real Streamgate app on a seeded database. Usage: serve-streamgate.ts <db file>.
 * Prints `PORT <n>` once listening; exits when its stdin closes (the parent went away).
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const file = process.argv[2];
if (!file) throw new Error('usage: serve-streamgate.ts <sqlite file>');

const store = new SqliteStore(file);
await store.migrate();
const config = loadConfig({ STREAMGATE_DATABASE_URL: `sqlite:${file}`, STREAMGATE_HOST: '127.0.0.1' });
const app = await buildApp({ store, config, logger: false });
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
