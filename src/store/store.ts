import type { Account, ApiSecretRecord, TokenKind, TokenListQuery, TokenRecord, TokenState } from '../domain/model.js';

/**
 * The storage port. The domain and http layers only see this interface, so SQLite and
 * PostgreSQL are interchangeable. Every method is async because the networked database is.
 * Methods scoped by `accountId` never return another account's objects.
 */
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
}
