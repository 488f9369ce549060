import { PgStore } from './postgres/pg-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import { StoreUnavailableError } from './store-errors.js';

/**
 * Opens the store a database URL names and brings its schema up to date. `server` marks the
 * HTTP server's own store: on SQLite it takes the file's server lock (one server per file).
 */
export async function openStore(
  databaseUrl: string,
  options: { migrate?: boolean; server?: boolean } = {},
): Promise<Store> {
  let store: Store;
  if (databaseUrl.startsWith('sqlite:')) {
    store = new SqliteStore(databaseUrl.slice('sqlite:'.length), { server: options.server === true });
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    store = new PgStore(databaseUrl);
  } else {
    throw new Error(`unsupported database URL '${databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}'`);
  }
  try {
    if (options.migrate !== false) await store.migrate();
    else await store.ping();
  } catch (err) {
    await store.close().catch(() => {});
    if (err instanceof StoreUnavailableError && store instanceof PgStore) {
      throw new Error(`cannot connect to PostgreSQL at ${store.target}: ${err.detail}`, { cause: err });
    }
    throw err;
  }
  return store;
}
