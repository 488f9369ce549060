/**
 * Several real Streamgate server processes on loopback ports sharing one throwaway PostgreSQL
 * database: the set-up the multi-node guarantees are about. Optionally the nodes reach PostgreSQL
 * through a TCP proxy the test can cut, freeze and restore (a database outage); the test itself
 * keeps a direct connection (`db.url`) to inspect what was stored.
 */
import { createTestDatabase, type PgProbe, type TestDatabase } from './pg.js';
import { runCli, type ServerProcess, startServer } from './server-process.js';
import { TcpProxy } from './tcp-proxy.js';

export interface ClusterOptions {
  /** How many nodes (default 2). */
  readonly nodes?: number;
  /** Extra environment for every node (STREAMGATE_LIVE_LEASE, STREAMGATE_TRUSTED_PROXIES...). */
  readonly env?: Record<string, string>;
  /** Put a cuttable TCP proxy between the nodes and PostgreSQL. */
  readonly viaProxy?: boolean;
}

export interface Cluster {
  readonly db: TestDatabase;
  readonly nodes: readonly ServerProcess[];
  /** The proxy the nodes reach PostgreSQL through (null unless `viaProxy`). */
  readonly proxy: TcpProxy | null;
  /** The database URL the nodes were given (through the proxy when there is one). */
  readonly nodeDatabaseUrl: string;
  /** Creates an account with the CLI, directly on the database (as an operator would). */
  createAccount(name: string): { id: number; streamAccountId: string; apiSecret: string };
  /** kill -9 of node `i`; resolves once the process is gone. */
  kill(i: number): Promise<void>;
  /** Stops every node, the proxy, and drops the database. */
  dispose(): Promise<void>;
}

function pgPort(url: string): number {
  return Number(new URL(url).port || 5432);
}

export async function startCluster(probe: PgProbe, options: ClusterOptions = {}): Promise<Cluster> {
  if (!('adminUrl' in probe)) throw new Error(probe.unreachable);
  const db = await createTestDatabase(probe.adminUrl);
  let proxy: TcpProxy | null = null;
  const started: ServerProcess[] = [];
  try {
    let nodeDatabaseUrl = db.url;
    if (options.viaProxy) {
      proxy = new TcpProxy(pgPort(db.url), new URL(db.url).hostname);
      const port = await proxy.start();
      const u = new URL(db.url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      nodeDatabaseUrl = u.toString();
    }
    const count = options.nodes ?? 2;
    // The first node migrates alone, so the others start on a ready schema (they would queue on
    // the migration lock anyway; this keeps start-up failures easy to read).
    started.push(await startServer({ databaseUrl: nodeDatabaseUrl, env: options.env }));
    const rest = await Promise.allSettled(
      Array.from({ length: count - 1 }, () => startServer({ databaseUrl: nodeDatabaseUrl, env: options.env })),
    );
    for (const r of rest) if (r.status === 'fulfilled') started.push(r.value);
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const nodes = started;
    const gone = (n: ServerProcess) => n.child.exitCode !== null || n.child.signalCode !== null;
    return {
      db,
      nodes,
      proxy,
      nodeDatabaseUrl,
      createAccount(name) {
        const r = runCli(['account', 'create', '--name', name, '--json'], { STREAMGATE_DATABASE_URL: db.url });
        if (r.status !== 0) throw new Error(`account create failed: ${r.stderr}`);
        return JSON.parse(r.stdout);
      },
      async kill(i) {
        const node = nodes[i];
        if (!node) throw new Error(`no node ${i}`);
        if (gone(node)) return;
        await node.stop('SIGKILL');
      },
      async dispose() {
        // A killed process has a signalCode and no exitCode; stop() would wait for an exit already past.
        await Promise.all(nodes.filter((n) => !gone(n)).map((n) => n.dispose().catch(() => {})));
        await proxy?.stop();
        await db.drop();
      },
    };
  } catch (err) {
    await Promise.all(started.map((n) => n.dispose().catch(() => {})));
    await proxy?.stop();
    await db.drop().catch(() => {});
    throw err;
  }
}
