import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens the store a database URL names and brings its schema up to date. */
export async function openStore(databaseUrl: string, options: { migrate?: boolean } = {}): Promise<Store> {
  let store: Store;
  if (databaseUrl.startsWith('sqlite:')) {
    store = new SqliteStore(databaseUrl.slice('sqlite:'.length));
  } else {
    throw new Error(
      `unsupported database URL '${databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}': PostgreSQL support is not built yet`,
    );
  }
  if (options.migrate !== false) await store.migrate();
  return store;
}
