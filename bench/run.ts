/**
 * `npm run bench`: director publish and subscribe authorizations per second against two bare
 * node:http baselines (fixed JSON; JWT signed per request with the same ES256 key), at several
 * token counts, all in one run under the same load generator. Exits 1 if any request was refused.
 *
 * Then two Streamgate nodes on one PostgreSQL database seeded alike (bench/two-node-pg.ts), with
 * the ratio to one SQLite node at the same token count; skipped, saying why, without PostgreSQL.
 *
 * Env: BENCH_SIZES (default "1000,100000,1000000"), BENCH_ROUNDS (5), BENCH_SECONDS (2 per round), BENCH_WARMUP (3),
 * BENCH_CONNECTIONS (32), BENCH_SAMPLE (4000 tokens per kind), BENCH_DIR (.tmp/bench),
 * BENCH_PG_TOKENS (100000; 0 skips the PostgreSQL run). PostgreSQL is found as the tests find it
 * (127.0.0.1:5432, or STREAMGATE_TEST_PG_URL).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchSizes, envNumber } from './env.js';
import type { BenchKind } from './fixtures.js';
import { type LoadResult, runLoad } from './load.js';
import { requestSample } from './requests.js';
import { ensureSeeded, type SeededDb } from './seed.js';
import { benchTwoNodePg, type TwoNodeResult, twoNodeTable } from './two-node-pg.js';

const here = dirname(fileURLToPath(import.meta.url));

const sizes = benchSizes();
const seconds = envNumber('BENCH_SECONDS', 2);
const rounds = Math.floor(envNumber('BENCH_ROUNDS', 5));
const warmupSeconds = envNumber('BENCH_WARMUP', 3);
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
  /** CPU seconds (user + system) the server process has used. */
  cpu(): number;
  stop(): Promise<void>;
}

/** USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/** CPU seconds of a process from /proc (Linux); NaN elsewhere. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

async function startServer(script: string, args: string[]): Promise<Server> {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of each Streamgate server process there.
  const profile =
    process.env.BENCH_PROFILE && script === 'serve-streamgate.mjs'
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE]
      : [];
  // Plain node on the compiled dist/, as `npm start` runs: no TypeScript loader in the servers.
  const child: ChildProcess = spawn(process.execPath, [...profile, join(here, script), ...args], {
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
    cpu: () => processCpuSeconds(child.pid),
    async stop() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Prebuilt requests for random tokens of one kind, each for a stream its rules allow. */
const requestsOf = (db: Pick<SeededDb, 'tokens' | 'streamAccountId'>, kind: BenchKind) =>
  requestSample(db, kind, sampleSize);

const pick = (list: readonly Buffer[]) => () => list[Math.floor(Math.random() * list.length)] as Buffer;

interface Measured extends LoadResult {
  readonly name: string;
}

const failures: string[] = [];

/**
 * One measured window. The first window of a server sends every sampled request once before
 * measuring: a token's first use is cold (its index and table pages come from the OS, its rules
 * get compiled), and at 1M tokens a short warm-up would not reach them all, so the window would
 * mix cold and warm uses unlike at 1k. Later rounds only warm up the connections again.
 */
