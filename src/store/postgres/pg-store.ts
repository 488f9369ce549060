import pg from 'pg';
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
import type { StreamRule } from '../../domain/stream-rule.js';
import { type AccountRow, type LeaseRow, type SecretRow, toAccount, toLease, toSecret } from '../rows.js';
import type { DecisionRead, Store } from '../store.js';
import { StoreUnavailableError } from '../store-errors.js';
import { ASCII_FOLD_SQL, pgMigrations } from './migrations.js';

export interface PgStoreOptions {
  /** Most connections the pool opens (default: `pool_max` in the URL, else 10). */
  readonly poolMax?: number;
  /** How long to wait for a connection, new or from the pool, before failing (default 5000 ms). */
  readonly connectionTimeoutMillis?: number;
  /** How long an unused connection stays open (default 30000 ms). */
  readonly idleTimeoutMillis?: number;
  /**
   * Longest a statement may run, server-side (`statement_timeout`, default: `statement_timeout`
   * in the URL, else 5000 ms). The client gives up on an answer 1 s later still, so a database that
   * hangs (or a network that drops packets silently) yields DATABASE_UNAVAILABLE, never a hung request.
   */
  readonly statementTimeoutMillis?: number;
  /**
   * Called when an idle pooled connection fails (the server restarted, the network dropped).
   * The pool discards that connection and opens a new one when needed; nothing else happens.
   */
  readonly onIdleError?: (err: Error) => void;
}

const DEFAULT_POOL_MAX = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
/** How much longer than the server's statement timeout the client waits for an answer. */
const CLIENT_GRACE_MS = 1000;

/** Advisory lock (two-int key space, apart from the per-stream bigint locks) held while migrating. */
const MIGRATION_LOCK: readonly [number, number] = [0x5347, 1];

/** bigint (OID 20) as a JS number: ids and epoch milliseconds stay far below 2^53. */
const INT8_OID = 20;
const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return (pg.types.getTypeParser as (oid: number, format?: string) => any)(oid, format);
  },
};

/** Socket-level failures: the server is not there (or went away). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL error codes meaning the server cannot serve us now: 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up / shutting down),
 * 53300 too_many_connections, 57014 query_canceled (our statement_timeout fired: the database is
 * too slow or stuck to answer in time), and class 08 (connection exceptions).
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

const CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable|Query read timeout/i;

/** Whether `err` says the database is unreachable rather than that a query was wrong. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) {
    return true;
  }
  if (err instanceof AggregateError && err.errors.some(isConnectionError)) return true;
  return CONNECTION_MESSAGES.test(err.message);
}

function translate(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  return isConnectionError(err) ? new StoreUnavailableError(err) : err;
}

/** The URL pg is given (without our own parameters) and the pool settings it carried. */
export function parsePgUrl(databaseUrl: string): {
  connectionString: string;
  poolMax: number | undefined;
  connectTimeoutMs: number | undefined;
  statementTimeoutMs: number | undefined;
  target: string;
} {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    // The message must not echo the URL: it may hold a password.
    throw new Error('the PostgreSQL database URL is not a valid URL (postgres://user:password@host:port/database)');
  }
  let poolMax: number | undefined;
  const rawMax = url.searchParams.get('pool_max');
  if (rawMax !== null) {
    poolMax = Number(rawMax);
    if (!Number.isInteger(poolMax) || poolMax < 1 || poolMax > 1000) {
      throw new Error(`pool_max in the database URL must be an integer 1-1000, got '${rawMax}'`);
    }
    url.searchParams.delete('pool_max');
  }
  // libpq's connect_timeout is in seconds.
  let connectTimeoutMs: number | undefined;
  const rawTimeout = url.searchParams.get('connect_timeout');
  if (rawTimeout !== null) {
    const seconds = Number(rawTimeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new Error(`connect_timeout in the database URL must be a positive number of seconds, got '${rawTimeout}'`);
    }
    connectTimeoutMs = Math.round(seconds * 1000);
    url.searchParams.delete('connect_timeout');
  }
  // In milliseconds, as PostgreSQL's own setting is.
  let statementTimeoutMs: number | undefined;
  const rawStatement = url.searchParams.get('statement_timeout');
  if (rawStatement !== null) {
    statementTimeoutMs = Number(rawStatement);
    if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 1 || statementTimeoutMs > 3_600_000) {
      throw new Error(
        `statement_timeout in the database URL must be an integer 1-3600000 (milliseconds), got '${rawStatement}'`,
      );
    }
    url.searchParams.delete('statement_timeout');
  }
  const host = url.searchParams.get('host') ?? (url.hostname || 'localhost');
  const target = `${host}:${url.port || '5432'}${url.pathname || '/'}`;
  return { connectionString: url.toString(), poolMax, connectTimeoutMs, statementTimeoutMs, target };
}

