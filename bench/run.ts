/**
 * `npm run bench`: director publish and subscribe authorizations per second against two bare
 * node:http baselines (fixed JSON; JWT signed per request with the same ES256 key), at several
 * token counts, all in one run under the same load generator. Exits 1 if any request was refused.
 *
 * The servers of one size take turns in short slices, many times over (bench/slices.ts), each
 * server kind in several processes, so that neither the machine's drifting speed nor the luck
 * of one process decides a ratio.
 *
 * Then two Streamgate nodes on one PostgreSQL database seeded alike (bench/two-node-pg.ts), with
 * the ratio to one SQLite node at the same token count; skipped, saying why, without PostgreSQL.
 *
 * Env: BENCH_SIZES (default "1000,100000,1000000"), BENCH_CYCLES (24), BENCH_SLICE (0.2 s),
 * BENCH_PROCESSES (2 per server kind), BENCH_WARMUP (3), BENCH_CONNECTIONS (32), BENCH_SAMPLE
 * (4000 tokens per kind), BENCH_DIR (.tmp/bench), BENCH_SECONDS (2, the two-node windows),
 * BENCH_PG_TOKENS (100000; 0 skips the PostgreSQL run). PostgreSQL is found as the tests find it
 * (127.0.0.1:5432, or STREAMGATE_TEST_PG_URL).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchSizes, envNumber } from './env.js';
import type { BenchKind } from './fixtures.js';
import { type LoadResult, quantile, runLoad } from './load.js';
import { requestSample } from './requests.js';
import { ensureSeeded, type SeededDb } from './seed.js';
import { runSlices, type SliceTarget, type SliceTotals } from './slices.js';
import { benchTwoNodePg, type TwoNodeResult, twoNodeTable } from './two-node-pg.js';

const here = dirname(fileURLToPath(import.meta.url));

const sizes = benchSizes();
const seconds = envNumber('BENCH_SECONDS', 2);
const cycles = Math.floor(envNumber('BENCH_CYCLES', 24));
const sliceSeconds = envNumber('BENCH_SLICE', 0.2);
const processes = Math.floor(envNumber('BENCH_PROCESSES', 2));
const BLOCKS = 4;
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
 * One window on one server, for the PostgreSQL comparison (bench/two-node-pg.ts): its first
 * window sends every sampled request once before measuring, as the sliced runs do.
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

/** The four measured kinds of one size, each served by `processes` processes. */
const KINDS = ['plain', 'sign', 'publish', 'subscribe'] as const;
type Kind = (typeof KINDS)[number];
const KIND_NAMES: Record<Kind, string> = {
  plain: 'bare node:http',
  sign: 'bare node:http + ES256',
  publish: 'streamgate publish',
  subscribe: 'streamgate subscribe',
};

/** One kind's figures over all its processes and slices. */
interface KindResult {
  readonly name: string;
  readonly requests: number;
  /** Answers over measured seconds, all processes together. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
  /** Throughput of each process, and of each block of cycles (all processes). */
  readonly processRps: readonly number[];
  readonly blockRps: readonly number[];
}

/** A ratio of two kinds' throughput: over the whole run, and its lowest and highest block. */
interface Ratio {
  readonly value: number;
  readonly min: number;
  readonly max: number;
}

function fold(kind: Kind, totals: readonly SliceTotals[]): KindResult {
  const requests = totals.reduce((a, t) => a + t.requests, 0);
  const secs = totals.reduce((a, t) => a + t.seconds, 0);
  const latencies = Float64Array.from(totals.flatMap((t) => Array.from(t.latencies))).sort();
  const blocks = totals[0]?.blockRps.length ?? 0;
  return {
    name: KIND_NAMES[kind],
    requests,
    // One process answers at a time: a kind's rate is its answers over its processes' time.
    rps: requests / secs,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    cpuUsPerRequest: totals.reduce((a, t) => a + t.cpuUsPerRequest * t.requests, 0) / requests,
    processRps: totals.map((t) => t.rps),
    blockRps: Array.from(
      { length: blocks },
      (_, b) => totals.reduce((a, t) => a + (t.blockRps[b] ?? 0), 0) / totals.length,
    ),
  };
}

function ratio(a: KindResult, b: KindResult): Ratio {
  const blocks = a.blockRps.map((x, i) => x / (b.blockRps[i] as number));
  return { value: a.rps / b.rps, min: Math.min(...blocks), max: Math.max(...blocks) };
}

interface SizeResult {
  readonly tokens: number;
  readonly kinds: Record<Kind, KindResult>;
  readonly publishVsSign: Ratio;
  readonly subscribeVsSign: Ratio;
  readonly publishVsPlain: Ratio;
  readonly subscribeVsPlain: Ratio;
}

/** A copy of the seeded file for one Streamgate process: a server holds its file's server lock. */
function serverCopy(db: SeededDb, k: number): string {
  const copy = `${db.path}.server-${k}`;
  copyFileSync(db.path, copy);
  if (existsSync(`${db.path}-wal`)) copyFileSync(`${db.path}-wal`, `${copy}-wal`);
  return copy;
}

function removeCopy(copy: string): void {
  for (const suffix of ['', '-wal', '-shm', '-server.lock']) rmSync(`${copy}${suffix}`, { force: true });
}

/**
 * Every server of one size at once (`processes` of each kind, Streamgate on its own copies of
 * the file), measured in interleaved slices under one load generator.
 */
