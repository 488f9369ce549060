/**
 * The two-node PostgreSQL run of `npm run bench`: two Streamgate processes on one seeded
 * PostgreSQL database, the load generator's connections split evenly between them (as a
 * round-robin load balancer would), director publish then subscribe. Reported as authorizations
 * per second and as the ratio to one Streamgate process on SQLite at the same token count.
 */
import { type LoadResult, runLoad } from './load.js';
import { pgUnavailable, seedPg } from './seed-pg.js';

export interface BenchServer {
  readonly port: number;
  stop(): Promise<void>;
}

export interface TwoNodeDeps {
  readonly tokens: number;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Starts bench/serve-streamgate.mjs on `target` (file or URL). */
  startStreamgate(target: string): Promise<BenchServer>;
  /** Request samples for a seeded population (same fixtures as the SQLite runs). */
  requests(db: { tokens: number; streamAccountId: string }, kind: 'publish' | 'subscribe'): Buffer[];
  /** Single-node SQLite req/s at `tokens` for publish and subscribe (measured by the caller). */
  sqliteBaseline(): Promise<{ publish: number; subscribe: number }>;
  log(line: string): void;
  /** Records a failed run (a refused or failed request). */
  fail(message: string): void;
}

export interface TwoNodeRun {
  readonly kind: 'publish' | 'subscribe';
  readonly rps: number;
  readonly perNode: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly sqliteRps: number;
  readonly ratio: number;
}

export type TwoNodeResult =
  | { readonly skipped: string }
  | { readonly tokens: number; readonly runs: readonly TwoNodeRun[] };

/** Load spread over several ports at once; req/s summed, latency quantiles the worst node's. */
async function spread(
  ports: readonly number[],
  connections: number,
  warmupSeconds: number,
  seconds: number,
  requests: Buffer[],
): Promise<LoadResult[]> {
  const pick = () => requests[Math.floor(Math.random() * requests.length)] as Buffer;
  const share = Math.max(1, Math.floor(connections / ports.length));
  return Promise.all(
    ports.map((port) => runLoad({ port, connections: share, warmupSeconds, seconds, nextRequest: pick })),
  );
}

export async function benchTwoNodePg(deps: TwoNodeDeps): Promise<TwoNodeResult> {
  const why = await pgUnavailable();
  if (why) {
    deps.log(`\ntwo nodes on PostgreSQL: SKIPPED (${why})`);
    return { skipped: why };
  }
  const baseline = await deps.sqliteBaseline();
  deps.log(`\n${deps.tokens.toLocaleString('en-US')} tokens, two Streamgate nodes on one PostgreSQL`);
  const db = await seedPg(deps.tokens, deps.log);
  const servers: BenchServer[] = [];
  try {
    servers.push(await deps.startStreamgate(db.url), await deps.startStreamgate(db.url));
    const ports = servers.map((s) => s.port);
    const runs: TwoNodeRun[] = [];
    for (const kind of ['publish', 'subscribe'] as const) {
      const results = await spread(
        ports,
        deps.connections,
        deps.warmupSeconds,
        deps.seconds,
        deps.requests({ tokens: db.tokens, streamAccountId: db.streamAccountId }, kind),
      );
      const rps = results.reduce((a, r) => a + r.rps, 0);
      const refused = results.reduce((a, r) => a + Object.values(r.non2xx).reduce((x, y) => x + y, 0) + r.errors, 0);
      const sqliteRps = baseline[kind];
      const run: TwoNodeRun = {
        kind,
        rps,
        perNode: results.map((r) => r.rps),
        p50Ms: Math.max(...results.map((r) => r.p50Ms)),
        p99Ms: Math.max(...results.map((r) => r.p99Ms)),
        sqliteRps,
        ratio: rps / sqliteRps,
      };
      runs.push(run);
      deps.log(
        `  2 nodes pg ${kind.padEnd(10)} ${rps.toFixed(0).padStart(7)} req/s (${run.perNode.map((n) => n.toFixed(0)).join(' + ')})` +
          `  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms  = ${run.ratio.toFixed(2)} x one SQLite node`,
      );
      const total = results.reduce((a, r) => a + r.requests, 0);
      if (refused > 0 || total === 0) {
        const first = results.find((r) => r.firstFailure)?.firstFailure ?? 'no requests completed';
        deps.fail(`two nodes on PostgreSQL, ${kind}: ${refused} refused or failed; first: ${first}`);
      }
    }
    return { tokens: db.tokens, runs };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await db.drop();
  }
}

export function twoNodeTable(result: TwoNodeResult): string {
  if ('skipped' in result) return `two nodes on PostgreSQL: skipped (${result.skipped})`;
  const lines = [
    '| tokens | run | authorizations/s | per node | p50 / p99 ms | one SQLite node req/s | ratio |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of result.runs) {
    lines.push(
      `| ${result.tokens.toLocaleString('en-US')} | 2 nodes PostgreSQL ${r.kind} | ${r.rps.toFixed(0)} | ` +
        `${r.perNode.map((n) => n.toFixed(0)).join(' + ')} | ${r.p50Ms.toFixed(2)} / ${r.p99Ms.toFixed(2)} | ` +
        `${r.sqliteRps.toFixed(0)} | ${r.ratio.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
