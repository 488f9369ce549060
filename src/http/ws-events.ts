import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { StreamBusEvent, StreamEventBus } from '../domain/events.js';
import type { LiveLease } from '../domain/model.js';
import type { JwtSigner } from '../domain/signer.js';
import type { Store } from '../store/store.js';

export const EVENTS_PATH = '/ws/events';

/**
 * What a viewer socket receives, modelled on Millicast's viewer broadcast events:
 * `{"type":"event","name":"active"|"inactive","data":{"streamId":"<account>/<stream>"}}` when the
 * stream is (or goes) live / stops, and
 * `{"type":"event","name":"viewercount","data":{"streamId":"...","viewercount":N}}` when the number
 * of viewers changes. The first message after connecting is `active` or `inactive` (the current
 * state). The viewer count counts the subscribe-jwt sockets on THIS node (not cluster-wide yet).
 */
export type ViewerEventMessage =
  | { type: 'event'; name: 'active' | 'inactive'; data: { streamId: string } }
  | { type: 'event'; name: 'viewercount'; data: { streamId: string; viewercount: number } };

export interface ViewerEventsOptions {
  /** Sockets open on this node at most; beyond it an upgrade is refused with 503. */
  readonly maxConnections: number;
  /** Sockets on one stream at most (503 beyond). */
  readonly maxPerStream: number;
  /** Ping period; a socket that has not answered the previous ping is dropped. */
  readonly heartbeatMs: number;
  /** viewercount changes within this window go out as one message per stream (0: next tick). */
  readonly viewerCountDelayMs: number;
  /** A socket whose unsent data exceeds this (a reader that stopped reading) is dropped. */
  readonly maxBufferedBytes: number;
  /** How long close() lets sockets finish their closing handshake before cutting them. */
  readonly closeGraceMs: number;
}

export const DEFAULT_VIEWER_EVENTS: ViewerEventsOptions = {
  maxConnections: 10_000,
  maxPerStream: 5_000,
  heartbeatMs: 30_000,
  viewerCountDelayMs: 250,
  maxBufferedBytes: 1024 * 1024,
  closeGraceMs: 1_000,
};

export interface ViewerEventsDeps {
  readonly bus: StreamEventBus;
  readonly signer: JwtSigner;
  readonly store: Pick<Store, 'getAccountByStreamAccountId'>;
  /** The stream's live leases now (LiveRegistry.leases). */
  readonly leases: (accountId: number, streamName: string) => Promise<LiveLease[]>;
  readonly now: () => number;
  readonly log: { warn(obj: object, msg: string): void };
}

interface Client {
  readonly ws: WebSocket;
  readonly group: StreamGroup;
  /** Holds a subscribe jwt: counted in viewercount (a publisher's socket hears events, uncounted). */
  readonly viewer: boolean;
  alive: boolean;
  /** Messages that arrived before the initial state was sent; null once it was. */
  pending: ViewerEventMessage[] | null;
}

interface StreamGroup {
  readonly key: string;
  readonly streamId: string;
  readonly clients: Set<Client>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const streamKey = (accountId: number, streamName: string) => `${accountId}\n${streamName}`;

/** The JSON envelope the REST API answers errors with, as a raw HTTP response on the socket. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify(
    status >= 500
      ? { status: 'error', message, code: status, data: null }
      : { status: 'fail', data: { message, code: status === 401 ? 'UNAUTHORIZED' : 'NOT_FOUND' } },
  );
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * Viewer events over WebSocket: `GET /ws/events?token=<director jwt>`. The jwt (from
 * /api/director/subscribe or /publish) names the stream; the socket then hears that stream's
 * active/inactive/viewercount events, and nothing of any other stream or account.
 */
export class ViewerEvents {
  readonly #opts: ViewerEventsOptions;
  readonly #wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: 4096 });
  readonly #groups = new Map<string, StreamGroup>();
  readonly #dirty = new Set<StreamGroup>();
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #countTimer: NodeJS.Timeout | null = null;
  /** Open sockets plus upgrades being checked (each holds a slot against maxConnections). */
  #slots = 0;
  #closed = false;