async function measure(name: string, server: Server, requests: Buffer[], first: boolean): Promise<Measured> {
  const r = await runLoad({
    port: server.port,
    connections,
    warmupSeconds: first ? warmupSeconds : Math.min(warmupSeconds, 0.5),
    seconds,
    nextRequest: pick(requests),
    prime: first ? requests : undefined,
    serverCpu: server.cpu,
  });
  const refused = Object.values(r.non2xx).reduce((a, b) => a + b, 0);
  log(
    `  ${name.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${r.cpuUsPerRequest.toFixed(0)} us/req` +
      (refused + r.errors > 0 ? `  REFUSED ${JSON.stringify(r.non2xx)} errors ${r.errors}` : ''),
  );
  if (refused + r.errors > 0 || r.requests === 0) {
    failures.push(
      `${name}: ${refused} non-2xx, ${r.errors} errors; first: ${r.firstFailure ?? 'no requests completed'}`,
    );
  }
  return { ...r, name };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** The rounds of one server folded into one row: the median of each figure. */
function fold(name: string, rounds: readonly Measured[]): Measured {
  return {
    name,
    requests: rounds.reduce((a, r) => a + r.requests, 0),
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    non2xx: {},
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    firstFailure: rounds.find((r) => r.firstFailure)?.firstFailure ?? null,
  };
}

/** Ratio of two servers' throughput, round by round (each pair measured seconds apart). */
interface RoundRatios {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function ratios(a: readonly Measured[], b: readonly Measured[]): RoundRatios {
  const each = a.map((m, i) => m.rps / (b[i] as Measured).rps);
  return { median: median(each), min: Math.min(...each), max: Math.max(...each) };
}

interface SizeResult {
  readonly tokens: number;
  readonly plain: Measured;
  readonly sign: Measured;
  readonly publish: Measured;
  readonly subscribe: Measured;
  /** Per-round ratios against bare + ES256 and against bare. */
  readonly publishVsSign: RoundRatios;
  readonly subscribeVsSign: RoundRatios;
  readonly publishVsPlain: RoundRatios;
  readonly subscribeVsPlain: RoundRatios;
}

/**
 * All three servers run side by side for the whole size; each round measures them one after
 * the other, so a ratio compares windows seconds apart, and the median over rounds damps the
 * drift of a shared virtual machine (whose speed moves by tens of percent within minutes).
 */
async function benchSize(db: SeededDb): Promise<SizeResult> {
  log(`\n${db.tokens.toLocaleString('en-US')} tokens`);
  const publishRequests = requestsOf(db, 'publish');
  const subscribeRequests = requestsOf(db, 'subscribe');
  const servers = {
    plain: await startServer('serve-bare.mjs', ['plain', db.path]),
    sign: await startServer('serve-bare.mjs', ['sign', db.path]),
    streamgate: await startServer('serve-streamgate.mjs', [db.path]),
  };
  const runs = {
    plain: [] as Measured[],
    sign: [] as Measured[],
    publish: [] as Measured[],
    subscribe: [] as Measured[],
  };
  try {
    for (let round = 0; round < rounds; round++) {
      if (rounds > 1) log(` round ${round + 1}/${rounds}`);
      const first = round === 0;
      const baselines = async () => {
        runs.plain.push(await measure('bare node:http', servers.plain, publishRequests, first));
        runs.sign.push(await measure('bare node:http + ES256', servers.sign, publishRequests, first));
      };
      const streamgate = async () => {
        runs.publish.push(await measure('streamgate publish', servers.streamgate, publishRequests, first));
        runs.subscribe.push(await measure('streamgate subscribe', servers.streamgate, subscribeRequests, first));
      };
      // Every other round the other way round, so a machine speeding up or slowing down during
      // a round favours neither side.
      if (round % 2 === 0) {
        await baselines();
        await streamgate();
      } else {
        await streamgate();
        await baselines();
      }
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
  return {
    tokens: db.tokens,
    plain: fold('bare node:http', runs.plain),
    sign: fold('bare node:http + ES256', runs.sign),
    publish: fold('streamgate publish', runs.publish),
    subscribe: fold('streamgate subscribe', runs.subscribe),
    publishVsSign: ratios(runs.publish, runs.sign),
    subscribeVsSign: ratios(runs.subscribe, runs.sign),
    publishVsPlain: ratios(runs.publish, runs.plain),
    subscribeVsPlain: ratios(runs.subscribe, runs.plain),
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (m: Measured) => `${m.p50Ms.toFixed(2)} / ${m.p99Ms.toFixed(2)}`;

const range = (r: RoundRatios) => (rounds > 1 ? ` (${r.min.toFixed(2)}-${r.max.toFixed(2)})` : '');

function table(results: SizeResult[]): string {
  const lines = [
    '| tokens | server | req/s | p50 / p99 ms | CPU us/req | vs bare+ES256 | vs bare |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const rows: [Measured, string, string][] = [
      [r.plain, (r.plain.rps / r.sign.rps).toFixed(2), '1.00'],
      [r.sign, '1.00', (r.sign.rps / r.plain.rps).toFixed(2)],
      [r.publish, r.publishVsSign.median.toFixed(2), r.publishVsPlain.median.toFixed(2)],
      [r.subscribe, r.subscribeVsSign.median.toFixed(2), r.subscribeVsPlain.median.toFixed(2)],
    ];
    for (const [m, vsSign, vsPlain] of rows) {
      lines.push(
        `| ${fmt(r.tokens)} | ${m.name} | ${fmt(m.rps)} | ${ms(m)} | ${fmt(m.cpuUsPerRequest)} | ${vsSign} | ${vsPlain} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    `| tokens | publish / bare+ES256 | subscribe / bare+ES256 | publish / bare | subscribe / bare |`,
    '|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    lines.push(
      `| ${fmt(r.tokens)} | ${r.publishVsSign.median.toFixed(2)}${range(r.publishVsSign)} | ` +
        `${r.subscribeVsSign.median.toFixed(2)}${range(r.subscribeVsSign)} | ` +
        `${r.publishVsPlain.median.toFixed(2)}${range(r.publishVsPlain)} | ` +
        `${r.subscribeVsPlain.median.toFixed(2)}${range(r.subscribeVsPlain)} |`,
    );
  }
  if (rounds > 1) lines.push('', `Ratios: median over ${rounds} rounds (lowest-highest round in brackets).`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  log(
    `streamgate bench: sizes ${sizes.join(', ')}; ${rounds} rounds of ${seconds} s per server (${warmupSeconds} s warm-up); ` +
      `${connections} keep-alive connections; ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); node ${process.version}`,
  );
  const dbs: SeededDb[] = [];
  for (const n of sizes) dbs.push(await ensureSeeded(dir, n, log));
  // A fresh seed leaves hundreds of MB of dirty pages: write them out before anything is measured.
  spawnSync('sync');
  const results: SizeResult[] = [];
  for (const db of dbs) results.push(await benchSize(db));

  let twoNode: TwoNodeResult = { skipped: 'BENCH_PG_TOKENS=0' };
  if (pgTokens > 0) {
    twoNode = await benchTwoNodePg({
      tokens: pgTokens,
      connections,
      warmupSeconds,
      seconds,
      startStreamgate: (target) => startServer('serve-streamgate.mjs', [target]),
      requests: requestsOf,
      async sqliteBaseline() {
        const same = results.find((r) => r.tokens === pgTokens);
        if (same) return { publish: same.publish.rps, subscribe: same.subscribe.rps };
        // Not among BENCH_SIZES: one SQLite node at this size, measured the same way.
        const db = await ensureSeeded(dir, pgTokens, log);
        log(`\n${pgTokens.toLocaleString('en-US')} tokens, one Streamgate node on SQLite (baseline)`);
        const server = await startServer('serve-streamgate.mjs', [db.path]);
        try {
          const publish = await measure('streamgate publish', server, requestsOf(db, 'publish'), true);
          const subscribe = await measure('streamgate subscribe', server, requestsOf(db, 'subscribe'), true);
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
  const worst = Math.min(...results.flatMap((r) => [r.publishVsSign.median, r.subscribeVsSign.median]));
  const perSize = results.map((r) => (r.publish.rps + r.subscribe.rps) / 2);
  const spread = Math.max(...perSize) / Math.min(...perSize);
  process.stdout.write(
    `\nworst ratio vs bare+ES256: ${worst.toFixed(2)} (target ${TARGET}: ${worst >= TARGET ? 'met' : 'NOT met'}); ` +
      `largest/smallest mean Streamgate throughput across sizes: ${spread.toFixed(2)}x\n`,
  );
  const file = join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ node: process.version, cpus: cpus().length, rounds, seconds, warmupSeconds, connections, results, twoNode }, null, 2)}\n`,
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
