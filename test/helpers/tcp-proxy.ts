import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy to PostgreSQL (or anything) that a test can cut, freeze and restore:
 * - `stop()` drops every connection and refuses new ones (the database is gone);
 * - `freeze()` keeps connections open but forwards nothing, either way (the database hangs:
 *   nothing answers, nothing fails);
 * - `start(port)` / `thaw()` bring it back on the same port.
 */
export class TcpProxy {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  #frozen = false;
  #port = 0;
  /** Bytes that arrived while frozen, in arrival order, delivered on thaw. */
  #held: { to: Socket; data: Buffer }[] = [];

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  /** The port it listens on (0 before the first start). */
  get port(): number {
    return this.#port;
  }

  /** How many connections are open through it (client and upstream sides each count). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  async start(port = this.#port): Promise<number> {
    this.#frozen = false;
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      // Bytes are forwarded by hand, not with pipe(): a paused piped socket is resumed by the
      // other side's 'drain', which would let a frozen proxy leak traffic.
      this.#forward(client, upstream);
      this.#forward(upstream, client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    return this.#port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    this.#held = [];
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #forward(from: Socket, to: Socket): void {
    from.on('data', (data: Buffer) => {
      if (this.#frozen) this.#held.push({ to, data });
      else if (!to.destroyed) to.write(data);
    });
  }

  /** Stops forwarding bytes on every connection, current and new, without closing any. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Delivers what was held back, in order, and forwards again. */
  thaw(): void {
    this.#frozen = false;
    const held = this.#held;
    this.#held = [];
    for (const { to, data } of held) if (!to.destroyed) to.write(data);
  }
}
