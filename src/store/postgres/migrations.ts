import type { Migration } from '../sqlite/migrations.js';

/**
 * Versioned PostgreSQL schema changes, applied in order by PgStore.migrate() (on start and by
 * `streamgate db migrate`) under an advisory lock. Version numbers follow the SQLite list, so
 * both databases hold the same tables at the same version. Never edit a migration that has
 * shipped: add the next one.
 *
 * Types: ids are bigserial and epoch-millisecond times bigint (both read back as JS numbers);
 * list columns are jsonb so that bindIp can test and append in one UPDATE.
 * Labels are sorted and searched case-insensitively for ASCII letters only, on bytes, exactly as
 * SQLite's NOCASE collation and LIKE do, hence the translate(...) COLLATE "C" expressions.
 */
export const ASCII_FOLD_SQL = (expr: string) =>
  `translate(${expr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') COLLATE "C"`;

export const pgMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, api secrets, tokens',
    sql: `
      CREATE TABLE accounts (
        id BIGSERIAL PRIMARY KEY,
        stream_account_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_on BIGINT NOT NULL
      );
      CREATE TABLE api_secrets (
        id BIGSERIAL PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        added_on BIGINT NOT NULL,
        refreshed_on BIGINT
      );
      CREATE INDEX api_secrets_account ON api_secrets(account_id);
      CREATE TABLE tokens (
        id BIGSERIAL PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('publish', 'subscribe')),
        label TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        added_on BIGINT NOT NULL,
        expires_on BIGINT,
        is_active BOOLEAN NOT NULL,
        streams JSONB NOT NULL,
        allowed_origins JSONB NOT NULL,
        allowed_ip_addresses JSONB NOT NULL,
        bind_ips_on_usage INTEGER NOT NULL DEFAULT 0,
        subscribe_requires_auth BOOLEAN NOT NULL DEFAULT FALSE,
        record BOOLEAN NOT NULL DEFAULT FALSE,
        multisource BOOLEAN NOT NULL DEFAULT TRUE,
        tracking_id TEXT,
        version INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX tokens_account_kind_label ON tokens(account_id, kind, (${ASCII_FOLD_SQL('label')}), id);
      CREATE INDEX tokens_account_kind_added ON tokens(account_id, kind, added_on, id);
    `,
  },
  {
    version: 2,
    name: 'live stream leases, server signing keys',
    sql: `
      CREATE TABLE live_leases (
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        stream_name TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        token_id BIGINT NOT NULL,
        source_id TEXT,
        started_on BIGINT NOT NULL,
        expires_on BIGINT NOT NULL,
        PRIMARY KEY (account_id, stream_name, holder_id)
      );
      CREATE INDEX live_leases_expiry ON live_leases(expires_on);
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        private_key_pem TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        created_on BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'webhooks',
    sql: `
      CREATE TABLE webhooks (
        id BIGSERIAL PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        is_feed_hooks BOOLEAN NOT NULL,
        is_recording_hooks BOOLEAN NOT NULL,
        is_thumbnail_hooks BOOLEAN NOT NULL,
        is_transcoder_hooks BOOLEAN NOT NULL,
        is_media_hooks BOOLEAN NOT NULL,
        is_viewer_connection_hooks BOOLEAN NOT NULL,
        added_on BIGINT NOT NULL
      );
      CREATE INDEX webhooks_account ON webhooks(account_id, id);
    `,
  },
];
