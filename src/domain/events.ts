/**
 * Stream lifecycle events fanned out to everything that watches streams (viewer WebSockets).
 *
 * The bus is an interface so that a cluster can share it: the in-process bus below reaches the
 * listeners of this node only; the PostgreSQL LISTEN/NOTIFY bus (store/postgres/pg-event-bus.ts,
 * wired by `streamgate serve` on a postgres:// database) reaches every node, so a
 * viewer connected to node B hears about a stream started on node A. Hence `publish` may be
 * async and events are plain JSON-serialisable objects (no classes, no Dates).
 *
 * Webhooks are NOT fed from the bus: they fire from the LiveRegistry event of the node that saw
 * the change, so each change is delivered once cluster-wide rather than once per node.
 */

/** A stream started or ended. */
export interface StreamChange {
  readonly type: 'started' | 'ended';
  /** Internal account id (the store's), not the public streamAccountId. */
  readonly accountId: number;
  readonly streamName: string;
  readonly tokenId: number;
  /** epoch milliseconds */
  readonly at: number;
}

/**
 * How many viewers of a stream one node holds now: each node announces its own count, so every
 * node can add them up into the stream's viewercount. Sent on change and again periodically.
 */
export interface ViewerTally {
  readonly type: 'viewers';
  /** The announcing node (random per process). */
  readonly nodeId: string;
  readonly accountId: number;
  readonly streamName: string;
  readonly count: number;
  /** epoch milliseconds */
  readonly at: number;
}

export type StreamBusEvent = StreamChange | ViewerTally;

export type StreamEventListener = (event: StreamBusEvent) => void;

export interface StreamEventBus {
  /** Hands an event to every subscriber (on every node, for a shared bus). */
  publish(event: StreamBusEvent): void | Promise<void>;
  /** Registers a listener; the returned function removes it. */
  subscribe(listener: StreamEventListener): () => void;
  /** Releases connections a shared bus holds; the in-process bus has none. */
  close?(): Promise<void>;
}

/** True when `value` has the shape of a StreamBusEvent (a shared bus checks what it receives). */
export function isStreamBusEvent(value: unknown): value is StreamBusEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  const common =
    Number.isSafeInteger(e.accountId) &&
    typeof e.streamName === 'string' &&
    typeof e.at === 'number' &&
    Number.isFinite(e.at);
  if (!common) return false;
  if (e.type === 'started' || e.type === 'ended') return Number.isSafeInteger(e.tokenId);
  if (e.type === 'viewers') {
    return (
      typeof e.nodeId === 'string' &&
      e.nodeId.length > 0 &&
      e.nodeId.length <= 64 &&
      Number.isSafeInteger(e.count) &&
      (e.count as number) >= 0
    );
  }
  return false;
}

/** The event's own fields only (whatever else an object received from elsewhere carried). */
export function cleanEvent(e: StreamBusEvent): StreamBusEvent {
  if (e.type === 'viewers') {
    const { type, nodeId, accountId, streamName, count, at } = e;
    return { type, nodeId, accountId, streamName, count, at };
  }
  const { type, accountId, streamName, tokenId, at } = e;
  return { type, accountId, streamName, tokenId, at };
}

/**
 * The bus of a single node. Listeners run synchronously in subscription order; one that throws
 * is reported to `onListenerError` and does not keep the others from hearing the event.
 */
export class InProcessEventBus implements StreamEventBus {
  readonly #listeners = new Set<StreamEventListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  publish(event: StreamBusEvent): void {
    // A snapshot, so a listener that unsubscribes (or subscribes) while handling is harmless.
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  subscribe(listener: StreamEventListener): () => void {
    // Wrapped so that subscribing the same function twice yields two independent subscriptions.
    const entry: StreamEventListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
