import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  cleanEvent,
  isStreamBusEvent,
  type StreamBusEvent,
  type StreamEventBus,
  type StreamEventListener,
} from '../../domain/events.js';
import { parsePgUrl } from './pg-store.js';

/** The one channel every node listens on. */
export const STREAM_EVENTS_CHANNEL = 'streamgate_stream_events';

export interface PgEventBusOptions {
  /**
   * Runs `SELECT pg_notify(...)` for `publish`; by default a query on the bus's own listening
   * connection. Pass the store's pool so that publishing does not depend on that one connection.
   */
  readonly notify?: (sql: string, values: unknown[]) => Promise<unknown>;
  /** First delay before reconnecting after the listening connection dropped (default 100 ms). */
  readonly reconnectMinMs?: number;
  /** Longest delay between reconnect attempts (default 5000 ms). */
  readonly reconnectMaxMs?: number;
  /** How long one connection attempt may take (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** A listener threw; the others still hear the event. */
  readonly onListenerError?: (err: unknown) => void;
  /** The listening connection dropped or could not be opened; the bus keeps retrying. */
  readonly onConnectionError?: (err: Error) => void;
  /** A notification on the channel was not a stream event (dropped). */
  readonly onInvalidMessage?: (payload: string) => void;
  /** The bus (re)started listening; `reconnected` is false the first time. */
  readonly onListening?: (info: { reconnected: boolean }) => void;
}

/** What travels in a NOTIFY payload: the event plus where it came from (for de-duplication). */
interface Envelope {
  readonly node: string;
  readonly seq: number;
  readonly event: StreamBusEvent;
}

/**
 * The cluster-wide stream event bus: PostgreSQL LISTEN/NOTIFY on one dedicated connection (not
 * a pooled one: a LISTEN belongs to a session, and pooled sessions come and go).
 *
 * Exactly once per listener: an event is delivered when its NOTIFY arrives, on every node,
 * including the node that published it, and never straight from `publish`. The one exception is
 * a node whose listening connection is down: PostgreSQL would not deliver the NOTIFY to it, so its
 * own events are delivered locally, and remembered, so that the NOTIFY is dropped should the
 * connection come back in time to receive it after all. Events published by other nodes while
 * this node's connection is down are missed (NOTIFY keeps no backlog); viewer sockets re-read the
 * live state on connect, and the bus reports every reconnect through `onListening`.
 */
export class PgEventBus implements StreamEventBus {
  readonly #connectionString: string;
  readonly #options: PgEventBusOptions;
  readonly #node = randomUUID();
  readonly #listeners = new Set<StreamEventListener>();
  /** seq of own events delivered locally while not listening. */
  readonly #deliveredLocally = new Set<number>();
  #seq = 0;
  #client: pg.Client | null = null;
  #listening = false;
  #everListened = false;
  #closed = false;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #connecting: Promise<void> | null = null;

  constructor(databaseUrl: string, options: PgEventBusOptions = {}) {
    this.#connectionString = parsePgUrl(databaseUrl).connectionString;
    this.#options = options;
  }

  /** Whether the listening connection is up (events from other nodes are being heard). */
  get listening(): boolean {
    return this.#listening;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /**
   * Opens the listening connection. Rejects when the first attempt fails (a node should not start
   * deaf); after that, a dropped connection is retried in the background with backoff.
   */
  async start(): Promise<void> {
    await this.#connect();
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#connectionString,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5000,
      keepAlive: true,
      application_name: 'streamgate-events',
    });
    let dropped = false;
    const drop = (err: Error) => {
      if (dropped) return;
      dropped = true;
      if (this.#client === client) {
        this.#client = null;
        this.#listening = false;
      }
      client.end().catch(() => {});
      if (!this.#closed) {
        this.#options.onConnectionError?.(err);
        this.#scheduleReconnect();
      }
    };
    client.on('error', drop);
    client.on('end', () => drop(new Error('listening connection to PostgreSQL ended')));
    client.on('notification', (msg) => {
      if (msg.channel === STREAM_EVENTS_CHANNEL) this.#receive(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${STREAM_EVENTS_CHANNEL}`);
    } catch (err) {
      dropped = true;
      client.removeAllListeners('end');
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#closed) {
      dropped = true;
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#listening = true;
    this.#attempt = 0;
    const reconnected = this.#everListened;
    this.#everListened = true;
    this.#options.onListening?.({ reconnected });
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const min = this.#options.reconnectMinMs ?? 100;
    const max = this.#options.reconnectMaxMs ?? 5000;
    const base = Math.min(max, min * 2 ** this.#attempt);
    this.#attempt++;
    // Jitter, so that nodes cut off together do not all come back in the same instant.
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect().catch((err: Error) => {
        this.#options.onConnectionError?.(err);
        this.#scheduleReconnect();
      });
    }, delay);
    this.#retryTimer.unref();
  }

  #receive(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      this.#options.onInvalidMessage?.(payload);
      return;
    }
    if (
      typeof envelope !== 'object' ||
      envelope === null ||
      typeof envelope.node !== 'string' ||
      !Number.isSafeInteger(envelope.seq) ||
      !isStreamBusEvent(envelope.event)
    ) {
      this.#options.onInvalidMessage?.(payload);
      return;
    }
    if (envelope.node === this.#node && this.#deliveredLocally.delete(envelope.seq)) return;
    this.#deliver(cleanEvent(envelope.event));
  }

  #deliver(event: StreamBusEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#options.onListenerError?.(err);
      }
    }
  }

  async publish(event: StreamBusEvent): Promise<void> {
    if (this.#closed) return;
    const seq = ++this.#seq;
    const clean = cleanEvent(event);
    const payload = JSON.stringify({ node: this.#node, seq, event: clean });
    if (!this.#listening) {
      // PostgreSQL will not bring it back to us: this node's own viewers hear it now.
      this.#deliveredLocally.add(seq);
      // Bounded: entries whose NOTIFY never comes back would otherwise pile up over a long outage.
      if (this.#deliveredLocally.size > 10_000) {
        const oldest = this.#deliveredLocally.values().next().value;
        if (oldest !== undefined) this.#deliveredLocally.delete(oldest);
      }
      this.#deliver(clean);
    }
    const sql = 'SELECT pg_notify($1, $2)';
    const values = [STREAM_EVENTS_CHANNEL, payload];
    if (this.#options.notify) {
      await this.#options.notify(sql, values);
    } else {
      const client = this.#client;
      if (!client) throw new Error('stream event bus: not connected to PostgreSQL');
      await client.query(sql, values);
    }
  }

  subscribe(listener: StreamEventListener): () => void {
    const entry: StreamEventListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    await this.#connecting?.catch(() => {});
    const client = this.#client;
    this.#client = null;
    this.#listening = false;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}
