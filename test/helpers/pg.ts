/**
 * Throwaway PostgreSQL databases for tests. The server is the machine's (127.0.0.1:5432, trust
 * auth); each run creates its own database and drops it at the end, so runs never see each
 * other's rows. STREAMGATE_TEST_PG_URL names another server (any database the user can connect
 * to and CREATE DATABASE from).
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';

const HOST = '127.0.0.1:5432';

function candidates(): string[] {
  if (process.env.STREAMGATE_TEST_PG_URL) return [process.env.STREAMGATE_TEST_PG_URL];
  const users = ['postgres', userInfo().username].filter((u, i, all) => all.indexOf(u) === i);
  return users.flatMap((u) => [`postgres://${u}@${HOST}/postgres`, `postgres://${u}@${HOST}/test`]);
}

/** How to reach PostgreSQL from tests, or why it cannot be reached. */
export type PgProbe = { readonly adminUrl: string } | { readonly unreachable: string };

let probed: Promise<PgProbe> | undefined;

/** Finds a user and database that can create databases; tried once per process. */
export function probePg(): Promise<PgProbe> {
  probed ??= (async () => {
    const problems: string[] = [];
    for (const url of candidates()) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        const { rows } = await client.query<{ ok: boolean }>(
          'SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user',
        );
        if (rows[0]?.ok) {
          await dropOrphans(client);
          return { adminUrl: url };
        }
        problems.push(`${url}: user may not create databases`);
      } catch (err) {
        problems.push(`${url}: ${(err as Error).message || (err as { code?: string }).code}`);
      } finally {
        await client.end().catch(() => {});
      }
    }
    const where = process.env.STREAMGATE_TEST_PG_URL ? new URL(process.env.STREAMGATE_TEST_PG_URL).host : HOST;
    return { unreachable: `PostgreSQL not reachable at ${where} (${problems.join('; ')})` };
  })();
  return probed;
}

/**
 * Drops the databases of test processes on this machine that died before their own cleanup
 * (killed by a timeout, say): sg_test_<pid>_* whose pid is gone. Best effort.
 */
async function dropOrphans(client: pg.Client): Promise<void> {
  if (!['127.0.0.1', 'localhost', '::1'].includes(client.host)) return;
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname ~ '^sg_test_[0-9]+_[0-9a-f]+$'",
  );
  for (const { datname } of rows) {
    const pid = Number(datname.split('_')[2]);
    if (pidAlive(pid)) continue;
    await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a missing PostgreSQL must fail the run (CI never skips the PostgreSQL suites). */
export function pgRequired(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

export interface TestDatabase {
  readonly name: string;
  /** URL of the new, empty database. */
  readonly url: string;
  /** Drops the database, closing whatever connections are still open on it. */
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates an empty database named sg_test_<pid>_<random> on the server `adminUrl` is on. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `sg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
