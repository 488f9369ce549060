import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { lastLapsed, leaseGrantable } from '../../domain/lease-rule.js';
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
} from '../../domain/model.js';
import { type AccountRow, type LeaseRow, type SecretRow, toAccount, toLease, toSecret } from '../rows.js';
import type { DecisionRead, Store } from '../store.js';
import { DecisionCache } from './decision-cache.js';
import { sqliteMigrations } from './migrations.js';

interface TokenRow {
  id: number;
  account_id: number;
  kind: TokenKind;
  label: string;
  token: string;
  added_on: number;
  expires_on: number | null;
  is_active: number;
  streams: string;
  allowed_origins: string;
  allowed_ip_addresses: string;
  bind_ips_on_usage: number;
  subscribe_requires_auth: number;
  record: number;
  multisource: number;
  tracking_id: string | null;
  version: number;
}

const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  accountId: r.account_id,
  kind: r.kind,
  label: r.label,
  token: r.token,
  addedOn: r.added_on,
  expiresOn: r.expires_on,
  isActive: r.is_active === 1,
  streams: JSON.parse(r.streams),
  allowedOrigins: JSON.parse(r.allowed_origins),
  allowedIpAddresses: JSON.parse(r.allowed_ip_addresses),
  bindIpsOnUsage: r.bind_ips_on_usage,
  subscribeRequiresAuth: r.subscribe_requires_auth === 1,
  record: r.record === 1,
  multisource: r.multisource === 1,
  tracking: r.tracking_id === null ? null : { trackingId: r.tracking_id },
  version: r.version,
});

/** Column values of a token state, in the order of STATE_COLUMNS. */
function stateParams(s: TokenState) {
  return {
    label: s.label,
    token: s.token,
    expires_on: s.expiresOn,
    is_active: s.isActive ? 1 : 0,
    streams: JSON.stringify(s.streams.map((r) => ({ streamName: r.streamName, isRegex: r.isRegex }))),
    allowed_origins: JSON.stringify(s.allowedOrigins),
    allowed_ip_addresses: JSON.stringify(s.allowedIpAddresses),
    bind_ips_on_usage: s.bindIpsOnUsage,
    subscribe_requires_auth: s.subscribeRequiresAuth ? 1 : 0,
    record: s.record ? 1 : 0,
    multisource: s.multisource ? 1 : 0,
    tracking_id: s.tracking?.trackingId ?? null,
  };
}

/** LIKE pattern for a substring search, with the user's own % and _ taken literally. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface SqliteStoreOptions {
  /**
   * Open as the file's one server: take its server lock (construction throws
   * `ServerLockedError` while another server holds it) and answer access decisions from memory
   * (`DecisionCache`). Only a server may write tokens and leases; the CLI, which opens the file
   * without this option, writes accounts and API secrets only. An in-memory database is always
   * its own only writer.
   */
  readonly server?: boolean;
}

/** Another server holds the SQLite file's server lock. */
export class ServerLockedError extends Error {
  constructor(readonly path: string) {
    super(
      `another Streamgate server is already running on ${path}: a SQLite file serves one server process ` +
        '(run several nodes on PostgreSQL, see docs/multi-node.md)',
    );
    this.name = 'ServerLockedError';
  }
}

/**
 * Holds `<path>-server.lock` in an exclusive SQLite transaction for the connection's lifetime.
 * SQLite locks are POSIX record locks: the system drops them when the process ends, even by
 * kill -9, so a crashed server never leaves the file locked.
 */
