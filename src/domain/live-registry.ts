import { EventEmitter } from 'node:events';
import type { Store } from '../store/store.js';
import type { AcquireResult, LeaseRequest, LiveLease } from './model.js';

export interface StreamEvent {
  readonly type: 'started' | 'ended';
  readonly accountId: number;
  readonly streamName: string;
  readonly tokenId: number;
  readonly at: number;
}

/**
 * Which streams are live. A stream is live while a publisher holds an unexpired lease on it:
 * taken on an allowed publish, renewed by media-server updates, released on publish done, and
 * expiring by itself when a publisher (or a whole node) vanishes. Emits `stream` events when a
 * stream starts or ends.
 */
export class LiveRegistry extends EventEmitter<{ stream: [StreamEvent]; error: [unknown] }> {
  #sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  async acquire(input: LeaseRequest): Promise<AcquireResult> {
    const now = this.now();
    const result = await this.store.acquireLease({ ...input, now, ttlMs: this.leaseMs });
    if (result.acquired && result.started) {
      this.emit('stream', {
        type: 'started',
        accountId: input.accountId,
        streamName: input.streamName,
        tokenId: input.tokenId,
        at: now,
      });
    }
    return result;
  }

  async renew(accountId: number, streamName: string, holderId: string): Promise<boolean> {
    return this.store.renewLease(accountId, streamName, holderId, this.now(), this.leaseMs);
  }

  async release(accountId: number, streamName: string, holderId: string, tokenId: number): Promise<boolean> {
    const now = this.now();
    const { released, ended } = await this.store.releaseLease(accountId, streamName, holderId, now);
    if (ended) this.emit('stream', { type: 'ended', accountId, streamName, tokenId, at: now });
    return released;
  }

  async leases(accountId: number, streamName: string): Promise<LiveLease[]> {
    return this.store.liveLeases(accountId, streamName, this.now());
  }

  async accountLeases(accountId: number): Promise<LiveLease[]> {
    return this.store.accountLiveLeases(accountId, this.now());
  }

  /** Removes expired leases and announces the streams that ended with them. */
  async sweep(): Promise<void> {
    const now = this.now();
    const expired = await this.store.expireLeases(now);
    const seen = new Set<string>();
    for (const lease of expired) {
      const key = `${lease.accountId}/${lease.streamName}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const rest = await this.store.liveLeases(lease.accountId, lease.streamName, now);
      if (rest.length === 0) {
        this.emit('stream', {
          type: 'ended',
          accountId: lease.accountId,
          streamName: lease.streamName,
          tokenId: lease.tokenId,
          at: now,
        });
      }
    }
  }

  startSweeping(intervalMs: number): void {
    this.stopSweeping();
    this.#sweeper = setInterval(() => {
      this.sweep().catch((err) => this.emit('error', err));
    }, intervalMs);
    this.#sweeper.unref();
  }

  stopSweeping(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
  }
}