interface TokenRow {
  id: number;
  account_id: number;
  kind: TokenKind;
  label: string;
  token: string;
  added_on: number;
  expires_on: number | null;
  is_active: boolean;
  streams: StreamRule[];
  allowed_origins: string[];
  allowed_ip_addresses: string[];
  bind_ips_on_usage: number;
  subscribe_requires_auth: boolean;
  record: boolean;
  multisource: boolean;
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
  isActive: r.is_active,
  // jsonb keeps its own key order; rebuild the objects in the order the API writes them.
  streams: r.streams.map((s) => ({ streamName: s.streamName, isRegex: s.isRegex })),
  allowedOrigins: r.allowed_origins,
  allowedIpAddresses: r.allowed_ip_addresses,
  bindIpsOnUsage: r.bind_ips_on_usage,
  subscribeRequiresAuth: r.subscribe_requires_auth,
  record: r.record,
  multisource: r.multisource,
  tracking: r.tracking_id === null ? null : { trackingId: r.tracking_id },
  version: r.version,
});

interface WebhookRow {
  id: number;
  account_id: number;
  url: string;
  secret: string;
  is_feed_hooks: boolean;
  is_recording_hooks: boolean;
  is_thumbnail_hooks: boolean;
  is_transcoder_hooks: boolean;
  is_media_hooks: boolean;
  is_viewer_connection_hooks: boolean;
  added_on: number;
}

/** The column of each hook flag: a closed map, so no caller's string reaches the SQL text. */
const HOOK_COLUMNS: Readonly<Record<WebhookHook, string>> = {
  isFeedHooks: 'is_feed_hooks',
  isRecordingHooks: 'is_recording_hooks',
  isThumbnailHooks: 'is_thumbnail_hooks',
  isTranscoderHooks: 'is_transcoder_hooks',
  isMediaHooks: 'is_media_hooks',
  isViewerConnectionHooks: 'is_viewer_connection_hooks',
};

const toWebhook = (r: WebhookRow): WebhookRecord => ({
  id: r.id,
  accountId: r.account_id,
  url: r.url,
  secret: r.secret,
  isFeedHooks: r.is_feed_hooks,
  isRecordingHooks: r.is_recording_hooks,
  isThumbnailHooks: r.is_thumbnail_hooks,
  isTranscoderHooks: r.is_transcoder_hooks,
  isMediaHooks: r.is_media_hooks,
  isViewerConnectionHooks: r.is_viewer_connection_hooks,
  addedOn: r.added_on,
});

/** $1..$8 of a webhook state, in the order the INSERT and UPDATE name them. */
const webhookValues = (s: WebhookState): unknown[] => [
  s.url,
  s.secret,
  s.isFeedHooks,
  s.isRecordingHooks,
  s.isThumbnailHooks,
  s.isTranscoderHooks,
  s.isMediaHooks,
  s.isViewerConnectionHooks,
];