async function benchSize(db: SeededDb): Promise<SizeResult> {
  log(`\n${db.tokens.toLocaleString('en-US')} tokens`);
  const publishRequests = requestsOf(db, 'publish');
  const subscribeRequests = requestsOf(db, 'subscribe');
  const servers: Server[] = [];
  const copies: string[] = [];
  const targets: (SliceTarget & { kind: Kind })[] = [];
  const target = (kind: Kind, k: number, server: Server, requests: Buffer[]) => ({
    kind,
    name: `${KIND_NAMES[kind]} #${k + 1}`,
    port: server.port,
    nextRequest: pick(requests),
    prime: requests,
    serverCpu: server.cpu,
  });
  try {
    for (let k = 0; k < processes; k++) {
      const plain = await startServer('serve-bare.mjs', ['plain', db.path]);
      const sign = await startServer('serve-bare.mjs', ['sign', db.path]);
      copies.push(serverCopy(db, k));
      const streamgate = await startServer('serve-streamgate.mjs', [copies[k] as string]);
      servers.push(plain, sign, streamgate);
      targets.push(
        target('plain', k, plain, publishRequests),
        target('sign', k, sign, publishRequests),
        target('publish', k, streamgate, publishRequests),
        target('subscribe', k, streamgate, subscribeRequests),
      );
    }
    const totals = await runSlices({
      targets,
      connections,
      sliceSeconds,
      cycles,
      blocks: BLOCKS,
      warmupSeconds,
      onFailure: (name, problem) => {
        if (failures.length < 20) failures.push(`${name}: ${problem}`);
      },
      log,
    });
    const of = (kind: Kind) =>
      fold(
        kind,
        totals.filter((_, i) => targets[i]?.kind === kind),
      );
    const kinds = { plain: of('plain'), sign: of('sign'), publish: of('publish'), subscribe: of('subscribe') };
    for (const m of Object.values(kinds)) {
      log(
        `  ${m.name.padEnd(22)} ${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms  cpu ${m.cpuUsPerRequest.toFixed(0)} us/req  processes ${m.processRps.map((r) => r.toFixed(0)).join(' / ')}`,
      );
      if (m.requests === 0) failures.push(`${m.name}: no requests completed`);
    }
    return {
      tokens: db.tokens,
      kinds,
      publishVsSign: ratio(kinds.publish, kinds.sign),
      subscribeVsSign: ratio(kinds.subscribe, kinds.sign),
      publishVsPlain: ratio(kinds.publish, kinds.plain),
      subscribeVsPlain: ratio(kinds.subscribe, kinds.plain),
    };
  } finally {
    for (const server of servers) await server.stop();
    for (const copy of copies) removeCopy(copy);
  }
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (m: KindResult) => `${m.p50Ms.toFixed(2)} / ${m.p99Ms.toFixed(2)}`;
const withRange = (r: Ratio) => `${r.value.toFixed(2)} (${r.min.toFixed(2)}-${r.max.toFixed(2)})`;

function table(results: SizeResult[]): string {
  const lines = [
    '| tokens | server | req/s | p50 / p99 ms | CPU us/req | vs bare+ES256 | vs bare |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const { plain, sign, publish, subscribe } = r.kinds;
    const rows: [KindResult, string, string][] = [
      [plain, (plain.rps / sign.rps).toFixed(2), '1.00'],
      [sign, '1.00', (sign.rps / plain.rps).toFixed(2)],
      [publish, r.publishVsSign.value.toFixed(2), r.publishVsPlain.value.toFixed(2)],
      [subscribe, r.subscribeVsSign.value.toFixed(2), r.subscribeVsPlain.value.toFixed(2)],
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
      `| ${fmt(r.tokens)} | ${withRange(r.publishVsSign)} | ${withRange(r.subscribeVsSign)} | ` +
        `${withRange(r.publishVsPlain)} | ${withRange(r.subscribeVsPlain)} |`,
    );
  }
  lines.push(
    '',
    `Ratios over ${cycles} cycles of ${sliceSeconds} s slices, ${processes} processes per server kind ` +
      `(lowest-highest of ${BLOCKS} blocks of cycles in brackets).`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  log(
    `streamgate bench: sizes ${sizes.join(', ')}; ${cycles} cycles of ${sliceSeconds} s slices, ${processes} processes per server kind (${warmupSeconds} s warm-up); ` +
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
        if (same) return { publish: same.kinds.publish.rps, subscribe: same.kinds.subscribe.rps };
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
  const worst = Math.min(...results.flatMap((r) => [r.publishVsSign.value, r.subscribeVsSign.value]));
  // Flatness from the ratios: each size's absolute figures also carry the machine's speed then.
  const perSize = results.map((r) => (r.publishVsSign.value + r.subscribeVsSign.value) / 2);
  const spread = Math.max(...perSize) / Math.min(...perSize);
  process.stdout.write(
    `\nworst ratio vs bare+ES256: ${worst.toFixed(2)} (target ${TARGET}: ${worst >= TARGET ? 'met' : 'NOT met'}); ` +
      `largest/smallest ratio to bare+ES256 across sizes: ${spread.toFixed(2)}x\n`,
  );
  const file = join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ node: process.version, cpus: cpus().length, cycles, sliceSeconds, processes, warmupSeconds, connections, results, twoNode }, null, 2)}\n`,
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
