import type Database from 'better-sqlite3';
import type { TokenKind, TokenRecord } from '../../domain/model.js';

/** Entries kept per map before it is emptied (about 1 kB per token record). */
const LIMIT = 100_000;

/**
 * What an access decision reads, kept in memory for a SQLite store that is the only writer of
 * its file's tokens and leases (see `SqliteStore`'s `server` option).
 *
 * Staleness is ruled out by construction, not by timing: temporary triggers on this connection
 * call back into the cache inside every statement that inserts, updates or deletes a token or a
 * lease, whatever the SQL (store methods, migrations or a hand-written statement alike), before
 * that statement returns. better-sqlite3 runs on the one JavaScript thread, so no read can fall
 * between a write and its invalidation. Writers on other connections are excluded by the server
 * lock (other servers) or by design (the CLI writes only accounts and API secrets).
 */
export class DecisionCache {
  readonly #byId = new Map<number, TokenRecord>();
  readonly #byValue = { publish: new Map<string, TokenRecord>(), subscribe: new Map<string, TokenRecord>() };
  /** Expiry instants of the leases of one stream, by account id, then stream name. */
  readonly #leases = new Map<number, Map<string, readonly number[]>>();
  #leaseEntries = 0;
  #tokenDrops = 0;
  #leaseDrops = 0;

  /** Installs the invalidation triggers; the tables must exist (call after migrations). */
  constructor(db: Database.Database) {
    db.function('streamgate_token_changed', { deterministic: false }, (id: unknown) => {
      this.dropToken(Number(id));
      return null;
    });
    db.function('streamgate_leases_changed', { deterministic: false }, () => {
      this.dropLeases();
      return null;
    });
    const on = (table: string, event: string, call: string) =>
      `CREATE TEMP TRIGGER IF NOT EXISTS streamgate_${table}_${event.toLowerCase()}
         AFTER ${event} ON main.${table} BEGIN SELECT ${call}; END;`;
    db.exec(
      [
        on('tokens', 'INSERT', 'streamgate_token_changed(NEW.id)'),
        on('tokens', 'UPDATE', 'streamgate_token_changed(OLD.id), streamgate_token_changed(NEW.id)'),
        on('tokens', 'DELETE', 'streamgate_token_changed(OLD.id)'),
        on('live_leases', 'INSERT', 'streamgate_leases_changed()'),
        on('live_leases', 'UPDATE', 'streamgate_leases_changed()'),
        on('live_leases', 'DELETE', 'streamgate_leases_changed()'),
      ].join('\n'),
    );
  }

  /** How many invalidations ran (tests read it to see the triggers fire). */
  get drops(): { tokens: number; leases: number } {
    return { tokens: this.#tokenDrops, leases: this.#leaseDrops };
  }

  token(kind: TokenKind, by: { readonly value: string } | { readonly id: number }): TokenRecord | undefined {
    if ('value' in by) return this.#byValue[kind].get(by.value);
    const hit = this.#byId.get(by.id);
    return hit?.kind === kind ? hit : undefined;
  }

  keepToken(record: TokenRecord): TokenRecord {
    if (this.#byId.size >= LIMIT) {
      this.#byId.clear();
      this.#byValue.publish.clear();
      this.#byValue.subscribe.clear();
    }
    this.#byId.set(record.id, record);
    this.#byValue[record.kind].set(record.token, record);
    return record;
  }

  dropToken(id: number): void {
    this.#tokenDrops++;
    const kept = this.#byId.get(id);
    if (!kept) return;
    this.#byId.delete(id);
    this.#byValue[kept.kind].delete(kept.token);
  }

  leaseExpiries(accountId: number, streamName: string): readonly number[] | undefined {
    return this.#leases.get(accountId)?.get(streamName);
  }

  keepLeaseExpiries(accountId: number, streamName: string, expiries: readonly number[]): void {
    if (this.#leaseEntries >= LIMIT) this.dropLeases();
    let streams = this.#leases.get(accountId);
    if (!streams) {
      streams = new Map();
      this.#leases.set(accountId, streams);
    }
    if (!streams.has(streamName)) this.#leaseEntries++;
    streams.set(streamName, expiries);
  }

  /** Any lease write empties the whole lease map: leases change rarely next to decisions. */
  dropLeases(): void {
    this.#leaseDrops++;
    this.#leases.clear();
    this.#leaseEntries = 0;
  }
}
