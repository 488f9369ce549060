/**
 * `npm run bench:instructions`: machine instructions executed per director authorization, by
 * Streamgate and by the two bare node:http baselines, counted by valgrind's callgrind. Unlike
 * throughput on a shared virtual machine (which moves by tens of percent within a minute), an
 * instruction count is the same from run to run, so it shows what the work itself costs and
 * whether it grows with the token count. It says nothing of cache misses or the kernel's share
 * (syscalls are not counted), which is why `npm run bench` measures throughput too.
 *
 * Each server runs under callgrind with instrumentation off; its sampled requests are each sent
 * once (cold reads, rule compilation), then BENCH_IR_WARM more (the JIT settles), then counting
 * is switched on for exactly BENCH_IR_COUNT requests and off again.
 *
 * Env: BENCH_SIZES (default "1000,100000,1000000"), BENCH_IR_COUNT (2000), BENCH_IR_WARM (4000),
 * BENCH_IR_SAMPLE (1000 tokens per kind), BENCH_DIR (.tmp/bench). Skipped, saying why, when
 * valgrind is not installed (Debian: apt-get install valgrind).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchSizes, envNumber } from './env.js';
import type { BenchKind } from './fixtures.js';
import { sendCount } from './load.js';
import { requestSample } from './requests.js';
import { ensureSeeded, type SeededDb } from './seed.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

const sizes = benchSizes();
const counted = Math.floor(envNumber('BENCH_IR_COUNT', 2000));
const warm = Math.floor(envNumber('BENCH_IR_WARM', 4000));
const sample = Math.floor(envNumber('BENCH_IR_SAMPLE', 1000));
const dir = resolve(process.env.BENCH_DIR ?? join(here, '..', '.tmp', 'bench'));

interface Counted {
  readonly name: string;
  /** Instructions per request, all threads of the server process, user space. */
  readonly perRequest: number;
}

/** Runs one server under callgrind and counts the instructions of exactly `counted` requests. */
async function countServer(name: string, args: string[], requests: Buffer[]): Promise<Counted> {
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', '--callgrind-out-file=/dev/null', process.execPath, ...args],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const port = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) resolvePort(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`${name} exited (${code}) before listening:\n${stderr.slice(-2000)}`)));
  });
  try {
    await sendCount(port, requests, requests.length);
    await sendCount(port, requests, warm);
    execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' });
    const answered = await sendCount(port, requests, counted);
    execFileSync('callgrind_control', ['--instr=off', String(child.pid)], { stdio: 'ignore' });
    if (answered !== counted) throw new Error(`${name}: ${answered} of ${counted} requests answered`);
  } finally {
    child.stdin?.end();
  }
  await exited;
  const total = /Collected : (\d+)/.exec(stderr);
  if (!total) throw new Error(`${name}: no instruction count in callgrind's output:\n${stderr.slice(-2000)}`);
  const perRequest = Number(total[1]) / counted;
  log(`  ${name.padEnd(22)} ${(perRequest / 1000).toFixed(1).padStart(7)} k instructions/request`);
  return { name, perRequest };
}

async function countSize(db: SeededDb): Promise<Counted[]> {
  log(`\n${db.tokens.toLocaleString('en-US')} tokens`);
  const requests = (kind: BenchKind) => requestSample(db, kind, sample);
  const publish = requests('publish');
  const bare = (mode: string) => [join(here, 'serve-bare.mjs'), mode, db.path];
  const streamgate = [join(here, 'serve-streamgate.mjs'), db.path];
  return [
    await countServer('bare node:http', bare('plain'), publish),
    await countServer('bare node:http + ES256', bare('sign'), publish),
    await countServer('streamgate publish', streamgate, publish),
    await countServer('streamgate subscribe', streamgate, requests('subscribe')),
  ];
}

async function main(): Promise<void> {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    process.stdout.write('instruction counts: skipped (valgrind is not installed; apt-get install valgrind)\n');
    return;
  }
  log(
    `streamgate instruction counts (${probe.stdout.trim()}): sizes ${sizes.join(', ')}; ${counted} counted requests ` +
      `after ${warm} warm-up requests; ${sample} sampled tokens per kind`,
  );
  mkdirSync(dir, { recursive: true });
  const rows: string[] = [
    '| tokens | bare node:http | bare + ES256 | streamgate publish | streamgate subscribe | publish / bare+ES256 | subscribe / bare+ES256 |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const n of sizes) {
    const [plain, sign, publish, subscribe] = (await countSize(await ensureSeeded(dir, n, log))) as [
      Counted,
      Counted,
      Counted,
      Counted,
    ];
    const k = (c: Counted) => `${(c.perRequest / 1000).toFixed(1)}k`;
    // Throughput-style ratios: the baseline's instructions over Streamgate's (1.00 = same work).
    const vs = (c: Counted) => (sign.perRequest / c.perRequest).toFixed(2);
    rows.push(
      `| ${n.toLocaleString('en-US')} | ${k(plain)} | ${k(sign)} | ${k(publish)} | ${k(subscribe)} | ${vs(publish)} | ${vs(subscribe)} |`,
    );
  }
  process.stdout.write(`\nInstructions per authorization (user space, all threads):\n\n${rows.join('\n')}\n`);
}

await main();