  constructor(
    private readonly deps: ViewerEventsDeps,
    options: Partial<ViewerEventsOptions> = {},
  ) {
    this.#opts = { ...DEFAULT_VIEWER_EVENTS, ...options };
    this.#unsubscribe = deps.bus.subscribe((event) => this.#onStreamEvent(event));
    this.#heartbeat = setInterval(() => this.#beat(), this.#opts.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Open sockets on this node. */
  get connections(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.clients.size;
    return n;
  }

  /** Viewers (subscribe-jwt sockets) of one stream on this node. */
  viewerCount(accountId: number, streamName: string): number {
    const group = this.#groups.get(streamKey(accountId, streamName));
    return group ? countViewers(group) : 0;
  }

  /** The `upgrade` listener of the HTTP server: handles EVENTS_PATH, answers 404 to any other path. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {}); // a peer that vanishes mid-handshake is not an error of ours
    let path: string;
    let token: string | null;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      path = url.pathname;
      token = url.searchParams.get('token');
    } catch {
      refuse(socket, 404, 'Not found');
      return;
    }
    if (path !== EVENTS_PATH) {
      refuse(socket, 404, `No WebSocket endpoint at ${path}: use ${EVENTS_PATH}`);
      return;
    }
    if (this.#closed) {
      refuse(socket, 503, 'Server is shutting down');
      return;
    }
    if (this.#slots >= this.#opts.maxConnections) {
      refuse(socket, 503, 'Too many event connections on this server; retry later');
      return;
    }
    this.#slots++;
    this.#admit(req, socket, head, token).catch((err: unknown) => {
      this.#slots--;
      if (err instanceof Refusal) {
        refuse(socket, err.status, err.message);
        return;
      }
      this.deps.log.warn({ err }, 'viewer event connection failed');
      refuse(socket, 503, 'Cannot check the token now; retry later');
    });
  };

  /** Closes every socket (1001 going away) and stops listening to the bus. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    if (this.#countTimer) clearTimeout(this.#countTimer);
    const sockets = [...this.#groups.values()].flatMap((g) => [...g.clients].map((c) => c.ws));
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            const cut = setTimeout(() => ws.terminate(), this.#opts.closeGraceMs);
            ws.once('close', () => {
              clearTimeout(cut);
              resolve();
            });
            ws.close(1001, 'server shutting down');
          }),
      ),
    );
  }

  async #admit(req: IncomingMessage, socket: Duplex, head: Buffer, token: string | null): Promise<void> {
    if (!token) throw new Refusal(401, `Missing token: connect to ${EVENTS_PATH}?token=<director jwt>`);
    const claims = this.deps.signer.verify(token, this.deps.now());
    if (!claims) {
      // Checked against the epoch, a well-signed token passes: then only its exp failed.
      const expired = this.deps.signer.verify(token, 0) !== null;
      throw new Refusal(
        401,
        expired
          ? 'Token has expired: ask /api/director/subscribe for a new jwt'
          : 'Invalid token: not a director jwt signed by this server',
      );
    }
    const streaming = claims.streaming as Record<string, unknown> | undefined;
    const streamAccountId = streaming?.streamAccountId;
    const streamName = streaming?.streamName;
    if (typeof streamAccountId !== 'string' || typeof streamName !== 'string') {
      throw new Refusal(401, 'Invalid token: it names no stream (streaming claim)');
    }
    const account = await this.deps.store.getAccountByStreamAccountId(streamAccountId);
    if (!account) throw new Refusal(401, 'Invalid token: its account no longer exists');
    if (this.#closed) throw new Refusal(503, 'Server is shutting down');
    const key = streamKey(account.id, streamName);
    const existing = this.#groups.get(key);
    if (existing && existing.clients.size >= this.#opts.maxPerStream) {
      throw new Refusal(503, 'Too many event connections on this stream; retry later');
    }

    const ws = await new Promise<WebSocket | null>((resolve) => {
      socket.once('close', () => resolve(null));
      this.#wss.handleUpgrade(req, socket, head, resolve);
    });
    if (!ws) {
      this.#slots--;
      return;
    }
    const group = this.#groups.get(key) ?? { key, streamId: `${streamAccountId}/${streamName}`, clients: new Set() };
    this.#groups.set(key, group);
    const client: Client = { ws, group, viewer: streaming?.role !== 'publish', alive: true, pending: [] };
    group.clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', () => {}); // 'close' follows and cleans up
    ws.once('close', () => this.#remove(client));
    if (client.viewer) this.#markCountChanged(group);

    // The state is read after joining the group, so an event that races the read is not lost:
    // it waits in `pending` and goes out after the state it may supersede.
    let live: boolean;
    try {
      live = (await this.deps.leases(account.id, streamName)).length > 0;
    } catch (err) {
      this.deps.log.warn({ err }, 'viewer event connection: cannot read the stream state');
      ws.close(1011, 'cannot read the stream state');
      return;
    }
    const queued = client.pending ?? [];
    client.pending = null;
    this.#send(client, { type: 'event', name: live ? 'active' : 'inactive', data: { streamId: group.streamId } });
    for (const message of queued) this.#send(client, message);
  }

  #remove(client: Client): void {
    const { group } = client;
    if (!group.clients.delete(client)) return;
    this.#slots--;
    if (group.clients.size === 0) {
      this.#groups.delete(group.key);
      this.#dirty.delete(group);
    } else if (client.viewer) {
      this.#markCountChanged(group);
    }
  }

  #onStreamEvent(event: StreamBusEvent): void {
    const group = this.#groups.get(streamKey(event.accountId, event.streamName));
    if (!group) return;
    const message: ViewerEventMessage = {
      type: 'event',
      name: event.type === 'started' ? 'active' : 'inactive',
      data: { streamId: group.streamId },
    };
    for (const client of group.clients) this.#send(client, message);
  }

  #markCountChanged(group: StreamGroup): void {
    this.#dirty.add(group);
    if (this.#countTimer || this.#closed) return;
    this.#countTimer = setTimeout(() => {
      this.#countTimer = null;
      const groups = [...this.#dirty];
      this.#dirty.clear();
      for (const g of groups) {
        const message: ViewerEventMessage = {
          type: 'event',
          name: 'viewercount',
          data: { streamId: g.streamId, viewercount: countViewers(g) },
        };
        for (const client of g.clients) this.#send(client, message);
      }
    }, this.#opts.viewerCountDelayMs);
  }

  #send(client: Client, message: ViewerEventMessage): void {
    if (client.pending) {
      client.pending.push(message);
      return;
    }
    const { ws } = client;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.#opts.maxBufferedBytes) {
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  }

  #beat(): void {
    for (const group of this.#groups.values()) {
      for (const client of group.clients) {
        if (!client.alive) {
          client.ws.terminate();
          continue;
        }
        client.alive = false;
        client.ws.ping();
      }
    }
  }
}

function countViewers(group: StreamGroup): number {
  let n = 0;
  for (const c of group.clients) if (c.viewer) n++;
  return n;
}
