import type { Store } from '../store/store.js';
import { newTokenValue } from './credentials.js';
import { type AppError, errors, type FieldErrors } from './errors.js';
import { validateIpRuleEntry } from './ip-rule.js';
import type { Account, TokenKind, TokenListQuery, TokenRecord, TokenState, Tracking } from './model.js';
import { validateOriginPattern } from './origin-rule.js';
import { type StreamRule, validateStreamRule } from './stream-rule.js';

/** A stream entry as clients send it: `isRegex` defaults to false. */
export interface StreamInput {
  readonly streamName: string;
  readonly isRegex?: boolean | null;
}

export interface TrackingInput {
  readonly trackingId?: string | null;
}

/** Create body after schema validation; null means "not given", as in Millicast's nullable fields. */
export interface CreateTokenInput {
  readonly label: string;
  readonly streams: readonly StreamInput[];
  readonly expires?: number | null;
  readonly allowedOrigins?: readonly string[] | null;
  readonly allowedIpAddresses?: readonly string[] | null;
  readonly bindIpsOnUsage?: number | null;
  readonly subscribeRequiresAuth?: boolean | null;
  readonly record?: boolean | null;
  readonly multisource?: boolean | null;
  readonly tracking?: TrackingInput | null;
}

/** One updatable property: its value and the name the client used for it (for error messages). */
export interface Named<T> {
  readonly value: T;
  readonly field: string;
}

/** Update request after the http layer mapped v1 (`updateX`) and v2 names onto one set. */
export interface TokenPatch {
  readonly label?: Named<string>;
  readonly refreshToken?: Named<boolean>;
  readonly isActive?: Named<boolean>;
  readonly addTokenStreams?: Named<readonly StreamInput[]>;
  readonly removeTokenStreams?: Named<readonly string[]>;
  readonly allowedOrigins?: Named<readonly string[]>;
  readonly allowedIpAddresses?: Named<readonly string[]>;
  readonly bindIpsOnUsage?: Named<number>;
  readonly subscribeRequiresAuth?: Named<boolean>;
  readonly record?: Named<boolean>;
  readonly multisource?: Named<boolean>;
  readonly tracking?: Named<TrackingInput>;
}

export interface DisableResult {
  readonly successfulTokens: number[];
  readonly failedTokens: { tokenId: number; errorMessage: string }[];
}

const UPDATE_RETRIES = 8;

function add(errs: FieldErrors, field: string, problem: string): void {
  const list = errs[field];
  if (list) list.push(problem);
  else errs[field] = [problem];
}

function checkList(
  errs: FieldErrors,
  field: string,
  entries: readonly string[],
  validate: (entry: string) => string | null,
): void {
  entries.forEach((entry, i) => {
    const problem = validate(entry);
    if (problem) add(errs, `${field}[${i}]`, problem);
  });
}