/** $n parameters 1..12 of a token state, in the order the INSERT and UPDATE below name them. */
function stateValues(s: TokenState): unknown[] {
  return [
    s.label,
    s.token,
    s.expiresOn,
    s.isActive,
    JSON.stringify(s.streams.map((r) => ({ streamName: r.streamName, isRegex: r.isRegex }))),
    JSON.stringify(s.allowedOrigins),
    JSON.stringify(s.allowedIpAddresses),
    s.bindIpsOnUsage,
    s.subscribeRequiresAuth,
    s.record,
    s.multisource,
    s.tracking?.trackingId ?? null,
  ];
}

/**
 * LIKE pattern for a substring search with the user's % and _ taken literally, ASCII letters
 * lower-cased to meet the folded column (SQLite's LIKE is case-insensitive for ASCII only).
 */
function foldedContains(text: string): string {
  const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/[A-Z]/g, (c) => c.toLowerCase());
  return `%${escaped}%`;
}

/** Ids the database can hold; anything else names no row (and must not become a query error). */
const isId = (id: number) => Number.isSafeInteger(id);

/** Lock key of one stream for the length of a transaction. */
const STREAM_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('lease/' || $1::text || '/' || $2::text, 0))";

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The networked store: PostgreSQL through a pg connection pool, for several Streamgate nodes
 * sharing one database. Every guarantee holds across nodes: binding and lease decisions run in
 * the database (a conditional UPDATE, a per-stream advisory lock), not in this process.
 * Connection-level failures surface as StoreUnavailableError; the pool drops broken connections
 * and reconnects on the next call, so a node recovers by itself when the database is back.
 */
export class PgStore implements Store {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  /** host:port/database, for messages (never the password). */
  readonly target: string;
  #closed = false;

  constructor(databaseUrl: string, options: PgStoreOptions = {}) {
    const parsed = parsePgUrl(databaseUrl);
    this.target = parsed.target;
    const statementTimeout =
      options.statementTimeoutMillis ?? parsed.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    this.pool = new pg.Pool({
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + CLIENT_GRACE_MS,
      connectionString: parsed.connectionString,
      max: options.poolMax ?? parsed.poolMax ?? DEFAULT_POOL_MAX,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? parsed.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
      keepAlive: true,
      application_name: 'streamgate',
      types: typeParsers,
    } as pg.PoolConfig);
    // Without a listener an idle connection's error (server restart) would crash the process.
    const onIdleError = options.onIdleError ?? (() => {});
    this.pool.on('error', (err) => onIdleError(err));
  }

