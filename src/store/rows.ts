/**
 * Row shapes and their mapping to domain records that SQLite and PostgreSQL share (both stores
 * hold these columns as plain integers and text).
 */
import type { Account, ApiSecretRecord, LiveLease } from '../domain/model.js';

export interface AccountRow {
  id: number;
  stream_account_id: string;
  name: string;
  created_on: number;
}

export interface SecretRow {
  id: number;
  account_id: number;
  label: string;
  hash: string;
  added_on: number;
  refreshed_on: number | null;
}

export interface LeaseRow {
  account_id: number;
  stream_name: string;
  holder_id: string;
  token_id: number;
  source_id: string | null;
  started_on: number;
  expires_on: number;
}

export const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  streamAccountId: r.stream_account_id,
  name: r.name,
  createdOn: r.created_on,
});

export const toSecret = (r: SecretRow): ApiSecretRecord => ({
  id: r.id,
  accountId: r.account_id,
  label: r.label,
  hash: r.hash,
  addedOn: r.added_on,
  refreshedOn: r.refreshed_on,
});

export const toLease = (r: LeaseRow): LiveLease => ({
  accountId: r.account_id,
  streamName: r.stream_name,
  holderId: r.holder_id,
  tokenId: r.token_id,
  sourceId: r.source_id,
  startedOn: r.started_on,
  expiresOn: r.expires_on,
});
