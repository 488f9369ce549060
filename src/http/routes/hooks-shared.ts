/**
 * What the media-server adapters (nginx-rtmp, SRS, MediaMTX) share: wire-format helpers and the
 * publisher sessions that turn an allowed publish into a live lease. The decision itself is always
 * AccessService's; nothing here decides who may publish or play.
 */

import type { FastifyReply } from 'fastify';
import type { AccessService, Requester } from '../../domain/access.js';
import { type Denied, deny } from '../../domain/denials.js';
import { errors } from '../../domain/errors.js';
import { canonicalIp } from '../../domain/ip-rule.js';
import type { LiveRegistry, StreamEvent } from '../../domain/live-registry.js';
import type { Store } from '../../store/store.js';
import { sendDenied } from './director.js';

export interface HookDeps {
  readonly access: AccessService;
  readonly live: LiveRegistry;
  readonly store: Store;
}

/** Text fields of a hook request; a key a client repeated keeps the value that came first. */
export type Fields = Readonly<Record<string, string | undefined>>;

/**
 * `a=1&b=2&a=3` -> `{a: '1', b: '2'}`. Media servers write their own fields before the client's
 * query args, so taking the FIRST value is what stops a client from overriding `addr` or `name`.
 */
export function firstValues(text: string): Fields {
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) {
    if (!(key in out)) out[key] = value;
  }
  return out;
}

/** The query string of a request URL (what follows the first `?`), as first-value fields. */
export function urlQueryFields(url: string): Fields {
  const q = url.indexOf('?');
  return q < 0 ? Object.create(null) : firstValues(url.slice(q + 1));
}

/**
 * The text fields of a parsed body, whatever parser produced it: strings and numbers are kept
 * (SRS sends `client_id` as a number in older versions), for an array its first element.
 */
export function textFields(body: unknown): Fields {
  const out: Record<string, string> = Object.create(null);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return out;
  for (const [key, raw] of Object.entries(body as Record<string, unknown>)) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value);
  }
  return out;
}

/** A JSON hook body must be an object; anything else is a 400 naming `body`. */
export function requireObjectBody(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.field('body', 'must be a JSON object');
  }
}

/** A field that must be present and non-empty, else a 400 naming it. */
export function required(fields: Fields, name: string): string {
  const value = fields[name];
  if (value === undefined || value === '') throw errors.field(name, 'is required');
  return value;
}

/** Empty strings count as absent (media servers send `""` for what they do not have). */
export function optional(fields: Fields, name: string): string | null {
  const value = fields[name];
  return value === undefined || value === '' ? null : value;
}

/**
 * The media client as its media server saw it. Origin is never checked on these protocols
 * (RTMP, RTSP, SRT carry no Origin anyone vouches for); an address that does not parse is unknown.
 */
export function mediaClient(address: string | null): Requester {
  return { ip: address === null ? null : canonicalIp(address), origin: undefined, checkOrigin: false };
}

/** The socket peer of a hook request (the media server itself), for naming its connections. */
export function peerOf(socketAddress: string | undefined): string {
  return (socketAddress && canonicalIp(socketAddress)) || 'unknown';
}

/** A refusal in the fail envelope, with the exact denial text and code; `status` overrides the denial's own. */
export function sendHookDenied(reply: FastifyReply, d: Denied, status: number = d.status): FastifyReply {
  return sendDenied(reply, status === d.status ? d : { ...d, status });
}

export type PublishOutcome = { readonly allowed: true; readonly accountId: number; readonly tokenId: number } | Denied;

/** What renewing a publisher's lease found. */
export type RenewOutcome =
  /** the lease is held and extended */
  | 'renewed'
  /** the lease is gone and another publisher holds the stream */
  | 'taken'
  /** the lease is gone (expired or released) and nobody holds the stream */
  | 'lost'
  /** this node cannot tell which account the publisher belongs to */
  | 'unknown';

interface Held {
  readonly accountId: number;
  readonly tokenId: number;
}

interface Remembered extends Held {
  readonly streamName: string;
}

const REMEMBERED_LIMIT = 100_000;

/**
 * Publisher connections of media servers and the live leases they hold. A connection is named by
 * a holder id unique to it (`nginx:<server>:<clientid>`, `srs:<server_id>:<client_id>`,
 * `mediamtx:<id>`). Renewals and publish-done callbacks must find the lease's account: this node
 * remembers it from the publish, and otherwise looks it up from the publisher's token, so a
 * callback that reaches another node behind a load balancer still finds it while the token exists.
 */
