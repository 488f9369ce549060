/**
 * `npm run bench`: director publish and subscribe authorizations per second against two bare
 * node:http baselines (fixed JSON; JWT signed per request with the same ES256 key), at several
 * token counts, all in one run under the same load generator. Exits 1 if any request was refused.
 *
 * Then two Streamgate nodes on one PostgreSQL database seeded alike (bench/two-node-pg.ts), with
 * the ratio to one SQLite node at the same token count; skipped, saying why, without PostgreSQL.
 *
 * Env: BENCH_SIZES (default "1000,100000,1000000"), BENCH_SECONDS (5), BENCH_WARMUP (1),
 * BENCH_CONNECTIONS (32), BENCH_SAMPLE (4000 tokens per kind), BENCH_DIR (.tmp/bench),
 * BENCH_PG_TOKENS (100000; 0 skips the PostgreSQL run). PostgreSQL is found as the tests find it
 * (127.0.0.1:5432, or STREAMGATE_TEST_PG_URL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BENCH_ORIGIN, type BenchKind, seedToken } from './fixtures.js';
import { buildRequest, type LoadResult, runLoad } from './load.js';
import { ensureSeeded, type SeededDb } from './seed.js';
import { benchTwoNodePg, type TwoNodeResult, twoNodeTable } from './two-node-pg.js';

const here = dirname(fileURLToPath(import.meta.url));

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${text}'`);
  return n;
}

const sizes = (process.env.BENCH_SIZES ?? '1000,100000,1000000').split(',').map((s) => {
  const n = Number(s.trim().replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 2) throw new Error(`BENCH_SIZES: '${s}' is not an integer >= 2`);
  return n;
});
const seconds = envNumber('BENCH_SECONDS', 5);
const warmupSeconds = envNumber('BENCH_WARMUP', 1);
const connections = Math.floor(envNumber('BENCH_CONNECTIONS', 32));
const sampleSize = Math.floor(envNumber('BENCH_SAMPLE', 4000));
const dir = resolve(process.env.BENCH_DIR ?? join(here, '..', '.tmp', 'bench'));
const TARGET = 0.7;
const pgTokensText = process.env.BENCH_PG_TOKENS ?? '100000';
const pgTokens = Number(pgTokensText.replace(/_/g, ''));
if (!Number.isInteger(pgTokens) || (pgTokens !== 0 && pgTokens < 2)) {
  throw new Error(`BENCH_PG_TOKENS must be 0 or an integer >= 2, got '${pgTokensText}'`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Server {
  readonly port: number;
  stop(): Promise<void>;
}

async function startServer(script: string, args: string[]): Promise<Server> {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of each Streamgate server process there.
  const profile =
    process.env.BENCH_PROFILE && script === 'serve-streamgate.ts'
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE]
      : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', join(here, script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) resolvePort(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with code ${code} before listening`)));
  });
  return {
    port,
    async stop() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Prebuilt requests for random tokens of one kind, each for a stream its rules allow. */
function requestSample(db: Pick<SeededDb, 'tokens' | 'streamAccountId'>, kind: BenchKind): Buffer[] {
  const perKind = Math.floor(db.tokens / 2);
  const count = Math.min(sampleSize, perKind);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(Math.random() * perKind));
  return [...picked].map((j) => {
    const t = seedToken(kind === 'publish' ? 2 * j : 2 * j + 1);
    const headers = { Authorization: `Bearer ${t.token}`, Origin: BENCH_ORIGIN };
    return kind === 'publish'
      ? buildRequest('/api/director/publish', headers, { streamName: t.requestStream })
      : buildRequest('/api/director/subscribe', headers, {
          streamAccountId: db.streamAccountId,
          streamName: t.requestStream,
        });
  });
}

const pick = (list: readonly Buffer[]) => () => list[Math.floor(Math.random() * list.length)] as Buffer;

interface Measured extends LoadResult {
  readonly name: string;
}

const failures: string[] = [];

async function measure(name: string, port: number, requests: Buffer[]): Promise<Measured> {
  // Every sampled request once before measuring: a token's first use is cold (its index and
  // table pages come from the OS, its rules get compiled), and at 1M tokens a short warm-up
  // would not reach them all, so the window would mix cold and warm uses unlike at 1k.
  const r = await runLoad({ port, connections, warmupSeconds, seconds, nextRequest: pick(requests), prime: requests });
  const refused = Object.values(r.non2xx).reduce((a, b) => a + b, 0);
  log(
    `  ${name.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms` +
      (refused + r.errors > 0 ? `  REFUSED ${JSON.stringify(r.non2xx)} errors ${r.errors}` : ''),
  );
  if (refused + r.errors > 0 || r.requests === 0) {
    failures.push(
      `${name}: ${refused} non-2xx, ${r.errors} errors; first: ${r.firstFailure ?? 'no requests completed'}`,
    );
  }
  return { ...r, name };
}

interface SizeResult {
  readonly tokens: number;
  readonly plain: Measured;
  readonly sign: Measured;
  readonly publish: Measured;
  readonly subscribe: Measured;
}

