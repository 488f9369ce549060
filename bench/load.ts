/**
 * A small closed-loop HTTP/1.1 load generator on raw keep-alive sockets: `connections` sockets,
 * one request in flight on each, for a fixed time. Raw sockets rather than node:http's client
 * because the client must stay much cheaper than the servers it drives (it shares the machine).
 */
import { connect, type Socket } from 'node:net';

/** What a load generator sends to one server, and how it reads the server's CPU time. */
export interface LoadSource {
  readonly port: number;
  /** Builds the raw bytes of the next request (a full HTTP/1.1 request with Content-Length). */
  readonly nextRequest: () => Buffer;
  /**
   * Requests sent first, each once, during the warm-up; nothing is measured until all of them
   * were sent (and the warm-up time has passed), so measurements see the steady state.
   */
  readonly prime?: readonly Buffer[];
  /** CPU seconds the server process has used so far, when known. */
  readonly serverCpu?: () => number;
}

export interface LoadOptions extends LoadSource {
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers other than 2xx during the measured window and warm-up, by status. */
  readonly non2xx: Record<number, number>;
  readonly errors: number;
  /** The first refused answer's body, to say why. */
  readonly firstFailure: string | null;
  /** Server CPU time per answered request in the window, in microseconds (NaN when unknown). */
  readonly cpuUsPerRequest: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The `q` quantile of ascending `sorted` (NaN when empty). */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * A socket 'data' listener that splits keep-alive HTTP/1.1 answers (each with Content-Length)
 * and reports each one: its status, and its body when it is not a 2xx (to say why).
 */
export function answerReader(
  onAnswer: (status: number, failureBody: string | null) => void,
  onBroken: (problem: string) => void,
): (chunk: Buffer) => void {
  let buffer: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const head = buffer.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m) {
        onBroken(`response without Content-Length: ${head.slice(0, 200)}`);
        return;
      }
      const total = end + 4 + Number(m[1]);
      if (buffer.length < total) return;
      const failureBody = status >= 200 && status < 300 ? null : buffer.toString('utf8', end + 4, total);
      buffer = buffer.subarray(total);
      onAnswer(status, failureBody);
    }
  };
}

/**
 * A keep-alive connection to 127.0.0.1:`port` that calls `send` once connected and hands every
 * answer to `onAnswer` (a broken answer stream to `onBroken`, after which the socket is destroyed).
 */
function dial(
  port: number,
  send: () => void,
  onAnswer: (status: number, failureBody: string | null) => void,
  onBroken: (problem: string) => void,
): Socket {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('connect', send);
  socket.on(
    'data',
    answerReader(onAnswer, (problem) => {
      onBroken(problem);
      socket.destroy();
    }),
  );
  return socket;
}

/**
 * Sends exactly `count` requests over `connections` keep-alive sockets (one in flight on each),
 * taking them from `requests` in turn; resolves with the number answered 2xx, rejects on the
 * first refusal or socket error. For measurements by count (instruction counts), not by time.
 */
export async function sendCount(
  port: number,
  requests: readonly Buffer[],
  count: number,
  connections = 8,
): Promise<number> {
  let next = 0;
  let answered = 0;
  await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<void>((resolve, reject) => {
          const send = () => {
            if (next >= count) socket.end();
            else socket.write(requests[next++ % requests.length] as Buffer);
          };
          const socket = dial(
            port,
            send,
            (status, failureBody) => {
              if (failureBody !== null) {
                socket.destroy();
                reject(new Error(`${status} ${failureBody.slice(0, 300)}`));
                return;
              }
              answered++;
              send();
            },
            (problem) => reject(new Error(problem)),
          );
          socket.on('error', reject);
          socket.on('close', () => resolve());
        }),
    ),
  );
  return answered;
}

export function buildRequest(path: string, headers: Record<string, string>, body: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(body));
  let head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`), payload]);
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const non2xx: Record<number, number> = {};
  let errors = 0;
  let firstFailure: string | null = null;
  let measuring = false;
  let stopping = false;
  let measuredRequests = 0;
  const prime = opts.prime ?? [];
  let primeNext = 0;

  const sockets: Socket[] = [];
  const done: Promise<void>[] = [];

  for (let c = 0; c < opts.connections; c++) {
    done.push(
      new Promise<void>((resolve) => {
        let sentAt = 0;
        let inWindow = false;
        const send = () => {
          if (stopping) {
            socket.end();
            return;
          }
          inWindow = measuring;
          sentAt = performance.now();
          socket.write(primeNext < prime.length ? (prime[primeNext++] as Buffer) : opts.nextRequest());
        };
        const socket = dial(
          opts.port,
          send,
          (status, failureBody) => {
            if (failureBody !== null) {
              non2xx[status] = (non2xx[status] ?? 0) + 1;
              firstFailure ??= `${status} ${failureBody.slice(0, 300)}`;
            } else if (inWindow && measuring) {
              latencies.push(performance.now() - sentAt);
              measuredRequests++;
            }
            send();
          },
          (problem) => {
            errors++;
            firstFailure ??= problem;
          },
        );
        sockets.push(socket);
        socket.on('error', (err) => {
          if (!stopping) {
            errors++;
            firstFailure ??= `socket error: ${err.message}`;
          }
        });
        socket.on('close', () => resolve());
      }),
    );
  }

  await new Promise((r) => setTimeout(r, opts.warmupSeconds * 1000));
  while (primeNext < prime.length && errors === 0) await new Promise((r) => setTimeout(r, 20));
  const cpuBefore = opts.serverCpu?.() ?? Number.NaN;
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpuUsed = (opts.serverCpu?.() ?? Number.NaN) - cpuBefore;
  stopping = true;
  // Sockets end after their in-flight answer; a stuck server must not hang the benchmark.
  const killer = setTimeout(() => {
    for (const s of sockets) s.destroy();
  }, 5000);
  await Promise.all(done);
  clearTimeout(killer);

  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: measuredRequests,
    rps: measuredRequests / elapsed,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    non2xx,
    errors,
    firstFailure,
    cpuUsPerRequest: (cpuUsed * 1e6) / measuredRequests,
  };
}
