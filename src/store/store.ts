import type { MaybePromise } from '../domain/maybe-promise.js';
import type {
  Account,
  AcquireResult,
  ApiSecretRecord,
  BindResult,
  LeaseRequest,
  LiveLease,
  SigningKeyRecord,
  TokenKind,
  TokenListQuery,
  TokenRecord,
  TokenState,
  WebhookHook,
  WebhookListQuery,
  WebhookRecord,
  WebhookState,
} from '../domain/model.js';

/**
 * The storage port. The domain and http layers only see this interface, so SQLite and
 * PostgreSQL are interchangeable. Every method is async because the networked database is.
 * Methods scoped by `accountId` never return another account's objects.
 */
/** What `Store.tokenForDecision` reads: the token and the live leases on the asked stream. */
export interface DecisionRead {
  readonly token: TokenRecord;
  readonly liveLeases: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createAccount(input: { name: string; streamAccountId: string }): Promise<Account>;
  getAccount(id: number): Promise<Account | null>;
  getAccountByStreamAccountId(streamAccountId: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;

  createApiSecret(input: { accountId: number; label: string; hash: string }): Promise<ApiSecretRecord>;
  listApiSecrets(accountId: number): Promise<ApiSecretRecord[]>;
  getApiSecret(accountId: number, id: number): Promise<ApiSecretRecord | null>;
  /** Replaces the hash; the old value stops matching in the same statement. */
  replaceApiSecretHash(accountId: number, id: number, hash: string): Promise<ApiSecretRecord | null>;
  deleteApiSecret(accountId: number, id: number): Promise<boolean>;
  /** The secret with this hash and its account, or null. */
  findApiSecretByHash(hash: string): Promise<{ secret: ApiSecretRecord; account: Account } | null>;

  createToken(input: { accountId: number; kind: TokenKind; state: TokenState }): Promise<TokenRecord>;
  getToken(accountId: number, kind: TokenKind, id: number): Promise<TokenRecord | null>;
  /** Lookup by the token's secret value, whatever its account (the Director's entry point). */
  getTokenByValue(kind: TokenKind, value: string): Promise<TokenRecord | null>;
  /** Compare-and-set on `expectedVersion`: null when the token is gone or was changed meanwhile. */
  updateToken(
    accountId: number,
    kind: TokenKind,
    id: number,
    expectedVersion: number,
    state: TokenState,
  ): Promise<TokenRecord | null>;
  deleteToken(accountId: number, kind: TokenKind, id: number): Promise<boolean>;
  listTokens(accountId: number, kind: TokenKind, query: TokenListQuery): Promise<TokenRecord[]>;
  /** Sets isActive=false on those of `ids` the account owns; returns the ids it found. */
  disableTokens(accountId: number, kind: TokenKind, ids: readonly number[]): Promise<number[]>;

  /** A token by id whatever its account (self-signed tokens name their parent by id). */
  getTokenById(kind: TokenKind, id: number): Promise<TokenRecord | null>;
  /**
   * The access decision's one read: a token by value or by id (whatever its account) together
   * with the number of unexpired live leases on `streamName` in the token's account, in one
   * call (one round trip on PostgreSQL; from memory on a SQLite server). null when no such token
   * exists. A store that reads synchronously answers without a promise, so that a decision
   * needing no other I/O is made without one.
   */
  tokenForDecision(
    kind: TokenKind,
    by: { readonly value: string } | { readonly id: number },
    streamName: string,
    now: number,
  ): MaybePromise<DecisionRead | null>;
  /**
   * Atomically records `ip` into the token's allowedIpAddresses when it holds fewer than `max`
   * entries: N concurrent first uses from N+k addresses bind exactly N, on any number of nodes.
   * 'bound' also when `ip` is already in the list (a concurrent request bound it first).
   */
  bindIp(tokenId: number, ip: string, max: number): Promise<BindResult>;

  /**
   * Takes or renews a lease on a stream. Granted when the stream has no unexpired lease, when
   * `holderId` already holds it (renewal), or when both this and every current holder publish
   * with distinct sourceIds and `multisource` is allowed. Atomic across nodes. Lapsed leases of
   * the stream are cleared; when they were all it had, `endedRun` reports that unannounced end.
   */
  acquireLease(input: LeaseRequest & { now: number; ttlMs: number }): Promise<AcquireResult>;
  /** Extends a held lease; false when the holder no longer holds it. */
  renewLease(accountId: number, streamName: string, holderId: string, now: number, ttlMs: number): Promise<boolean>;
  /** Drops a lease; `ended` is true when that was the stream's last live lease. */
  releaseLease(
    accountId: number,
    streamName: string,
    holderId: string,
    now: number,
  ): Promise<{ released: boolean; ended: boolean }>;
  /** Unexpired leases of one stream. */
  liveLeases(accountId: number, streamName: string, now: number): Promise<LiveLease[]>;
  /** Unexpired leases of a whole account. */
  accountLiveLeases(accountId: number, now: number): Promise<LiveLease[]>;
  /**
   * Deletes the leases of streams whose every lease has lapsed and returns them: each stream
   * returned has ended, and is returned to exactly one caller (of any node). Lapsed leases of a
   * stream that still has a live one may stay until that stream's next acquire, release or final
   * expiry; every read ignores them.
   */
  expireLeases(now: number): Promise<LiveLease[]>;

  signingKeys(): Promise<SigningKeyRecord[]>;
  /** Inserts unless a key with that kid exists; concurrent first starts keep one key each. */
  addSigningKey(key: SigningKeyRecord): Promise<void>;

  // webhooks
  createWebhook(input: WebhookState & { accountId: number; now: number }): Promise<WebhookRecord>;
  getWebhook(accountId: number, id: number): Promise<WebhookRecord | null>;
  /** Replaces the whole state; null when the account has no such webhook. */
  updateWebhook(accountId: number, id: number, state: WebhookState): Promise<WebhookRecord | null>;
  deleteWebhook(accountId: number, id: number): Promise<boolean>;
  /** Ordered by id; ids strictly after (descending: before) `startingId` when it is set. */
  listWebhooks(accountId: number, query: WebhookListQuery): Promise<WebhookRecord[]>;
  /** The account's webhooks with `hook` set, ordered by id (the delivery read). */
  webhooksFor(accountId: number, hook: WebhookHook): Promise<WebhookRecord[]>;
}