  /**
   * One statement, on `on` or any pooled connection. Unnamed (not kept prepared): a kept
   * `SELECT *` plan would fail on every call once another node's migration added a column.
   */
  async #q<R>(sql: string, values: unknown[] = [], on?: Queryable): Promise<R[]> {
    try {
      const res = await (on ?? this.pool).query(sql, values);
      return res.rows as R[];
    } catch (err) {
      throw translate(err);
    }
  }

  /** Runs `fn` in a transaction on one connection; a connection that failed is discarded, not reused. */
  async #tx<T>(fn: (c: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    // A checked-out client has no pool listener: without ours its 'error' event would crash the process.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      if (isConnectionError(err)) broken ??= err as Error;
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error;
        }
      }
      throw translate(err);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    await this.#tx(async (c) => {
      // Nodes starting together queue here; each then sees what the first one applied.
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_on BIGINT NOT NULL)',
      );
      const { rows } = await c.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      for (const m of pgMigrations) {
        if (applied.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_on) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Date.now(),
        ]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.#q('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }

  async createAccount(input: { name: string; streamAccountId: string }): Promise<Account> {
    const [row] = await this.#q<AccountRow>(
      'INSERT INTO accounts (stream_account_id, name, created_on) VALUES ($1, $2, $3) RETURNING *',
      [input.streamAccountId, input.name, Date.now()],
    );
    return toAccount(row!);
  }

  async getAccount(id: number): Promise<Account | null> {
    if (!isId(id)) return null;
    const [row] = await this.#q<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
    return row ? toAccount(row) : null;
  }

  async getAccountByStreamAccountId(streamAccountId: string): Promise<Account | null> {
    const [row] = await this.#q<AccountRow>('SELECT * FROM accounts WHERE stream_account_id = $1', [streamAccountId]);
    return row ? toAccount(row) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.#q<AccountRow>('SELECT * FROM accounts ORDER BY id')).map(toAccount);
  }

  async createApiSecret(input: { accountId: number; label: string; hash: string }): Promise<ApiSecretRecord> {
    const [row] = await this.#q<SecretRow>(
      'INSERT INTO api_secrets (account_id, label, hash, added_on) VALUES ($1, $2, $3, $4) RETURNING *',
      [input.accountId, input.label, input.hash, Date.now()],
    );
    return toSecret(row!);
  }

  async listApiSecrets(accountId: number): Promise<ApiSecretRecord[]> {
    if (!isId(accountId)) return [];
    return (await this.#q<SecretRow>('SELECT * FROM api_secrets WHERE account_id = $1 ORDER BY id', [accountId])).map(
      toSecret,
    );
  }

  async getApiSecret(accountId: number, id: number): Promise<ApiSecretRecord | null> {
    if (!isId(accountId) || !isId(id)) return null;
    const [row] = await this.#q<SecretRow>('SELECT * FROM api_secrets WHERE account_id = $1 AND id = $2', [
      accountId,
      id,
    ]);
    return row ? toSecret(row) : null;
  }

  async replaceApiSecretHash(accountId: number, id: number, hash: string): Promise<ApiSecretRecord | null> {
    if (!isId(accountId) || !isId(id)) return null;
    const [row] = await this.#q<SecretRow>(
      'UPDATE api_secrets SET hash = $1, refreshed_on = $2 WHERE account_id = $3 AND id = $4 RETURNING *',
      [hash, Date.now(), accountId, id],
    );
    return row ? toSecret(row) : null;
  }

  async deleteApiSecret(accountId: number, id: number): Promise<boolean> {
    if (!isId(accountId) || !isId(id)) return false;
    const rows = await this.#q('DELETE FROM api_secrets WHERE account_id = $1 AND id = $2 RETURNING id', [
      accountId,
      id,
    ]);
    return rows.length > 0;
  }

  async findApiSecretByHash(hash: string): Promise<{ secret: ApiSecretRecord; account: Account } | null> {
    const [row] = await this.#q<SecretRow & { stream_account_id: string; name: string; created_on: number }>(
      `SELECT s.*, a.stream_account_id, a.name, a.created_on
         FROM api_secrets s JOIN accounts a ON a.id = s.account_id
        WHERE s.hash = $1`,
      [hash],
    );
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
    const [row] = await this.#q<TokenRow>(
      `INSERT INTO tokens (label, token, expires_on, is_active, streams, allowed_origins, allowed_ip_addresses,
          bind_ips_on_usage, subscribe_requires_auth, record, multisource, tracking_id, account_id, kind, added_on)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15)
       RETURNING *`,
      [...stateValues(input.state), input.accountId, input.kind, Date.now()],
    );
    return toToken(row!);
  }

  async getToken(accountId: number, kind: TokenKind, id: number): Promise<TokenRecord | null> {
    if (!isId(accountId) || !isId(id)) return null;
    const [row] = await this.#q<TokenRow>('SELECT * FROM tokens WHERE id = $1 AND account_id = $2 AND kind = $3', [
      id,
      accountId,
      kind,
    ]);
    return row ? toToken(row) : null;
  }

  async getTokenByValue(kind: TokenKind, value: string): Promise<TokenRecord | null> {
    // PostgreSQL text cannot hold U+0000, so no stored token has one.
    if (value.includes('\u0000')) return null;
    const [row] = await this.#q<TokenRow>('SELECT * FROM tokens WHERE token = $1 AND kind = $2', [value, kind]);
    return row ? toToken(row) : null;
  }

  async updateToken(
    accountId: number,
    kind: TokenKind,
    id: number,
    expectedVersion: number,
    state: TokenState,
  ): Promise<TokenRecord | null> {
    if (!isId(accountId) || !isId(id) || !Number.isSafeInteger(expectedVersion)) return null;
    const [row] = await this.#q<TokenRow>(
      `UPDATE tokens SET label = $1, token = $2, expires_on = $3, is_active = $4, streams = $5::jsonb,
          allowed_origins = $6::jsonb, allowed_ip_addresses = $7::jsonb, bind_ips_on_usage = $8,
          subscribe_requires_auth = $9, record = $10, multisource = $11, tracking_id = $12, version = version + 1
        WHERE id = $13 AND account_id = $14 AND kind = $15 AND version = $16
        RETURNING *`,
      [...stateValues(state), id, accountId, kind, expectedVersion],
    );
    return row ? toToken(row) : null;
  }

  async deleteToken(accountId: number, kind: TokenKind, id: number): Promise<boolean> {
    if (!isId(accountId) || !isId(id)) return false;
    const rows = await this.#q('DELETE FROM tokens WHERE id = $1 AND account_id = $2 AND kind = $3 RETURNING id', [
      id,
      accountId,
      kind,
    ]);
    return rows.length > 0;
  }

  async listTokens(accountId: number, kind: TokenKind, q: TokenListQuery): Promise<TokenRecord[]> {
    if (!isId(accountId)) return [];
    const dir = q.isDescending ? 'DESC' : 'ASC';
    const order = q.sortBy === 'Name' ? `${ASCII_FOLD_SQL('label')} ${dir}, id ${dir}` : `added_on ${dir}, id ${dir}`;
    const values: unknown[] = [accountId, kind, q.itemsOnPage, (q.page - 1) * q.itemsOnPage];
    let where = 'account_id = $1 AND kind = $2';
    if (q.filter) {
      // No stored label or stream name holds U+0000 (text cannot), so nothing matches.
      if (q.filter.name.includes('\u0000')) return [];
      values.push(foldedContains(q.filter.name));
      // Regex stream rules are not names, so a stream-name search skips them (as Millicast does).
      const byLabel = `${ASCII_FOLD_SQL('label')} LIKE $5 ESCAPE '\\'`;
      const byStream = `EXISTS (SELECT 1 FROM jsonb_array_elements(tokens.streams) j
          WHERE j->'isRegex' = 'false'::jsonb AND ${ASCII_FOLD_SQL("j->>'streamName'")} LIKE $5 ESCAPE '\\')`;
      const cond =
        q.filter.by === 'TokenName' ? byLabel : q.filter.by === 'StreamName' ? byStream : `(${byLabel} OR ${byStream})`;
      where += ` AND ${cond}`;
    }
    const rows = await this.#q<TokenRow>(
      `SELECT * FROM tokens WHERE ${where} ORDER BY ${order} LIMIT $3 OFFSET $4`,
      values,
    );
    return rows.map(toToken);
  }

  async disableTokens(accountId: number, kind: TokenKind, ids: readonly number[]): Promise<number[]> {
    const wanted = ids.filter(isId);
    if (!isId(accountId) || wanted.length === 0) return [];
    const rows = await this.#q<{ id: number }>(
      `UPDATE tokens SET is_active = FALSE, version = version + 1
        WHERE id = ANY($1::bigint[]) AND account_id = $2 AND kind = $3 RETURNING id`,
      [wanted, accountId, kind],
    );
    const found = new Set(rows.map((r) => r.id));
    return wanted.filter((id) => found.has(id));
  }

  async getTokenById(kind: TokenKind, id: number): Promise<TokenRecord | null> {
    if (!isId(id)) return null;
    const [row] = await this.#q<TokenRow>('SELECT * FROM tokens WHERE id = $1 AND kind = $2', [id, kind]);
    return row ? toToken(row) : null;
  }

  async tokenForDecision(
    kind: TokenKind,
    by: { readonly value: string } | { readonly id: number },
    streamName: string,
    now: number,
  ): Promise<DecisionRead | null> {
    if ('value' in by ? by.value.includes('\u0000') : !isId(by.id)) return null;
    const [row] = await this.#q<TokenRow & { live_leases: number }>(
      `SELECT t.*, (SELECT COUNT(*) FROM live_leases l
                     WHERE l.account_id = t.account_id AND l.stream_name = $3 AND l.expires_on > $4) AS live_leases
         FROM tokens t WHERE ${'value' in by ? 't.token' : 't.id'} = $1 AND t.kind = $2`,
      ['value' in by ? by.value : by.id, kind, streamName, now],
    );
    return row ? { token: toToken(row), liveLeases: row.live_leases } : null;
  }

  async bindIp(tokenId: number, ip: string, max: number): Promise<BindResult> {
    if (!isId(tokenId)) return 'gone';
    // One conditional UPDATE: concurrent binders of the same row queue on its row lock and each
    // re-checks the condition against the row the previous one left, so at most `max` succeed.
    const bound = await this.#q(
      `UPDATE tokens SET allowed_ip_addresses = allowed_ip_addresses || jsonb_build_array($2::text),
              version = version + 1
        WHERE id = $1 AND jsonb_array_length(allowed_ip_addresses) < $3 AND NOT (allowed_ip_addresses ? $2::text)
        RETURNING id`,
      [tokenId, ip, max],
    );
    if (bound.length > 0) return 'bound';
    const [row] = await this.#q<{ has: boolean }>(
      'SELECT (allowed_ip_addresses ? $2::text) AS has FROM tokens WHERE id = $1',
      [tokenId, ip],
    );
    if (!row) return 'gone';
    return row.has ? 'bound' : 'full';
  }

  async acquireLease(input: LeaseRequest & { now: number; ttlMs: number }): Promise<AcquireResult> {
    return this.#tx(async (c) => {
      // Every node deciding on this stream queues here, so the check and the insert are one step.
      await this.#q(STREAM_LOCK_SQL, [input.accountId, input.streamName], c);
      const lapsed = await this.#q<LeaseRow>(
        'DELETE FROM live_leases WHERE account_id = $1 AND stream_name = $2 AND expires_on <= $3 RETURNING *',
        [input.accountId, input.streamName, input.now],
        c,
      );
      const rows = await this.#q<LeaseRow>(
        'SELECT * FROM live_leases WHERE account_id = $1 AND stream_name = $2',
        [input.accountId, input.streamName],
        c,
      );
      const leases = rows.map(toLease);
      if (!leaseGrantable(leases, input)) return { acquired: false } as const;
      await this.#q(
        `INSERT INTO live_leases (account_id, stream_name, holder_id, token_id, source_id, started_on, expires_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account_id, stream_name, holder_id) DO UPDATE SET expires_on = EXCLUDED.expires_on`,
        [
          input.accountId,
          input.streamName,
          input.holderId,
          input.tokenId,
          input.sourceId,
          input.now,
          input.now + input.ttlMs,
        ],
        c,
      );
      // Lapsed leases nobody swept, and no live one: the previous run ended unannounced.
      const endedRun = leases.length === 0 ? lastLapsed(lapsed.map(toLease)) : undefined;
      return endedRun
        ? ({ acquired: true, started: true, endedRun } as const)
        : ({ acquired: true, started: leases.length === 0 } as const);
    });
  }

  async renewLease(accountId: number, streamName: string, holderId: string, now: number, ttlMs: number) {
    const rows = await this.#q(
      `UPDATE live_leases SET expires_on = $1
        WHERE account_id = $2 AND stream_name = $3 AND holder_id = $4 AND expires_on > $5
        RETURNING holder_id`,
      [now + ttlMs, accountId, streamName, holderId, now],
    );
    return rows.length > 0;
  }

  async releaseLease(accountId: number, streamName: string, holderId: string, now: number) {
    return this.#tx(async (c) => {
      // Under the stream's lock, so a concurrent acquire cannot slip between the delete and the count.
      await this.#q(STREAM_LOCK_SQL, [accountId, streamName], c);
      const gone = await this.#q(
        'DELETE FROM live_leases WHERE account_id = $1 AND stream_name = $2 AND holder_id = $3 RETURNING holder_id',
        [accountId, streamName, holderId],
        c,
      );
      const [left] = await this.#q<{ n: number }>(
        'SELECT COUNT(*) AS n FROM live_leases WHERE account_id = $1 AND stream_name = $2 AND expires_on > $3',
        [accountId, streamName, now],
        c,
      );
      const released = gone.length > 0;
      const ended = released && left!.n === 0;
      if (ended) {
        // This call announces the end; expired leases left behind must not make a sweeper announce it again.
        await this.#q(
          'DELETE FROM live_leases WHERE account_id = $1 AND stream_name = $2 AND expires_on <= $3',
          [accountId, streamName, now],
          c,
        );
      }
      return { released, ended };
    });
  }

  async liveLeases(accountId: number, streamName: string, now: number): Promise<LiveLease[]> {
    const rows = await this.#q<LeaseRow>(
      'SELECT * FROM live_leases WHERE account_id = $1 AND stream_name = $2 AND expires_on > $3 ORDER BY started_on',
      [accountId, streamName, now],
    );
    return rows.map(toLease);
  }

  async accountLiveLeases(accountId: number, now: number): Promise<LiveLease[]> {
    const rows = await this.#q<LeaseRow>(
      `SELECT * FROM live_leases WHERE account_id = $1 AND expires_on > $2
        ORDER BY stream_name COLLATE "C", started_on`,
      [accountId, now],
    );
    return rows.map(toLease);
  }

  /**
   * Ends the streams whose every lease has lapsed: deletes those leases and returns them. Each
   * stream is decided under its lock, in one transaction, so of several nodes sweeping at once
   * exactly one receives a given stream's leases, and an acquire or release on the same stream runs
   * wholly before or after (never between the delete and the "nothing left" check).
   *
   * Lapsed leases of a stream that still has a live one stay in place: every read ignores them,
   * and the acquire or release that next decides on that stream clears them. Hence any stream in
   * the result has ended, and no stream is announced as ended twice.
   */
  async expireLeases(now: number): Promise<LiveLease[]> {
    const candidates = await this.#q<{ account_id: number; stream_name: string }>(
      `SELECT DISTINCT account_id, stream_name FROM live_leases l
        WHERE expires_on <= $1
          AND NOT EXISTS (SELECT 1 FROM live_leases o
                           WHERE o.account_id = l.account_id AND o.stream_name = l.stream_name AND o.expires_on > $1)`,
      [now],
    );
    const out: LiveLease[] = [];
    for (const { account_id, stream_name } of candidates) {
      let rows: LeaseRow[];
      try {
        rows = await this.#tx(async (c) => {
          await this.#q(STREAM_LOCK_SQL, [account_id, stream_name], c);
          // Re-checked under the lock: another sweeper may have taken it, a publisher may have come.
          return this.#q<LeaseRow>(
            `DELETE FROM live_leases
            WHERE account_id = $1 AND stream_name = $2 AND expires_on <= $3
              AND NOT EXISTS (SELECT 1 FROM live_leases o
                               WHERE o.account_id = $1 AND o.stream_name = $2 AND o.expires_on > $3)
            RETURNING *`,
            [account_id, stream_name, now],
            c,
          );
        });
      } catch (err) {
        // Streams already ended by this call are committed: hand them over (to be announced);
        // the rest waits for the next sweep.
        if (out.length > 0) return out;
        throw err;
      }
      out.push(...rows.map(toLease));
    }
    return out;
  }

  async signingKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.#q<{
      kid: string;
      alg: string;
      private_key_pem: string;
      public_jwk: string;
      created_on: number;
    }>('SELECT * FROM signing_keys ORDER BY created_on, kid COLLATE "C"');
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      privateKeyPem: r.private_key_pem,
      publicJwk: JSON.parse(r.public_jwk),
      createdOn: r.created_on,
    }));
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.#q(
      `INSERT INTO signing_keys (kid, alg, private_key_pem, public_jwk, created_on) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kid) DO NOTHING`,
      [key.kid, key.alg, key.privateKeyPem, JSON.stringify(key.publicJwk), key.createdOn],
    );
  }

  // webhooks

  async createWebhook(input: WebhookState & { accountId: number; now: number }): Promise<WebhookRecord> {
    const [row] = await this.#q<WebhookRow>(
      `INSERT INTO webhooks (url, secret, is_feed_hooks, is_recording_hooks, is_thumbnail_hooks, is_transcoder_hooks,
          is_media_hooks, is_viewer_connection_hooks, account_id, added_on)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [...webhookValues(input), input.accountId, input.now],
    );
    return toWebhook(row!);
  }

  async getWebhook(accountId: number, id: number): Promise<WebhookRecord | null> {
    if (!isId(accountId) || !isId(id)) return null;
    const [row] = await this.#q<WebhookRow>('SELECT * FROM webhooks WHERE account_id = $1 AND id = $2', [
      accountId,
      id,
    ]);
    return row ? toWebhook(row) : null;
  }

  async updateWebhook(accountId: number, id: number, state: WebhookState): Promise<WebhookRecord | null> {
    if (!isId(accountId) || !isId(id)) return null;
    const [row] = await this.#q<WebhookRow>(
      `UPDATE webhooks SET url = $1, secret = $2, is_feed_hooks = $3, is_recording_hooks = $4,
          is_thumbnail_hooks = $5, is_transcoder_hooks = $6, is_media_hooks = $7, is_viewer_connection_hooks = $8
        WHERE account_id = $9 AND id = $10 RETURNING *`,
      [...webhookValues(state), accountId, id],
    );
    return row ? toWebhook(row) : null;
  }

  async deleteWebhook(accountId: number, id: number): Promise<boolean> {
    if (!isId(accountId) || !isId(id)) return false;
    const rows = await this.#q('DELETE FROM webhooks WHERE account_id = $1 AND id = $2 RETURNING id', [accountId, id]);
    return rows.length > 0;
  }

  async listWebhooks(accountId: number, q: WebhookListQuery): Promise<WebhookRecord[]> {
    if (!isId(accountId)) return [];
    // float8: a starting id of any size compares, as in SQLite, instead of failing a bigint cast.
    const after = q.startingId === null ? '' : q.isDescending ? 'AND id < $3::float8' : 'AND id > $3::float8';
    const values: unknown[] = [accountId, q.itemCount];
    if (q.startingId !== null) values.push(q.startingId);
    const rows = await this.#q<WebhookRow>(
      `SELECT * FROM webhooks WHERE account_id = $1 ${after} ORDER BY id ${q.isDescending ? 'DESC' : 'ASC'} LIMIT $2`,
      values,
    );
    return rows.map(toWebhook);
  }

  async webhooksFor(accountId: number, hook: WebhookHook): Promise<WebhookRecord[]> {
    if (!isId(accountId)) return [];
    const column = HOOK_COLUMNS[hook];
    if (!column) return [];
    const rows = await this.#q<WebhookRow>(`SELECT * FROM webhooks WHERE account_id = $1 AND ${column} ORDER BY id`, [
      accountId,
    ]);
    return rows.map(toWebhook);
  }
}