function takeServerLock(path: string): Database.Database {
  const lock = new Database(`${path}-server.lock`, { timeout: 0 });
  try {
    // Nothing is ever written to the lock file, so it needs no journal file beside it.
    lock.pragma('journal_mode = MEMORY');
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new ServerLockedError(path);
    throw err;
  }
}

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so each
 * method runs to completion before another starts; multi-statement changes still use
 * transactions so that other processes on the same file (the CLI) see them whole.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  readonly #stmts = new Map<string, Database.Statement>();
  readonly #soleWriter: boolean;
  readonly #serverLock: Database.Database | null;
  readonly #path: string;
  /** Set once the schema exists, for a sole writer only. */
  #cache: DecisionCache | null = null;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#path = path;
    this.#soleWriter = path === ':memory:' || options.server === true;
    this.#serverLock = options.server === true && path !== ':memory:' ? takeServerLock(path) : null;
    try {
      this.db = new Database(path);
    } catch (err) {
      this.#serverLock?.close();
      throw err;
    }
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode loses nothing on a process crash (kill -9), only on power loss.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // SQLite's own page cache stays at its default 2 MB. A server answers decisions from its
    // DecisionCache, so the page cache only serves first uses, which the system's file cache
    // serves about as well; a 64 MB one (tried) filled the process's malloc heap with thousands
    // of page buffers among short-lived blocks, and every later allocation (an ES256 signature
    // makes about a hundred) got slower: 8% more CPU per authorization at 100,000 tokens.
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on INTEGER NOT NULL)',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    const pending = sqliteMigrations.filter((m) => !applied.has(m.version));
    // A running server keeps decision reads in memory and learns only of its own writes: the
    // schema is changed by a server as it starts, or by the CLI while no server runs.
    if (pending.length > 0 && this.#path !== ':memory:' && !this.#serverLock) {
      try {
        takeServerLock(this.#path).close();
      } catch (err) {
        if (!(err instanceof ServerLockedError)) throw err;
        throw new Error(
          `${this.#path} needs schema migrations, but a Streamgate server is running on it: stop the server, ` +
            'then migrate (or start the new version, which migrates as it starts)',
        );
      }
    }
    for (const m of pending) {
      this.db
        .transaction(() => {
          this.db.exec(m.sql);
          this.db
            .prepare('INSERT INTO schema_migrations (version, name, applied_on) VALUES (?, ?, ?)')
            .run(m.version, m.name, Date.now());
        })
        .immediate();
    }
    if (this.#soleWriter && !this.#cache) {
      // REPLACE deletes the rows it replaces; only with recursive triggers do their DELETE triggers fire.
      this.db.pragma('recursive_triggers = ON');
      this.#cache = new DecisionCache(this.db);
    }
  }

  /** The decision cache, when this store is its file's only writer and migrated (for tests). */
  get decisionCache(): DecisionCache | null {
    return this.#cache;
  }

  async ping(): Promise<void> {
    this.#stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    if (this.#serverLock?.open) this.#serverLock.close();
  }

  async createAccount(input: { name: string; streamAccountId: string }): Promise<Account> {
    const row = this.#stmt(
      'INSERT INTO accounts (stream_account_id, name, created_on) VALUES (?, ?, ?) RETURNING *',
    ).get(input.streamAccountId, input.name, Date.now()) as AccountRow;
    return toAccount(row);
  }

  async getAccount(id: number): Promise<Account | null> {
    const row = this.#stmt('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  async getAccountByStreamAccountId(streamAccountId: string): Promise<Account | null> {
    const row = this.#stmt('SELECT * FROM accounts WHERE stream_account_id = ?').get(streamAccountId) as
      | AccountRow
      | undefined;
    return row ? toAccount(row) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return (this.#stmt('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(toAccount);
  }

  async createApiSecret(input: { accountId: number; label: string; hash: string }): Promise<ApiSecretRecord> {
    const row = this.#stmt(
      'INSERT INTO api_secrets (account_id, label, hash, added_on) VALUES (?, ?, ?, ?) RETURNING *',
    ).get(input.accountId, input.label, input.hash, Date.now()) as SecretRow;
    return toSecret(row);
  }

  async listApiSecrets(accountId: number): Promise<ApiSecretRecord[]> {
    return (this.#stmt('SELECT * FROM api_secrets WHERE account_id = ? ORDER BY id').all(accountId) as SecretRow[]).map(
      toSecret,
    );
  }

  async getApiSecret(accountId: number, id: number): Promise<ApiSecretRecord | null> {
    const row = this.#stmt('SELECT * FROM api_secrets WHERE account_id = ? AND id = ?').get(accountId, id) as
      | SecretRow
      | undefined;
    return row ? toSecret(row) : null;
  }

  async replaceApiSecretHash(accountId: number, id: number, hash: string): Promise<ApiSecretRecord | null> {
    const row = this.#stmt(
      'UPDATE api_secrets SET hash = ?, refreshed_on = ? WHERE account_id = ? AND id = ? RETURNING *',
    ).get(hash, Date.now(), accountId, id) as SecretRow | undefined;
    return row ? toSecret(row) : null;
  }

  async deleteApiSecret(accountId: number, id: number): Promise<boolean> {
    return this.#stmt('DELETE FROM api_secrets WHERE account_id = ? AND id = ?').run(accountId, id).changes > 0;
  }

  async findApiSecretByHash(hash: string): Promise<{ secret: ApiSecretRecord; account: Account } | null> {
    const row = this.#stmt(
      `SELECT s.*, a.stream_account_id, a.name, a.created_on
         FROM api_secrets s JOIN accounts a ON a.id = s.account_id
        WHERE s.hash = ?`,
    ).get(hash) as (SecretRow & Omit<AccountRow, 'id'>) | undefined;
    if (!row) return null;
    return {
      secret: toSecret(row),
      account: toAccount({
        id: row.account_id,
        stream_account_id: row.stream_account_id,
        name: row.name,
        created_on: row.created_on,
      }),
    };
  }

  async createToken(input: { accountId: number; kind: TokenKind; state: TokenState }): Promise<TokenRecord> {
    const row = this.#stmt(
      `INSERT INTO tokens (account_id, kind, added_on, label, token, expires_on, is_active, streams, allowed_origins,
          allowed_ip_addresses, bind_ips_on_usage, subscribe_requires_auth, record, multisource, tracking_id)
       VALUES (@account_id, @kind, @added_on, @label, @token, @expires_on, @is_active, @streams, @allowed_origins,
          @allowed_ip_addresses, @bind_ips_on_usage, @subscribe_requires_auth, @record, @multisource, @tracking_id)
       RETURNING *`,
    ).get({
      account_id: input.accountId,
      kind: input.kind,
      added_on: Date.now(),
      ...stateParams(input.state),
    }) as TokenRow;
    return toToken(row);
  }

  async getToken(accountId: number, kind: TokenKind, id: number): Promise<TokenRecord | null> {
    const row = this.#stmt('SELECT * FROM tokens WHERE id = ? AND account_id = ? AND kind = ?').get(
      id,
      accountId,
      kind,
    ) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  async getTokenByValue(kind: TokenKind, value: string): Promise<TokenRecord | null> {
    return this.#token(kind, { value });
  }

  async updateToken(
    accountId: number,
    kind: TokenKind,
    id: number,
    expectedVersion: number,
    state: TokenState,
  ): Promise<TokenRecord | null> {
    const row = this.#stmt(
      `UPDATE tokens SET label = @label, token = @token, expires_on = @expires_on, is_active = @is_active,
          streams = @streams, allowed_origins = @allowed_origins, allowed_ip_addresses = @allowed_ip_addresses,
          bind_ips_on_usage = @bind_ips_on_usage, subscribe_requires_auth = @subscribe_requires_auth,
          record = @record, multisource = @multisource, tracking_id = @tracking_id, version = version + 1
        WHERE id = @id AND account_id = @account_id AND kind = @kind AND version = @version
        RETURNING *`,
    ).get({ id, account_id: accountId, kind, version: expectedVersion, ...stateParams(state) }) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  async deleteToken(accountId: number, kind: TokenKind, id: number): Promise<boolean> {
    return (
      this.#stmt('DELETE FROM tokens WHERE id = ? AND account_id = ? AND kind = ?').run(id, accountId, kind).changes > 0
    );
  }

  async listTokens(accountId: number, kind: TokenKind, q: TokenListQuery): Promise<TokenRecord[]> {
    const dir = q.isDescending ? 'DESC' : 'ASC';
    const order = q.sortBy === 'Name' ? `label COLLATE NOCASE ${dir}, id ${dir}` : `added_on ${dir}, id ${dir}`;
    const params: Record<string, unknown> = {
      account_id: accountId,
      kind,
      limit: q.itemsOnPage,
      offset: (q.page - 1) * q.itemsOnPage,
    };
    let where = 'account_id = @account_id AND kind = @kind';
    if (q.filter) {
      params.pattern = likeContains(q.filter.name);
      // Regex stream rules are not names, so a stream-name search skips them (as Millicast does).
      const byLabel = "label LIKE @pattern ESCAPE '\\'";
      const byStream = `EXISTS (SELECT 1 FROM json_each(tokens.streams) j
          WHERE json_extract(j.value, '$.isRegex') = 0
            AND json_extract(j.value, '$.streamName') LIKE @pattern ESCAPE '\\')`;
      const cond =
        q.filter.by === 'TokenName' ? byLabel : q.filter.by === 'StreamName' ? byStream : `(${byLabel} OR ${byStream})`;
      where += ` AND ${cond}`;
    }
    const rows = this.#stmt(`SELECT * FROM tokens WHERE ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`).all(
      params,
    ) as TokenRow[];
    return rows.map(toToken);
  }

  async disableTokens(accountId: number, kind: TokenKind, ids: readonly number[]): Promise<number[]> {
    const stmt = this.#stmt(
      'UPDATE tokens SET is_active = 0, version = version + 1 WHERE id = ? AND account_id = ? AND kind = ? RETURNING id',
    );
    return this.db.transaction(() => {
      const found: number[] = [];
      for (const id of ids) {
        const row = stmt.get(id, accountId, kind) as { id: number } | undefined;
        if (row) found.push(row.id);
      }
      return found;
    })();
  }

  async getTokenById(kind: TokenKind, id: number): Promise<TokenRecord | null> {
    return this.#token(kind, { id });
  }

  tokenForDecision(
    kind: TokenKind,
    by: { readonly value: string } | { readonly id: number },
    streamName: string,
    now: number,
  ): DecisionRead | null {
    const token = this.#token(kind, by);
    if (!token) return null;
    let liveLeases = 0;
    for (const expiresOn of this.#leaseExpiries(token.accountId, streamName)) if (expiresOn > now) liveLeases++;
    return { token, liveLeases };
  }

  /**
   * The decision cache when it may be used: this store is its file's only writer, and no
   * transaction is open (a row read inside one may be rolled back, and a rollback fires no
   * trigger, so nothing read there is kept).
   */
  #usableCache(): DecisionCache | null {
    return this.#cache && !this.db.inTransaction ? this.#cache : null;
  }

  /** A token by value or id, from memory on a server, else decoded from its row. */
  #token(kind: TokenKind, by: { readonly value: string } | { readonly id: number }): TokenRecord | null {
    const cache = this.#usableCache();
    const kept = cache?.token(kind, by);
    if (kept) return kept;
    const row = (
      'value' in by
        ? this.#stmt('SELECT * FROM tokens WHERE token = ? AND kind = ?').get(by.value, kind)
        : this.#stmt('SELECT * FROM tokens WHERE id = ? AND kind = ?').get(by.id, kind)
    ) as TokenRow | undefined;
    if (!row) return null;
    const token = Object.freeze(toToken(row));
    return cache ? cache.keepToken(token) : token;
  }

  /** Expiry instants of a stream's leases (lapsed ones included), from memory on a server. */
  #leaseExpiries(accountId: number, streamName: string): readonly number[] {
    const cache = this.#usableCache();
    const kept = cache?.leaseExpiries(accountId, streamName);
    if (kept) return kept;
    const expiries = this.#stmt('SELECT expires_on FROM live_leases WHERE account_id = ? AND stream_name = ?')
      .pluck()
      .all(accountId, streamName) as number[];
    cache?.keepLeaseExpiries(accountId, streamName, expiries);
    return expiries;
  }

  async bindIp(tokenId: number, ip: string, max: number): Promise<BindResult> {
    const read = this.#stmt('SELECT allowed_ip_addresses FROM tokens WHERE id = ?');
    const write = this.#stmt('UPDATE tokens SET allowed_ip_addresses = ?, version = version + 1 WHERE id = ?');
    // IMMEDIATE takes the write lock before reading, so other processes on the file queue behind it.
    return this.db
      .transaction((): BindResult => {
        const row = read.get(tokenId) as { allowed_ip_addresses: string } | undefined;
        if (!row) return 'gone';
        const list = JSON.parse(row.allowed_ip_addresses) as string[];
        if (list.includes(ip)) return 'bound';
        if (list.length >= max) return 'full';
        write.run(JSON.stringify([...list, ip]), tokenId);
        return 'bound';
      })
      .immediate();
  }

  async acquireLease(input: LeaseRequest & { now: number; ttlMs: number }): Promise<AcquireResult> {
    const purge = this.#stmt(
      'DELETE FROM live_leases WHERE account_id = ? AND stream_name = ? AND expires_on <= ? RETURNING *',
    );
    const current = this.#stmt('SELECT * FROM live_leases WHERE account_id = ? AND stream_name = ?');
    const upsert = this.#stmt(
      `INSERT INTO live_leases (account_id, stream_name, holder_id, token_id, source_id, started_on, expires_on)
       VALUES (@account_id, @stream_name, @holder_id, @token_id, @source_id, @now, @expires_on)
       ON CONFLICT (account_id, stream_name, holder_id) DO UPDATE SET expires_on = excluded.expires_on`,
    );
    const run = this.db.transaction((): AcquireResult => {
      const lapsed = (purge.all(input.accountId, input.streamName, input.now) as LeaseRow[]).map(toLease);
      const leases = (current.all(input.accountId, input.streamName) as LeaseRow[]).map(toLease);
      // Refused means a live lease remains: the lapsed ones ended nothing, dropping them is harmless.
      if (!leaseGrantable(leases, input)) return { acquired: false };
      upsert.run({
        account_id: input.accountId,
        stream_name: input.streamName,
        holder_id: input.holderId,
        token_id: input.tokenId,
        source_id: input.sourceId,
        now: input.now,
        expires_on: input.now + input.ttlMs,
      });
      const endedRun = leases.length === 0 ? lastLapsed(lapsed) : undefined;
      return endedRun ? { acquired: true, started: true, endedRun } : { acquired: true, started: leases.length === 0 };
    });
    return run.immediate();
  }

  async renewLease(accountId: number, streamName: string, holderId: string, now: number, ttlMs: number) {
    return (
      this.#stmt(
        `UPDATE live_leases SET expires_on = ?
          WHERE account_id = ? AND stream_name = ? AND holder_id = ? AND expires_on > ?`,
      ).run(now + ttlMs, accountId, streamName, holderId, now).changes > 0
    );
  }

  async releaseLease(accountId: number, streamName: string, holderId: string, now: number) {
    const del = this.#stmt('DELETE FROM live_leases WHERE account_id = ? AND stream_name = ? AND holder_id = ?');
    const left = this.#stmt(
      'SELECT COUNT(*) AS n FROM live_leases WHERE account_id = ? AND stream_name = ? AND expires_on > ?',
    );
    const purgeLapsed = this.#stmt(
      'DELETE FROM live_leases WHERE account_id = ? AND stream_name = ? AND expires_on <= ?',
    );
    return this.db
      .transaction(() => {
        const released = del.run(accountId, streamName, holderId).changes > 0;
        const { n } = left.get(accountId, streamName, now) as { n: number };
        const ended = released && n === 0;
        // This call announces the end: lapsed leases left behind must not be announced again.
        if (ended) purgeLapsed.run(accountId, streamName, now);
        return { released, ended };
      })
      .immediate();
  }

  async liveLeases(accountId: number, streamName: string, now: number): Promise<LiveLease[]> {
    return (
      this.#stmt(
        'SELECT * FROM live_leases WHERE account_id = ? AND stream_name = ? AND expires_on > ? ORDER BY started_on',
      ).all(accountId, streamName, now) as LeaseRow[]
    ).map(toLease);
  }

  async accountLiveLeases(accountId: number, now: number): Promise<LiveLease[]> {
    return (
      this.#stmt(
        'SELECT * FROM live_leases WHERE account_id = ? AND expires_on > ? ORDER BY stream_name, started_on',
      ).all(accountId, now) as LeaseRow[]
    ).map(toLease);
  }

  async expireLeases(now: number): Promise<LiveLease[]> {
    return (this.#stmt('DELETE FROM live_leases WHERE expires_on <= ? RETURNING *').all(now) as LeaseRow[]).map(
      toLease,
    );
  }

  async signingKeys(): Promise<SigningKeyRecord[]> {
    const rows = this.#stmt('SELECT * FROM signing_keys ORDER BY created_on, kid').all() as {
      kid: string;
      alg: string;
      private_key_pem: string;
      public_jwk: string;
      created_on: number;
    }[];
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      privateKeyPem: r.private_key_pem,
      publicJwk: JSON.parse(r.public_jwk),
      createdOn: r.created_on,
    }));
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#stmt(
      'INSERT OR IGNORE INTO signing_keys (kid, alg, private_key_pem, public_jwk, created_on) VALUES (?, ?, ?, ?, ?)',
    ).run(key.kid, key.alg, key.privateKeyPem, JSON.stringify(key.publicJwk), key.createdOn);
  }

  // webhooks

  async createWebhook(input: WebhookState & { accountId: number; now: number }): Promise<WebhookRecord> {
    const row = this.#stmt(
      `INSERT INTO webhooks (account_id, url, secret, is_feed_hooks, is_recording_hooks, is_thumbnail_hooks,
         is_transcoder_hooks, is_media_hooks, is_viewer_connection_hooks, added_on)
       VALUES (@account_id, @url, @secret, @is_feed_hooks, @is_recording_hooks, @is_thumbnail_hooks,
         @is_transcoder_hooks, @is_media_hooks, @is_viewer_connection_hooks, @added_on)
       RETURNING *`,
    ).get({ account_id: input.accountId, added_on: input.now, ...webhookParams(input) }) as WebhookRow;
    return toWebhook(row);
  }

  async getWebhook(accountId: number, id: number): Promise<WebhookRecord | null> {
    const row = this.#stmt('SELECT * FROM webhooks WHERE account_id = ? AND id = ?').get(accountId, id) as
      | WebhookRow
      | undefined;
    return row ? toWebhook(row) : null;
  }

  async updateWebhook(accountId: number, id: number, state: WebhookState): Promise<WebhookRecord | null> {
    const row = this.#stmt(
      `UPDATE webhooks SET url = @url, secret = @secret, is_feed_hooks = @is_feed_hooks,
         is_recording_hooks = @is_recording_hooks, is_thumbnail_hooks = @is_thumbnail_hooks,
         is_transcoder_hooks = @is_transcoder_hooks, is_media_hooks = @is_media_hooks,
         is_viewer_connection_hooks = @is_viewer_connection_hooks
       WHERE account_id = @account_id AND id = @id
       RETURNING *`,
    ).get({ account_id: accountId, id, ...webhookParams(state) }) as WebhookRow | undefined;
    return row ? toWebhook(row) : null;
  }

  async deleteWebhook(accountId: number, id: number): Promise<boolean> {
    return this.#stmt('DELETE FROM webhooks WHERE account_id = ? AND id = ?').run(accountId, id).changes > 0;
  }

  async listWebhooks(accountId: number, query: WebhookListQuery): Promise<WebhookRecord[]> {
    const sql = query.isDescending
      ? 'SELECT * FROM webhooks WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?'
      : 'SELECT * FROM webhooks WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?';
    const from = query.startingId ?? (query.isDescending ? Number.MAX_SAFE_INTEGER : 0);
    return (this.#stmt(sql).all(accountId, from, query.itemCount) as WebhookRow[]).map(toWebhook);
  }

  async webhooksFor(accountId: number, hook: WebhookHook): Promise<WebhookRecord[]> {
    const column = WEBHOOK_HOOK_COLUMNS[hook];
    return (
      this.#stmt(`SELECT * FROM webhooks WHERE account_id = ? AND ${column} = 1 ORDER BY id`).all(
        accountId,
      ) as WebhookRow[]
    ).map(toWebhook);
  }
}

