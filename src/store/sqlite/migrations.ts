/**
 * Versioned schema changes, applied in order on start and by `streamgate db migrate`.
 * Never edit a migration that has shipped: add the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, api secrets, tokens',
    sql: `
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_account_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_on INTEGER NOT NULL
      );
      CREATE TABLE api_secrets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        added_on INTEGER NOT NULL,
        refreshed_on INTEGER
      );
      CREATE INDEX api_secrets_account ON api_secrets(account_id);
      CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('publish', 'subscribe')),
        label TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        added_on INTEGER NOT NULL,
        expires_on INTEGER,
        is_active INTEGER NOT NULL,
        streams TEXT NOT NULL,
        allowed_origins TEXT NOT NULL,
        allowed_ip_addresses TEXT NOT NULL,
        bind_ips_on_usage INTEGER NOT NULL DEFAULT 0,
        subscribe_requires_auth INTEGER NOT NULL DEFAULT 0,
        record INTEGER NOT NULL DEFAULT 0,
        multisource INTEGER NOT NULL DEFAULT 1,
        tracking_id TEXT,
        version INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX tokens_account_kind_label ON tokens(account_id, kind, label COLLATE NOCASE, id);
      CREATE INDEX tokens_account_kind_added ON tokens(account_id, kind, added_on, id);
    `,
  },
  {
    version: 2,
    name: 'live stream leases, server signing keys',
    sql: `
      CREATE TABLE live_leases (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        stream_name TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        token_id INTEGER NOT NULL,
        source_id TEXT,
        started_on INTEGER NOT NULL,
        expires_on INTEGER NOT NULL,
        PRIMARY KEY (account_id, stream_name, holder_id)
      );
      CREATE INDEX live_leases_expiry ON live_leases(expires_on);
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        private_key_pem TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        created_on INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'account webhooks',
    sql: `
      CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        is_feed_hooks INTEGER NOT NULL DEFAULT 0,
        is_recording_hooks INTEGER NOT NULL DEFAULT 0,
        is_thumbnail_hooks INTEGER NOT NULL DEFAULT 0,
        is_transcoder_hooks INTEGER NOT NULL DEFAULT 0,
        is_media_hooks INTEGER NOT NULL DEFAULT 0,
        is_viewer_connection_hooks INTEGER NOT NULL DEFAULT 0,
        added_on INTEGER NOT NULL
      );
      CREATE INDEX webhooks_account ON webhooks(account_id, id);
    `,
  },
];