function checkStreams(errs: FieldErrors, field: string, streams: readonly StreamInput[]): StreamRule[] {
  const out: StreamRule[] = [];
  const seen = new Set<string>();
  streams.forEach((s, i) => {
    const rule: StreamRule = { streamName: s.streamName, isRegex: s.isRegex === true };
    const problem = validateStreamRule(rule);
    if (problem) add(errs, `${field}[${i}].streamName`, problem);
    const key = `${rule.isRegex ? 'r' : 'e'}:${rule.streamName}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(rule);
    }
  });
  return out;
}

function checkLabel(errs: FieldErrors, field: string, label: string): void {
  if (label.length < 1 || label.length > 128) add(errs, field, 'must be 1-128 characters');
}

function trackingOf(input: TrackingInput | null | undefined): Tracking | null {
  return input?.trackingId ? { trackingId: input.trackingId } : null;
}

function notFound(kind: TokenKind, id: number): AppError {
  return errors.notFound('tokenId', `No ${kind} token with id: ${id}`);
}

/** Publish and subscribe token management: every rule a token's fields must obey. */
export class TokenService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async create(account: Account, kind: TokenKind, input: CreateTokenInput): Promise<TokenRecord> {
    const errs: FieldErrors = {};
    checkLabel(errs, 'label', input.label);
    if (input.streams.length === 0) add(errs, 'streams', 'must contain at least one stream');
    const streams = checkStreams(errs, 'streams', input.streams);
    const allowedOrigins = input.allowedOrigins ?? [];
    const allowedIpAddresses = input.allowedIpAddresses ?? [];
    checkList(errs, 'allowedOrigins', allowedOrigins, validateOriginPattern);
    checkList(errs, 'allowedIpAddresses', allowedIpAddresses, validateIpRuleEntry);
    const bindIpsOnUsage = input.bindIpsOnUsage ?? 0;
    if (bindIpsOnUsage > 0 && allowedIpAddresses.length > 0) {
      add(
        errs,
        'bindIpsOnUsage',
        'cannot be combined with a non-empty allowedIpAddresses: bound addresses are recorded there',
      );
    }
    if (Object.keys(errs).length > 0) throw errors.validation(errs);

    const state: TokenState = {
      label: input.label,
      token: newTokenValue(),
      expiresOn: input.expires ? this.now() + input.expires * 1000 : null,
      isActive: true,
      streams,
      allowedOrigins: [...allowedOrigins],
      allowedIpAddresses: [...allowedIpAddresses],
      bindIpsOnUsage,
      subscribeRequiresAuth: input.subscribeRequiresAuth ?? false,
      record: input.record ?? false,
      multisource: input.multisource ?? true,
      tracking: trackingOf(input.tracking),
    };
    return this.store.createToken({ accountId: account.id, kind, state });
  }

  async get(account: Account, kind: TokenKind, id: number): Promise<TokenRecord> {
    const token = await this.store.getToken(account.id, kind, id);
    if (!token) throw notFound(kind, id);
    return token;
  }

  /**
   * Applies a patch as a compare-and-set on the token's version, retried when another writer
   * (an update, a disable, an IP binding) got there first, so no change is lost.
   */
  async update(account: Account, kind: TokenKind, id: number, patch: TokenPatch): Promise<TokenRecord> {
    if (Object.keys(patch).length === 0) throw errors.noPropertiesToUpdate();
    for (let attempt = 0; attempt < UPDATE_RETRIES; attempt++) {
      const current = await this.get(account, kind, id);
      const next = this.applyPatch(current, patch);
      const saved = await this.store.updateToken(account.id, kind, id, current.version, next);
      if (saved) return saved;
    }
    throw errors.conflict('The token is being changed concurrently, try again');
  }

  /** The state a patch leads to, or a validation error naming each bad field. */
  applyPatch(current: TokenRecord, patch: TokenPatch): TokenState {
    const errs: FieldErrors = {};
    if (patch.label) checkLabel(errs, patch.label.field, patch.label.value);

    let streams: StreamRule[] = [...current.streams];
    if (patch.removeTokenStreams) {
      const { field, value } = patch.removeTokenStreams;
      value.forEach((name, i) => {
        if (!streams.some((s) => s.streamName === name)) {
          add(errs, `${field}[${i}]`, `'${name}' is not a stream of this token`);
        }
      });
      const remove = new Set(value);
      streams = streams.filter((s) => !remove.has(s.streamName));
    }
    if (patch.addTokenStreams) {
      const added = checkStreams(errs, patch.addTokenStreams.field, patch.addTokenStreams.value);
      for (const rule of added) {
        if (!streams.some((s) => s.streamName === rule.streamName && s.isRegex === rule.isRegex)) streams.push(rule);
      }
    }
    if (streams.length === 0) {
      add(errs, patch.removeTokenStreams?.field ?? 'streams', 'a token must keep at least one stream');
    }
    if (patch.allowedOrigins) {
      checkList(errs, patch.allowedOrigins.field, patch.allowedOrigins.value, validateOriginPattern);
    }
    if (patch.allowedIpAddresses) {
      checkList(errs, patch.allowedIpAddresses.field, patch.allowedIpAddresses.value, validateIpRuleEntry);
    }
    if (
      patch.bindIpsOnUsage &&
      patch.bindIpsOnUsage.value > 0 &&
      patch.allowedIpAddresses &&
      patch.allowedIpAddresses.value.length > 0
    ) {
      add(
        errs,
        patch.bindIpsOnUsage.field,
        `cannot be combined with a non-empty ${patch.allowedIpAddresses.field}: bound addresses are recorded there`,
      );
    }
    if (Object.keys(errs).length > 0) throw errors.validation(errs);

    return {
      label: patch.label?.value ?? current.label,
      token: patch.refreshToken?.value ? newTokenValue() : current.token,
      expiresOn: current.expiresOn,
      isActive: patch.isActive?.value ?? current.isActive,
      streams,
      allowedOrigins: patch.allowedOrigins ? [...patch.allowedOrigins.value] : current.allowedOrigins,
      allowedIpAddresses: patch.allowedIpAddresses ? [...patch.allowedIpAddresses.value] : current.allowedIpAddresses,
      bindIpsOnUsage: patch.bindIpsOnUsage?.value ?? current.bindIpsOnUsage,
      subscribeRequiresAuth: patch.subscribeRequiresAuth?.value ?? current.subscribeRequiresAuth,
      record: patch.record?.value ?? current.record,
      multisource: patch.multisource?.value ?? current.multisource,
      tracking: patch.tracking ? trackingOf(patch.tracking.value) : current.tracking,
    };
  }

  async delete(account: Account, kind: TokenKind, id: number): Promise<void> {
    if (!(await this.store.deleteToken(account.id, kind, id))) throw notFound(kind, id);
  }

  async list(account: Account, kind: TokenKind, query: TokenListQuery): Promise<TokenRecord[]> {
    return this.store.listTokens(account.id, kind, query);
  }

  async disable(account: Account, kind: TokenKind, ids: readonly number[]): Promise<DisableResult> {
    const unique = [...new Set(ids)];
    const found = new Set(await this.store.disableTokens(account.id, kind, unique));
    return {
      successfulTokens: unique.filter((id) => found.has(id)),
      failedTokens: unique
        .filter((id) => !found.has(id))
        .map((tokenId) => ({ tokenId, errorMessage: `No ${kind} token with id: ${tokenId}` })),
    };
  }
}