interface WebhookRow {
  id: number;
  account_id: number;
  url: string;
  secret: string;
  is_feed_hooks: number;
  is_recording_hooks: number;
  is_thumbnail_hooks: number;
  is_transcoder_hooks: number;
  is_media_hooks: number;
  is_viewer_connection_hooks: number;
  added_on: number;
}

/** Column of each hook flag (a closed list: the only text ever put into webhooksFor's SQL). */
const WEBHOOK_HOOK_COLUMNS: Record<WebhookHook, string> = {
  isFeedHooks: 'is_feed_hooks',
  isRecordingHooks: 'is_recording_hooks',
  isThumbnailHooks: 'is_thumbnail_hooks',
  isTranscoderHooks: 'is_transcoder_hooks',
  isMediaHooks: 'is_media_hooks',
  isViewerConnectionHooks: 'is_viewer_connection_hooks',
};

function webhookParams(s: WebhookState) {
  return {
    url: s.url,
    secret: s.secret,
    is_feed_hooks: s.isFeedHooks ? 1 : 0,
    is_recording_hooks: s.isRecordingHooks ? 1 : 0,
    is_thumbnail_hooks: s.isThumbnailHooks ? 1 : 0,
    is_transcoder_hooks: s.isTranscoderHooks ? 1 : 0,
    is_media_hooks: s.isMediaHooks ? 1 : 0,
    is_viewer_connection_hooks: s.isViewerConnectionHooks ? 1 : 0,
  };
}

function toWebhook(r: WebhookRow): WebhookRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    url: r.url,
    secret: r.secret,
    isFeedHooks: r.is_feed_hooks === 1,
    isRecordingHooks: r.is_recording_hooks === 1,
    isThumbnailHooks: r.is_thumbnail_hooks === 1,
    isTranscoderHooks: r.is_transcoder_hooks === 1,
    isMediaHooks: r.is_media_hooks === 1,
    isViewerConnectionHooks: r.is_viewer_connection_hooks === 1,
    addedOn: r.added_on,
  };
}