async function benchSize(db: SeededDb): Promise<SizeResult> {
  log(`\n${db.tokens.toLocaleString('en-US')} tokens`);
  const publishRequests = requestSample(db, 'publish');
  const subscribeRequests = requestSample(db, 'subscribe');

  let server = await startServer('serve-bare.ts', ['plain', db.path]);
  const plain = await measure('bare node:http', server.port, publishRequests);
  await server.stop();

  server = await startServer('serve-bare.ts', ['sign', db.path]);
  const sign = await measure('bare node:http + ES256', server.port, publishRequests);
  await server.stop();

  server = await startServer('serve-streamgate.ts', [db.path]);
  const publish = await measure('streamgate publish', server.port, publishRequests);
  const subscribe = await measure('streamgate subscribe', server.port, subscribeRequests);
  await server.stop();

  return { tokens: db.tokens, plain, sign, publish, subscribe };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (m: Measured) => `${m.p50Ms.toFixed(2)} / ${m.p99Ms.toFixed(2)}`;

function table(results: SizeResult[]): string {
  const lines = [
    '| tokens | server | req/s | p50 / p99 ms | vs bare+ES256 | vs bare |',
    '|---:|---|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    for (const m of [r.plain, r.sign, r.publish, r.subscribe]) {
      lines.push(
        `| ${fmt(r.tokens)} | ${m.name} | ${fmt(m.rps)} | ${ms(m)} | ${(m.rps / r.sign.rps).toFixed(2)} | ${(m.rps / r.plain.rps).toFixed(2)} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    '| tokens | publish req/s | subscribe req/s | bare+ES256 req/s | bare req/s | publish / bare+ES256 | subscribe / bare+ES256 | publish / bare | subscribe / bare |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    lines.push(
      `| ${fmt(r.tokens)} | ${fmt(r.publish.rps)} | ${fmt(r.subscribe.rps)} | ${fmt(r.sign.rps)} | ${fmt(r.plain.rps)} | ` +
        `${(r.publish.rps / r.sign.rps).toFixed(2)} | ${(r.subscribe.rps / r.sign.rps).toFixed(2)} | ` +
        `${(r.publish.rps / r.plain.rps).toFixed(2)} | ${(r.subscribe.rps / r.plain.rps).toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  log(
    `streamgate bench: sizes ${sizes.join(', ')}; ${warmupSeconds} s warm-up + ${seconds} s per run; ` +
      `${connections} keep-alive connections; ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); node ${process.version}`,
  );
  const dbs: SeededDb[] = [];
  for (const n of sizes) dbs.push(await ensureSeeded(dir, n, log));
  const results: SizeResult[] = [];
  for (const db of dbs) results.push(await benchSize(db));

  let twoNode: TwoNodeResult = { skipped: 'BENCH_PG_TOKENS=0' };
  if (pgTokens > 0) {
    twoNode = await benchTwoNodePg({
      tokens: pgTokens,
      connections,
      warmupSeconds,
      seconds,
      startStreamgate: (target) => startServer('serve-streamgate.ts', [target]),
      requests: requestSample,
      async sqliteBaseline() {
        const same = results.find((r) => r.tokens === pgTokens);
        if (same) return { publish: same.publish.rps, subscribe: same.subscribe.rps };
        // Not among BENCH_SIZES: one SQLite node at this size, measured the same way.
        const db = await ensureSeeded(dir, pgTokens, log);
        log(`\n${pgTokens.toLocaleString('en-US')} tokens, one Streamgate node on SQLite (baseline)`);
        const server = await startServer('serve-streamgate.ts', [db.path]);
        try {
          const publish = await measure('streamgate publish', server.port, requestSample(db, 'publish'));
          const subscribe = await measure('streamgate subscribe', server.port, requestSample(db, 'subscribe'));
          return { publish: publish.rps, subscribe: subscribe.rps };
        } finally {
          await server.stop();
        }
      },
      log,
      fail: (message) => failures.push(message),
    });
  }

  const out = table(results);
  process.stdout.write(`\n${out}\n`);
  process.stdout.write(`\n${twoNodeTable(twoNode)}\n`);
  const ratios = results.flatMap((r) => [r.publish.rps / r.sign.rps, r.subscribe.rps / r.sign.rps]);
  const worst = Math.min(...ratios);
  const perSize = results.map((r) => (r.publish.rps + r.subscribe.rps) / 2);
  const spread = Math.max(...perSize) / Math.min(...perSize);
  process.stdout.write(
    `\nworst ratio vs bare+ES256: ${worst.toFixed(2)} (target ${TARGET}: ${worst >= TARGET ? 'met' : 'NOT met'}); ` +
      `largest/smallest mean Streamgate throughput across sizes: ${spread.toFixed(2)}x\n`,
  );
  const file = join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ node: process.version, cpus: cpus().length, seconds, warmupSeconds, connections, results, twoNode }, null, 2)}\n`,
  );
  log(`results written to ${file}`);

  if (failures.length > 0) {
    process.stderr.write(
      `\nFAILED: some authorizations were refused or errored:\n${failures.map((f) => `  ${f}`).join('\n')}\n`,
    );
    process.exit(1);
  }
}

await main();
