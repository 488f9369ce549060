/**
 * Interleaved load: several targets (servers, or kinds of request to one server) take turns in
 * short slices, many times over, under one closed-loop generator. Each target keeps its own
 * keep-alive connections open for the whole run; in its slice every connection has one request
 * in flight, and between slices they are idle. A target's throughput is its answers over its
 * slices' total time, so a virtual machine whose speed drifts over seconds slows every target
 * alike, and the ratio of two targets no longer depends on which of them ran when.
 */
import { connect, type Socket } from 'node:net';
import { answerReader, type LoadSource, quantile } from './load.js';

export interface SliceTarget extends LoadSource {
  readonly name: string;
}

export interface SliceTotals {
  readonly name: string;
  /** Answers inside measured slices. */
  readonly requests: number;
  /** Measured seconds (the sum of this target's slices). */
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Every measured answer's latency in milliseconds, sorted. */
  readonly latencies: Float64Array;
  /** Server CPU per answer over the measured slices, in microseconds (NaN when unknown). */
  readonly cpuUsPerRequest: number;
  /** Answers per second in each block of cycles (to show the spread of the run). */
  readonly blockRps: readonly number[];
}

export interface SliceOptions {
  readonly targets: readonly SliceTarget[];
  readonly connections: number;
  /** Length of one slice, in seconds. */
  readonly sliceSeconds: number;
  /** Cycles: every target gets one slice per cycle, in an order rotated from cycle to cycle. */
  readonly cycles: number;
  /** Cycles are grouped into this many blocks for the per-block figures. */
  readonly blocks: number;
  /** Warm-up per target, in seconds, after its prime requests (not measured). */
  readonly warmupSeconds: number;
  /** Called with the failure of any non-2xx answer or socket error. */
  readonly onFailure: (target: string, problem: string) => void;
  readonly log?: (line: string) => void;
}

const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));

/** One target's connections: idle until `run`, one request in flight per connection while running. */
class Pool {
  readonly #sockets: Socket[] = [];
  readonly #idle: (() => void)[] = [];
  #inFlight = 0;
  #running = false;
  #counting = false;
  #drained: (() => void) | null = null;
  #primeNext = 0;
  answered = 0;
  latencies: number[] = [];
  failures = 0;

  constructor(
    private readonly target: SliceTarget,
    private readonly onFailure: (problem: string) => void,
  ) {}

  async open(connections: number): Promise<void> {
    const opened: Promise<void>[] = [];
    for (let c = 0; c < connections; c++) {
      let sentAt = 0;
      const socket = connect({ port: this.target.port, host: '127.0.0.1', noDelay: true });
      const send = () => {
        if (!this.#running) {
          this.#idle.push(send);
          if (this.#inFlight === 0) this.#drained?.();
          return;
        }
        this.#inFlight++;
        sentAt = performance.now();
        const prime = this.target.prime;
        socket.write(
          prime && this.#primeNext < prime.length ? (prime[this.#primeNext++] as Buffer) : this.target.nextRequest(),
        );
      };
      socket.on(
        'data',
        answerReader(
          (status, failureBody) => {
            this.#inFlight--;
            if (failureBody !== null) {
              this.failures++;
              this.onFailure(`${status} ${failureBody.slice(0, 300)}`);
            } else if (this.#counting) {
              this.answered++;
              this.latencies.push(performance.now() - sentAt);
            }
            send();
          },
          (problem) => {
            this.failures++;
            this.onFailure(problem);
            socket.destroy();
          },
        ),
      );
      socket.on('error', (err) => {
        this.failures++;
        this.onFailure(`socket error: ${err.message}`);
      });
      opened.push(
        new Promise<void>((resolve, reject) => {
          socket.once('connect', () => {
            this.#idle.push(send);
            resolve();
          });
          socket.once('error', reject);
        }),
      );
      this.#sockets.push(socket);
    }
    await Promise.all(opened);
  }

  /** Every connection sends; `counting` says whether answers from now on are measured. */
  start(counting: boolean): void {
    this.#running = true;
    this.#counting = counting;
    for (const send of this.#idle.splice(0)) send();
  }

  /** Stops counting at once, then waits for the answers still in flight. */
  async stop(): Promise<void> {
    this.#counting = false;
    this.#running = false;
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    this.#drained = null;
  }

  /** Whether every prime request has been sent. */
  primed(): boolean {
    return this.#primeNext >= (this.target.prime?.length ?? 0);
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
  }
}

/**
 * Primes and warms every target in turn, then runs `cycles` cycles of one slice per target and
 * reports each target's totals. Rejects if a connection cannot be opened.
 */
export async function runSlices(opts: SliceOptions): Promise<SliceTotals[]> {
  const pools = opts.targets.map((t) => new Pool(t, (problem) => opts.onFailure(t.name, problem)));
  try {
    for (const pool of pools) await pool.open(opts.connections);
    for (const pool of pools) {
      pool.start(false);
      while (!pool.primed() && pool.failures === 0) await sleep(0.02);
      await sleep(opts.warmupSeconds);
      await pool.stop();
    }
    const n = pools.length;
    const seconds = new Array<number>(n).fill(0);
    const cpu = new Array<number>(n).fill(0);
    const blocks = Math.max(1, Math.min(opts.blocks, opts.cycles));
    const blockAnswered = Array.from({ length: n }, () => new Array<number>(blocks).fill(0));
    const blockSeconds = Array.from({ length: n }, () => new Array<number>(blocks).fill(0));
    for (let cycle = 0; cycle < opts.cycles; cycle++) {
      const block = Math.floor((cycle * blocks) / opts.cycles);
      for (let k = 0; k < n; k++) {
        // Rotated, and reversed every other cycle: each target follows each other one equally often.
        const i = cycle % 2 === 0 ? (cycle + k) % n : (cycle + n - 1 - k) % n;
        const pool = pools[i] as Pool;
        const target = opts.targets[i] as SliceTarget;
        const answeredBefore = pool.answered;
        const cpuBefore = target.serverCpu?.() ?? Number.NaN;
        const started = performance.now();
        pool.start(true);
        await sleep(opts.sliceSeconds);
        const elapsed = (performance.now() - started) / 1000;
        await pool.stop();
        cpu[i] = (cpu[i] as number) + ((target.serverCpu?.() ?? Number.NaN) - cpuBefore);
        seconds[i] = (seconds[i] as number) + elapsed;
        (blockAnswered[i] as number[])[block] =
          ((blockAnswered[i] as number[])[block] ?? 0) + pool.answered - answeredBefore;
        (blockSeconds[i] as number[])[block] = ((blockSeconds[i] as number[])[block] ?? 0) + elapsed;
      }
      if (opts.log && (cycle + 1) % Math.ceil(opts.cycles / blocks) === 0) {
        opts.log(`  cycle ${cycle + 1}/${opts.cycles}`);
      }
    }
    return pools.map((pool, i) => {
      const sorted = Float64Array.from(pool.latencies).sort();
      const answered = pool.answered;
      return {
        name: (opts.targets[i] as SliceTarget).name,
        requests: answered,
        seconds: seconds[i] as number,
        rps: answered / (seconds[i] as number),
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        latencies: sorted,
        cpuUsPerRequest: ((cpu[i] as number) * 1e6) / answered,
        blockRps: (blockAnswered[i] as number[]).map((a, b) => a / ((blockSeconds[i] as number[])[b] as number)),
      };
    });
  } finally {
    for (const pool of pools) pool.close();
  }
}
