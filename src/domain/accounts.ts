import type { Store } from '../store/store.js';
import { hashSecret, newApiSecretValue, newStreamAccountId, sameDigest } from './credentials.js';
import { errors } from './errors.js';
import type { Account, ApiSecretRecord } from './model.js';

export interface IssuedSecret {
  readonly record: ApiSecretRecord;
  /** The secret itself: shown once, never stored. */
  readonly value: string;
}

export interface ApiSecretView {
  readonly id: number;
  readonly label: string;
  readonly addedOn: string;
  readonly refreshedOn: string | null;
}

export function apiSecretView(r: ApiSecretRecord): ApiSecretView {
  return {
    id: r.id,
    label: r.label,
    addedOn: new Date(r.addedOn).toISOString(),
    refreshedOn: r.refreshedOn === null ? null : new Date(r.refreshedOn).toISOString(),
  };
}

function checkLabel(field: string, label: string): string {
  const trimmed = label.trim();
  if (trimmed.length < 1 || trimmed.length > 128) throw errors.field(field, 'must be 1-128 characters');
  return trimmed;
}

/** Accounts and their API secrets. */
export class AccountService {
  constructor(private readonly store: Store) {}

  async createAccount(name: string): Promise<{ account: Account; secret: IssuedSecret }> {
    const clean = checkLabel('name', name);
    let account: Account | null = null;
    // 62^6 ids: a collision is rare, but it must become a retry, not an error.
    for (let attempt = 0; account === null; attempt++) {
      const streamAccountId = newStreamAccountId();
      if (await this.store.getAccountByStreamAccountId(streamAccountId)) {
        if (attempt > 20) throw new Error('could not find a free streamAccountId');
        continue;
      }
      account = await this.store.createAccount({ name: clean, streamAccountId });
    }
    const secret = await this.createSecret(account.id, 'default');
    return { account, secret };
  }

  /** The account that owns this API secret value, or null. Revoked values match nothing. */
  async authenticate(secretValue: string): Promise<Account | null> {
    if (secretValue.length === 0 || secretValue.length > 256) return null;
    const hash = hashSecret(secretValue);
    const found = await this.store.findApiSecretByHash(hash);
    if (!found || !sameDigest(found.secret.hash, hash)) return null;
    return found.account;
  }

  async createSecret(accountId: number, label: string): Promise<IssuedSecret> {
    const value = newApiSecretValue();
    const record = await this.store.createApiSecret({
      accountId,
      label: checkLabel('label', label),
      hash: hashSecret(value),
    });
    return { record, value };
  }

  async listSecrets(accountId: number): Promise<ApiSecretRecord[]> {
    return this.store.listApiSecrets(accountId);
  }

  async getSecret(accountId: number, id: number): Promise<ApiSecretRecord> {
    const found = await this.store.getApiSecret(accountId, id);
    if (!found) throw errors.notFound('secretId', `No API secret with id: ${id}`);
    return found;
  }

  /** New value; the old one matches nothing from the moment this returns. */
  async refreshSecret(accountId: number, id: number): Promise<IssuedSecret> {
    const value = newApiSecretValue();
    const record = await this.store.replaceApiSecretHash(accountId, id, hashSecret(value));
    if (!record) throw errors.notFound('secretId', `No API secret with id: ${id}`);
    return { record, value };
  }

  async deleteSecret(accountId: number, id: number): Promise<void> {
    if (!(await this.store.deleteApiSecret(accountId, id))) {
      throw errors.notFound('secretId', `No API secret with id: ${id}`);
    }
  }
}
