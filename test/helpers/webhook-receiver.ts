import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The exact bytes received. */
  readonly raw: Buffer;
}

/** What the receiver answers to the n-th request (1-based); `'hang'` never answers. */
export type Answer = number | 'hang' | { status: number; headers: Record<string, string> };

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Resolves once `n` requests have arrived (rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** A real local HTTP endpoint that records every webhook request and answers as `answer` says. */
export async function startReceiver(answer: (n: number, req: Received) => Answer = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        raw: Buffer.concat(chunks),
      };
      received.push(r);
      const a = answer(received.length, r);
      for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
      if (a === 'hang') {
        hanging.push(res);
        return;
      }
      const { status, headers } = typeof a === 'number' ? { status: a, headers: {} } : a;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/streamgate`,
    received,
    waitFor(n, ms = 5000) {
      if (received.length >= n) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${n} requests arrived`)), ms);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Checks X-Millicast-Signature the way Millicast's documented receiver does (base64-decoded key). */
export function signatureValid(r: Received, secret: string): boolean {
  const header = r.headers['x-millicast-signature'];
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(`sha1=${createHmac('sha1', Buffer.from(secret, 'base64')).update(r.raw).digest('hex')}`);
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
