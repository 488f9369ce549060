import type { DecisionRead, Store } from '../store/store.js';
import { type DenialCode, type Denied, deny } from './denials.js';
import { compileIpRules, type IpMatcher } from './ip-rule.js';
import type { LiveRegistry } from './live-registry.js';
import { andThen, type MaybePromise } from './maybe-promise.js';
import type { Account, TokenRecord } from './model.js';
import { compileOriginRules, type OriginMatcher } from './origin-rule.js';
import { looksLikeJwt, parseSelfSigned, type SelfSignedParse, verifySelfSignedSignature } from './self-signed-token.js';
import { compileStreamRules, type StreamMatcher } from './stream-rule.js';

/** What is known of the party asking: proven facts only (the Origin header is a browser's claim). */
export interface Requester {
  /** Canonical client IP, or null when unknown. */
  readonly ip: string | null;
  readonly origin: string | undefined;
  /** false for protocols that cannot carry a trustworthy Origin (RTMP, SRT, RTSP hooks). */
  readonly checkOrigin: boolean;
}

export interface PublishGranted {
  readonly allowed: true;
  readonly account: Account;
  readonly token: TokenRecord;
}

export interface SubscribeGranted {
  readonly allowed: true;
  readonly account: Account;
  /** null for a tokenless viewer */
  readonly tokenId: number | null;
  readonly trackingId: string | null;
  readonly customViewerData: string | null;
  readonly live: boolean;
}

export type PublishDecision = PublishGranted | Denied;
export type SubscribeDecision = SubscribeGranted | Denied;

export interface PublishInput {
  readonly credential: string | null;
  readonly streamName: string;
  readonly sourceId?: string | null;
  readonly who: Requester;
}

export interface SubscribeInput {
  readonly streamAccountId: string | null;
  readonly streamName: string;
  readonly credential: string | null;
  readonly who: Requester;
}

interface CompiledRules {
  readonly version: number;
  readonly streams: StreamMatcher;
  readonly origins: OriginMatcher;
  readonly ips: IpMatcher;
}

const CACHE_LIMIT = 50_000;

/**
 * The one access decision for every entry point (Director, nginx-rtmp, SRS, MediaMTX).
 * Answers a typed result, never throws for a refusal.
 *
 * Revocation is immediate by construction: the token row is read from the store on every
 * decision. Only compiled matchers are cached, keyed by token id AND version; every write to
 * a token bumps its version, so a stale entry can never be consulted for a changed token.
 */
export class AccessService {
  readonly #compiled = new Map<number, CompiledRules>();
  /** Accounts are never changed nor deleted once created, so a read one can be kept. */
  readonly #accounts = new Map<number, Account>();

  constructor(
    private readonly store: Store,
    private readonly live: LiveRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  #rules(token: TokenRecord): CompiledRules {
    const hit = this.#compiled.get(token.id);
    if (hit && hit.version === token.version) return hit;
    const rules: CompiledRules = {
      version: token.version,
      streams: compileStreamRules(token.streams),
      origins: compileOriginRules(token.allowedOrigins),
      ips: compileIpRules(token.allowedIpAddresses),
    };
    if (this.#compiled.size >= CACHE_LIMIT) this.#compiled.clear();
    this.#compiled.set(token.id, rules);
    return rules;
  }

  /** The token's account: at once when kept, else read and kept. */
  #account(id: number): MaybePromise<Account | null> {
    const kept = this.#accounts.get(id);
    if (kept) return kept;
    return this.store.getAccount(id).then((account) => {
      if (account) {
        if (this.#accounts.size >= CACHE_LIMIT) this.#accounts.clear();
        this.#accounts.set(id, account);
      }
      return account;
    });
  }

  /** Existence, state and expiry: the checks shared by both roles. */
  #usable(token: TokenRecord | null): DenialCode | null {
    if (!token) return 'INVALID_TOKEN';
    if (!token.isActive) return 'TOKEN_DISABLED';
    if (token.expiresOn !== null && token.expiresOn <= this.now()) return 'TOKEN_EXPIRED';
    return null;
  }

