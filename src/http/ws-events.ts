import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { StreamBusEvent, StreamEventBus, ViewerTally } from '../domain/events.js';
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
 * state). The viewer count is cluster-wide: each node announces how many subscribe-jwt sockets of
 * the stream it holds (a `viewers` tally on the bus) and every node adds up the latest tallies.
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
  readonly accountId: number;
  readonly streamName: string;
  readonly streamId: string;
  readonly clients: Set<Client>;
  /** The viewercount last sent to this group's sockets (null: none yet). */
  lastSent: number | null;
  /** The count of viewers this node last announced for the stream. */
  announced: number;
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
  /** This process, as named in the viewer tallies it announces. */
  readonly #nodeId = randomUUID();
  /** Latest tally of each node, per stream: key -> nodeId -> viewers and when it was heard. */
  readonly #tallies = new Map<string, Map<string, { count: number; heardAt: number }>>();
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
    const group: StreamGroup = this.#groups.get(key) ?? {
      key,
      accountId: account.id,
      streamName,
      streamId: `${streamAccountId}/${streamName}`,
      clients: new Set(),
      lastSent: null,
      announced: 0,
    };
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
      // The other nodes must stop counting this node's viewers of the stream.
      if (group.announced !== 0) this.#announce(group.accountId, group.streamName, 0);
    } else if (client.viewer) {
      this.#markCountChanged(group);
    }
  }

  /** Tells every node (this one included, through the bus) how many viewers this node holds. */
  #announce(accountId: number, streamName: string, count: number): void {
    const group = this.#groups.get(streamKey(accountId, streamName));
    if (group) group.announced = count;
    const tally: ViewerTally = {
      type: 'viewers',
      nodeId: this.#nodeId,
      accountId,
      streamName,
      count,
      at: this.deps.now(),
    };
    try {
      Promise.resolve(this.deps.bus.publish(tally)).catch((err: unknown) =>
        this.deps.log.warn({ err }, 'viewer count announcement failed'),
      );
    } catch (err) {
      this.deps.log.warn({ err }, 'viewer count announcement failed');
    }
  }

  #onTally(tally: ViewerTally): void {
    const key = streamKey(tally.accountId, tally.streamName);
    let nodes = this.#tallies.get(key);
    const known = nodes?.has(tally.nodeId) ?? false;
    if (tally.count === 0) {
      nodes?.delete(tally.nodeId);
      if (nodes?.size === 0) this.#tallies.delete(key);
    } else {
      if (!nodes) {
        nodes = new Map();
        this.#tallies.set(key, nodes);
      }
      nodes.set(tally.nodeId, { count: tally.count, heardAt: this.deps.now() });
    }
    const group = this.#groups.get(key);
    if (!group) return;
    // A node newly counting viewers of this stream has not heard this node's tally: say it again.
    if (!known && tally.count > 0 && tally.nodeId !== this.#nodeId && group.announced > 0) {
      this.#announce(group.accountId, group.streamName, group.announced);
    }
    this.#sendTotal(group);
  }

  /** Sends the cluster-wide viewer count to the group's sockets when it changed. */
  #sendTotal(group: StreamGroup): void {
    let total = 0;
    for (const t of this.#tallies.get(group.key)?.values() ?? []) total += t.count;
    if (total === group.lastSent) return;
    group.lastSent = total;
    const message: ViewerEventMessage = {
      type: 'event',
      name: 'viewercount',
      data: { streamId: group.streamId, viewercount: total },
    };
    for (const client of group.clients) this.#send(client, message);
  }

  #onStreamEvent(event: StreamBusEvent): void {
    if (event.type === 'viewers') {
      this.#onTally(event);
      return;
    }
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
      for (const g of groups) this.#announce(g.accountId, g.streamName, countViewers(g));
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
    // Tallies of a node not heard for three periods are dropped (the node died); live ones are
    // repeated every period, so a tally lost in transit is made good within one.
    const stale = this.deps.now() - 3 * this.#opts.heartbeatMs;
    for (const [key, nodes] of this.#tallies) {
      let changed = false;
      for (const [nodeId, t] of nodes) {
        if (nodeId !== this.#nodeId && t.heardAt < stale) {
          nodes.delete(nodeId);
          changed = true;
        }
      }
      if (nodes.size === 0) this.#tallies.delete(key);
      const group = this.#groups.get(key);
      if (changed && group) this.#sendTotal(group);
    }
    for (const group of this.#groups.values()) {
      if (group.announced > 0) this.#announce(group.accountId, group.streamName, group.announced);
    }
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
