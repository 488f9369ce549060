import { EventEmitter } from 'node:events';
import type { Store } from '../store/store.js';
import type { StreamChange } from './events.js';
import type { AcquireResult, LeaseRequest, LiveLease } from './model.js';

/** What the registry emits is what the bus carries: a stream started or ended. */
export type StreamEvent = StreamChange;

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
    if (result.acquired && result.endedRun) {
      // The previous publisher's lease lapsed and no sweep announced it yet: its run ended first.
      this.emit('stream', {
        type: 'ended',
        accountId: input.accountId,
        streamName: input.streamName,
        tokenId: result.endedRun.tokenId,
        at: now,
      });
    }
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

  /**
   * Removes expired leases and announces the streams that ended with them. The store hands each
   * expired lease to exactly one sweeper (of any node), so only that one can announce its stream.
   *
   * A stream has not ended when a lease that was live together with the expired ones (it started
   * before they lapsed: another source of a multisource stream) is still live. A lease that started
   * after they lapsed belongs to a publisher that came later: its acquire announced a new start, so
   * the old run must still be announced as ended. (Reading the live leases after the expiry is not
   * atomic with it; this rule makes the answer the same whichever acquire slipped in between.)
   */
  async sweep(): Promise<void> {
    const now = this.now();
    const expired = await this.store.expireLeases(now);
    const byStream = new Map<string, LiveLease[]>();
    for (const lease of expired) {
      const key = `${lease.accountId}/${lease.streamName}`;
      const list = byStream.get(key);
      if (list) list.push(lease);
      else byStream.set(key, [lease]);
    }
    for (const leases of byStream.values()) {
      const first = leases[0]!;
      const lapsedAt = Math.max(...leases.map((l) => l.expiresOn));
      const rest = await this.store.liveLeases(first.accountId, first.streamName, now);
      if (rest.some((l) => l.startedOn < lapsedAt)) continue;
      // The lease that lapsed last names the publisher that held the stream at its end.
      const last = leases.reduce((a, b) => (b.expiresOn > a.expiresOn ? b : a));
      this.emit('stream', {
        type: 'ended',
        accountId: first.accountId,
        streamName: first.streamName,
        tokenId: last.tokenId,
        at: now,
      });
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