export class PublishSessions {
  readonly #held = new Map<string, Remembered>();
  /** `accountId/streamName` -> keys of #held, so an ended stream forgets its publishers. */
  readonly #byStream = new Map<string, Set<string>>();
  readonly #onStream = (e: StreamEvent): void => {
    if (e.type === 'ended') this.#forgetStream(e.accountId, e.streamName);
  };

  constructor(private readonly deps: HookDeps) {
    deps.live.on('stream', this.#onStream);
  }

  /** Stops following stream events (the app is closing). */
  detach(): void {
    this.deps.live.off('stream', this.#onStream);
  }

  /**
   * Authorizes a publish and takes the stream's lease for this connection. A connection asking
   * again for the stream it already holds (MediaMTX may authenticate one session more than once)
   * keeps it; anyone else on a live stream is refused.
   */
  async publish(input: {
    credential: string | null;
    streamName: string;
    holderId: string;
    who: Requester;
  }): Promise<PublishOutcome> {
    const { credential, streamName, holderId } = input;
    const decision = await this.deps.access.authorizePublish({
      credential,
      streamName,
      sourceId: null,
      who: input.who,
    });
    if (!decision.allowed) {
      // Every other rule passed before the liveness check refused it; the holder may be this very connection.
      if (decision.code === 'STREAM_ALREADY_PUBLISHED') return this.#reauthorizeHolder(input, decision);
      return decision;
    }
    const { account, token } = decision;
    const taken = await this.deps.live.acquire({
      accountId: account.id,
      streamName,
      holderId,
      tokenId: token.id,
      sourceId: null,
      multisource: token.multisource,
    });
    // Lost a race with another publisher between the decision and the lease.
    if (!taken.acquired) return deny('STREAM_ALREADY_PUBLISHED');
    this.#remember(holderId, streamName, { accountId: account.id, tokenId: token.id });
    return { allowed: true, accountId: account.id, tokenId: token.id };
  }

  async #reauthorizeHolder(
    input: { credential: string | null; streamName: string; holderId: string },
    denied: Denied,
  ): Promise<PublishOutcome> {
    const held = await this.#resolve(input.holderId, input.streamName, input.credential);
    if (!held) return denied;
    const leases = await this.deps.live.leases(held.accountId, input.streamName);
    const own = leases.find((l) => l.holderId === input.holderId);
    if (!own || !(await this.deps.live.renew(held.accountId, input.streamName, input.holderId))) return denied;
    return { allowed: true, accountId: held.accountId, tokenId: own.tokenId };
  }

  /** Extends the lease this connection holds on `streamName`. */
  async renew(input: { holderId: string; streamName: string; credential: string | null }): Promise<RenewOutcome> {
    const held = await this.#resolve(input.holderId, input.streamName, input.credential);
    if (!held) return 'unknown';
    if (await this.deps.live.renew(held.accountId, input.streamName, input.holderId)) return 'renewed';
    this.#forget(input.holderId, input.streamName);
    const leases = await this.deps.live.leases(held.accountId, input.streamName);
    return leases.length > 0 ? 'taken' : 'lost';
  }

  /** Releases this connection's lease (publish done); the stream ends when no other lease is left. */
  async end(input: { holderId: string; streamName: string; credential: string | null }): Promise<boolean> {
    const held = await this.#resolve(input.holderId, input.streamName, input.credential);
    this.#forget(input.holderId, input.streamName);
    if (!held) return false;
    const leases = await this.deps.live.leases(held.accountId, input.streamName);
    const tokenId = leases.find((l) => l.holderId === input.holderId)?.tokenId ?? held.tokenId;
    return this.deps.live.release(held.accountId, input.streamName, input.holderId, tokenId);
  }

  /** The account (and token) behind a connection's lease: remembered here, else from its publish token. */
  async #resolve(holderId: string, streamName: string, credential: string | null): Promise<Held | null> {
    const kept = this.#held.get(key(holderId, streamName));
    if (kept) return kept;
    if (!credential) return null;
    const token = await this.deps.store.getTokenByValue('publish', credential);
    return token ? { accountId: token.accountId, tokenId: token.id } : null;
  }

  #remember(holderId: string, streamName: string, held: Held): void {
    const k = key(holderId, streamName);
    if (!this.#held.has(k) && this.#held.size >= REMEMBERED_LIMIT) {
      // Oldest first: a connection that vanished without a done callback is the likeliest one.
      const oldest = this.#held.keys().next().value as string;
      this.#forgetKey(oldest);
    }
    this.#held.set(k, { ...held, streamName });
    const sk = streamKey(held.accountId, streamName);
    let keys = this.#byStream.get(sk);
    if (!keys) {
      keys = new Set();
      this.#byStream.set(sk, keys);
    }
    keys.add(k);
  }

  #forget(holderId: string, streamName: string): void {
    this.#forgetKey(key(holderId, streamName));
  }

  #forgetKey(k: string): void {
    const held = this.#held.get(k);
    if (!held) return;
    this.#held.delete(k);
    const sk = streamKey(held.accountId, held.streamName);
    const keys = this.#byStream.get(sk);
    keys?.delete(k);
    if (keys && keys.size === 0) this.#byStream.delete(sk);
  }

  #forgetStream(accountId: number, streamName: string): void {
    const sk = streamKey(accountId, streamName);
    for (const k of this.#byStream.get(sk) ?? []) this.#held.delete(k);
    this.#byStream.delete(sk);
  }
}

function key(holderId: string, streamName: string): string {
  return JSON.stringify([holderId, streamName]);
}

function streamKey(accountId: number, streamName: string): string {
  return `${accountId}/${streamName}`;
}