  /** Stream, origin and IP rules, then IP binding (which only records otherwise-allowed clients). */
  #rulesAllow(
    token: TokenRecord,
    streamName: string,
    who: Requester,
    extra?: { origins: OriginMatcher; ips: IpMatcher },
  ): MaybePromise<DenialCode | null> {
    const rules = this.#rules(token);
    if (!rules.streams.matches(streamName)) return 'STREAM_NAME_NOT_ALLOWED';
    if (who.checkOrigin) {
      if (!rules.origins.matches(who.origin)) return 'ORIGIN_NOT_ALLOWED';
      if (extra && !extra.origins.matches(who.origin)) return 'ORIGIN_NOT_ALLOWED';
    }
    if (extra && !extra.ips.allowsAll && (who.ip === null || !extra.ips.matches(who.ip))) return 'IP_NOT_ALLOWED';
    const ip = this.#ipPrecheck(token, rules.ips, who.ip);
    if (ip === 'ok') return null;
    if (ip === 'bind') return this.#bind(token, who.ip as string);
    return ip;
  }

  /** The IP verdict before any binding: allowed, refused, or allowed if a bind slot can be taken. */
  #ipPrecheck(token: TokenRecord, ips: IpMatcher, ip: string | null): DenialCode | 'ok' | 'bind' {
    if (token.bindIpsOnUsage > 0) {
      if (ip === null) return 'IP_NOT_ALLOWED';
      if (token.allowedIpAddresses.length > 0 && ips.matches(ip)) return 'ok';
      return token.allowedIpAddresses.length >= token.bindIpsOnUsage ? 'IP_NOT_ALLOWED' : 'bind';
    }
    if (ips.allowsAll) return 'ok';
    return ip !== null && ips.matches(ip) ? 'ok' : 'IP_NOT_ALLOWED';
  }

  /** Takes a bind slot atomically; concurrent first uses beyond N lose here. */
  async #bind(token: TokenRecord, ip: string): Promise<DenialCode | null> {
    const bound = await this.store.bindIp(token.id, ip, token.bindIpsOnUsage);
    return bound === 'bound' ? null : bound === 'gone' ? 'INVALID_TOKEN' : 'IP_NOT_ALLOWED';
  }

  /**
   * May the holder of this publish token publish `streamName`? `sourceId` names one source of
   * a multisource stream. A stream already live from another publisher is refused.
   *
   * Answered without a promise when the store reads from memory and nothing else needs I/O
   * (the account is known, the stream has no live lease, no IP is to be bound).
   */
  authorizePublish(input: PublishInput): MaybePromise<PublishDecision> {
    if (!input.credential) return deny('INVALID_TOKEN');
    const read = this.store.tokenForDecision('publish', { value: input.credential }, input.streamName, this.now());
    return andThen(read, (r) => this.#publishWith(r, input));
  }

  #publishWith(read: DecisionRead | null, input: PublishInput): MaybePromise<PublishDecision> {
    const token = read?.token ?? null;
    const unusable = this.#usable(token);
    if (unusable || !token || !read) return deny(unusable ?? 'INVALID_TOKEN');
    const rules = this.#rules(token);
    if (!rules.streams.matches(input.streamName)) return deny('STREAM_NAME_NOT_ALLOWED');
    if (input.who.checkOrigin && !rules.origins.matches(input.who.origin)) return deny('ORIGIN_NOT_ALLOWED');
    const ip = this.#ipPrecheck(token, rules.ips, input.who.ip);
    if (ip !== 'ok' && ip !== 'bind') return deny(ip);
    if (read.liveLeases > 0 || ip === 'bind') {
      return this.#publishAfterReads(token, read.liveLeases, ip === 'bind', input);
    }
    return andThen(this.#account(token.accountId), (account) =>
      account ? { allowed: true, account, token } : deny('INVALID_TOKEN'),
    );
  }

  /** A publish decision that passed every rule but needs the stream's leases or a bind slot. */
  async #publishAfterReads(
    token: TokenRecord,
    liveLeases: number,
    bind: boolean,
    input: PublishInput,
  ): Promise<PublishDecision> {
    const account = await this.#account(token.accountId);
    if (!account) return deny('INVALID_TOKEN');
    // Liveness before binding, so a refused publisher does not use up a bind slot. The lease
    // count came with the token; the leases themselves are only read when there are some.
    if (liveLeases > 0) {
      const leases = await this.live.leases(account.id, input.streamName);
      const sourceId = input.sourceId ?? null;
      const sharable =
        token.multisource && sourceId !== null && leases.every((l) => l.sourceId !== null && l.sourceId !== sourceId);
      if (leases.length > 0 && !sharable) return deny('STREAM_ALREADY_PUBLISHED');
    }
    if (bind) {
      const problem = await this.#bind(token, input.who.ip as string);
      if (problem) return deny(problem);
    }
    return { allowed: true, account, token };
  }

  /**
   * May this viewer watch `streamName`? With a subscribe token (or a self-signed token made
   * from one) the viewer is admitted and may wait for the stream; without one, the stream must
   * be live and none of its publish tokens may require subscriber authentication.
   */
  authorizeSubscribe(input: SubscribeInput): MaybePromise<SubscribeDecision> {
    if (input.credential) return this.#subscribeWithToken(input, input.credential);
    return this.#subscribeWithoutToken(input);
  }

  async #subscribeWithoutToken(input: SubscribeInput): Promise<SubscribeDecision> {
    if (!input.streamAccountId) return deny('STREAM_NOT_FOUND');
    const account = await this.store.getAccountByStreamAccountId(input.streamAccountId);
    if (!account) return deny('STREAM_NOT_FOUND');
    const leases = await this.live.leases(account.id, input.streamName);
    if (leases.length === 0) return deny('STREAM_NOT_FOUND');
    for (const tokenId of new Set(leases.map((l) => l.tokenId))) {
      const publisher = await this.store.getTokenById('publish', tokenId);
      if (publisher?.subscribeRequiresAuth) return deny('SUBSCRIBE_TOKEN_REQUIRED');
    }
    return { allowed: true, account, tokenId: null, trackingId: null, customViewerData: null, live: true };
  }

  #subscribeWithToken(input: SubscribeInput, credential: string): MaybePromise<SubscribeDecision> {
    if (looksLikeJwt(credential)) {
      const parsed = parseSelfSigned(credential);
      if (!parsed.ok) return deny('INVALID_TOKEN');
      const read = this.store.tokenForDecision(
        'subscribe',
        { id: parsed.claims.tokenId },
        input.streamName,
        this.now(),
      );
      return andThen(read, (r) => this.#selfSignedWith(r, parsed, input));
    }
    const read = this.store.tokenForDecision('subscribe', { value: credential }, input.streamName, this.now());
    return andThen(read, (r) => {
      const token = r?.token ?? null;
      const unusable = this.#usable(token);
      if (unusable || !token || !r) return deny(unusable ?? 'INVALID_TOKEN');
      return this.#admitViewer(input, token, r.liveLeases, token.tracking?.trackingId ?? null, null, undefined);
    });
  }

  /** A self-signed subscribe token against its parent, then the parent's own rules. */
  #selfSignedWith(
    read: DecisionRead | null,
    parsed: Extract<SelfSignedParse, { ok: true }>,
    input: SubscribeInput,
  ): MaybePromise<SubscribeDecision> {
    const token = read?.token ?? null;
    // Signed with the parent's current value: a refreshed or deleted parent kills it.
    if (!token || !read || !verifySelfSignedSignature(parsed, token.token)) return deny('INVALID_TOKEN');
    const unusable = this.#usable(token);
    if (unusable) return deny(unusable);
    const claims = parsed.claims;
    if (claims.exp * 1000 <= this.now()) return deny('TOKEN_EXPIRED');
    if (claims.streamName !== input.streamName) return deny('STREAM_NAME_NOT_ALLOWED');
    const parentTracking = token.tracking?.trackingId ?? null;
    if (parentTracking !== null && claims.trackingId !== null && claims.trackingId !== parentTracking) {
      return deny('INVALID_TOKEN');
    }
    return this.#admitViewer(
      input,
      token,
      read.liveLeases,
      parentTracking ?? claims.trackingId,
      claims.customViewerData,
      {
        origins: compileOriginRules(claims.allowedOrigins),
        ips: compileIpRules(claims.allowedIpAddresses),
      },
    );
  }

  /** The account and every rule of a usable subscribe token (plus a self-signed token's own). */
  #admitViewer(
    input: SubscribeInput,
    token: TokenRecord,
    liveLeases: number,
    trackingId: string | null,
    customViewerData: string | null,
    extra: { origins: OriginMatcher; ips: IpMatcher } | undefined,
  ): MaybePromise<SubscribeDecision> {
    const admit = (account: Account | null): MaybePromise<SubscribeDecision> => {
      if (!account) return deny('INVALID_TOKEN');
      if (input.streamAccountId !== null && input.streamAccountId !== account.streamAccountId) {
        return deny('STREAM_NAME_NOT_ALLOWED');
      }
      return andThen(this.#rulesAllow(token, input.streamName, input.who, extra), (problem) =>
        problem
          ? deny(problem)
          : { allowed: true, account, tokenId: token.id, trackingId, customViewerData, live: liveLeases > 0 },
      );
    };
    return andThen(this.#account(token.accountId), admit);
  }
}
