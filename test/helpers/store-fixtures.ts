import { randomBytes } from 'node:crypto';
import type { TokenRecord, TokenState } from '../../src/domain/model.js';

/** A unique name for a test object. */
export const uniq = (prefix = 'x') => `${prefix}${randomBytes(6).toString('hex')}`;

/** A token state as a store receives it: one exact stream, no restrictions, a fresh value. */
export function tokenState(over: Partial<TokenState> = {}): TokenState {
  return {
    label: 'label',
    token: randomBytes(24).toString('hex'),
    expiresOn: null,
    isActive: true,
    streams: [{ streamName: 'feed', isRegex: false }],
    allowedOrigins: [],
    allowedIpAddresses: [],
    bindIpsOnUsage: 0,
    subscribeRequiresAuth: false,
    record: false,
    multisource: false,
    tracking: null,
    ...over,
  };
}

/** The state part of a record, to pass back to updateToken. */
export function stateOf(t: TokenRecord): TokenState {
  const { id: _id, accountId: _a, kind: _k, addedOn: _added, version: _v, ...state } = t;
  return state;
}
