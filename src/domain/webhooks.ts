import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { AppError, errors } from './errors.js';
import type { StreamEvent } from './live-registry.js';
import type { Account, WebhookListQuery, WebhookRecord, WebhookState } from './model.js';

/** Signing keys are 32 random bytes, shown (and stored) as base64, as Millicast's are. */
const SECRET_BYTES = 32;
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** The header Millicast receivers check: `sha1=<hex HMAC-SHA1 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-millicast-signature';

export const newWebhookSecret = (): string => randomBytes(SECRET_BYTES).toString('base64');

/**
 * The signature of a delivery body. As in Millicast's documented receiver code, the HMAC key is
 * the secret's base64-DECODED bytes (not its text), and the message is the exact raw body.
 */
export function signWebhookBody(secret: string, body: string | Buffer): string {
  return `sha1=${createHmac('sha1', Buffer.from(secret, 'base64')).update(body).digest('hex')}`;
}

/** Hook flags Millicast's WebhookModel carries; only feed hooks have events to send so far. */
const FLAGS = [
  'isFeedHooks',
  'isRecordingHooks',
  'isThumbnailHooks',
  'isTranscoderHooks',
  'isMediaHooks',
  'isViewerConnectionHooks',
] as const;
type Flag = (typeof FLAGS)[number];

export interface CreateWebhookInput {
  readonly url: string;
  readonly isFeedHooks: boolean;
  readonly isRecordingHooks?: boolean | null;
  readonly isThumbnailHooks?: boolean | null;
  readonly isTranscoderHooks?: boolean | null;
  readonly isMediaHooks?: boolean | null;
  readonly isViewerConnectionHooks?: boolean | null;
}

/** Millicast's UpdateWebhookModel: null or absent = unchanged. */
export interface WebhookPatch {
  readonly url?: string | null;
  readonly refreshSecret?: boolean | null;
  readonly isFeedHooks?: boolean | null;
  readonly isRecordingHooks?: boolean | null;
  readonly isThumbnailHooks?: boolean | null;
  readonly isTranscoderHooks?: boolean | null;
  readonly isMediaHooks?: boolean | null;
  readonly isViewerConnectionHooks?: boolean | null;
  /** Accepted for compatibility: Streamgate never disables a webhook by itself, so nothing to re-enable. */
  readonly reEnable?: boolean | null;
}

/** A webhook as the API shows it (Millicast's WebhookModel; the secret is part of it). */
export interface WebhookView {
  id: number;
  url: string;
  secret: string;
  isFeedHooks: boolean;
  isRecordingHooks: boolean;
  isThumbnailHooks: boolean;
  isTranscoderHooks: boolean;
  isMediaHooks: boolean;
  isViewerConnectionHooks: boolean;
}

export function webhookView(w: WebhookRecord): WebhookView {
  return {
    id: w.id,
    url: w.url,
    secret: w.secret,
    isFeedHooks: w.isFeedHooks,
    isRecordingHooks: w.isRecordingHooks,
    isThumbnailHooks: w.isThumbnailHooks,
    isTranscoderHooks: w.isTranscoderHooks,
    isMediaHooks: w.isMediaHooks,
    isViewerConnectionHooks: w.isViewerConnectionHooks,
  };
}

/** An absolute http(s) URL without credentials; anything else is a 400 naming `field`. */
export function validateWebhookUrl(url: string, field = 'url'): string {
  if (url.length === 0 || url.length > MAX_WEBHOOK_URL_LENGTH) {
    throw errors.field(field, `must be 1 to ${MAX_WEBHOOK_URL_LENGTH} characters long`);
  }
  if (url !== url.trim() || /\s/.test(url)) throw errors.field(field, 'must not contain whitespace');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw errors.field(field, 'must be an absolute http:// or https:// URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw errors.field(field, `must use http or https (got ${parsed.protocol.replace(/:$/, '')})`);
  }
  if (parsed.hostname === '') throw errors.field(field, 'must name a host');
  if (parsed.username !== '' || parsed.password !== '') {
    throw errors.field(field, 'must not contain credentials (user:password@)');
  }
  return url;
}

/** The body of a `feeds` webhook (Millicast's feeds hooks, plus the publishing token's id). */
export function feedPayload(event: StreamEvent, account: Account, timestamp: number) {
  const started = event.type === 'started';
  return {
    type: 'feeds' as const,
    event: event.type,
    timestamp,
    data: {
      streamId: `${account.streamAccountId}/${event.streamName}`,
      accountId: account.streamAccountId,
      name: event.streamName,
      streamName: event.streamName,
      tokenId: event.tokenId,
      active: started,
      ...(started ? { started: event.at } : { ended: event.at }),
    },
  };
}

/** What the service logs through (pino's signature, so app.log fits). */
export interface WebhookLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WebhookDeliveryOptions {
  /** Per attempt, including reading the answer's status. */
  readonly timeoutMs: number;
  /** Wait before each retry; its length + 1 is the number of attempts. */
  readonly retryDelaysMs: readonly number[];
  /** Deliveries queued, in flight or waiting to retry at most; beyond it new ones are dropped (and logged). */
  readonly maxPending: number;
  /** The HTTP client; the global fetch by default. */
  readonly fetch: typeof fetch;
  readonly log: WebhookLog;
}

export const DEFAULT_DELIVERY: WebhookDeliveryOptions = {
  timeoutMs: 5000,
  retryDelaysMs: [1000, 2000, 4000],
  maxPending: 1000,
  fetch: (input, init) => globalThis.fetch(input, init),
  log: { warn: () => {}, error: () => {} },
};

export interface DeliveryStats {
  /** Deliveries a receiver acknowledged with a 2xx. */
  delivered: number;
  /** Deliveries given up after the last attempt. */
  failed: number;
  /** Deliveries never attempted because the queue was full. */
  dropped: number;
  /** Deliveries stopped because their webhook was deleted or stopped wanting the event meanwhile. */
  cancelled: number;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Account webhooks: their CRUD, and delivery of stream events to them. Delivery never blocks
 * or fails the caller (an authorization): `streamEvent` only queues work, whose errors are logged.
 * Each delivery is retried with the configured backoff on a network error, a timeout or a
 * non-2xx answer; before each retry the webhook is read again, so a deleted (or refreshed, or
 * re-pointed) webhook is honoured mid-retry.
 */
export class WebhookService {
  readonly #opts: WebhookDeliveryOptions;
  readonly #jobs = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  #pending = 0;
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, cancelled: 0 };

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    options: Partial<WebhookDeliveryOptions> = {},
  ) {
    this.#opts = { ...DEFAULT_DELIVERY, ...options };
    if (this.#opts.retryDelaysMs.some((d) => !(d >= 0))) throw new Error('retryDelaysMs must be non-negative');
  }

  async create(account: Account, input: CreateWebhookInput): Promise<WebhookRecord> {
    const state: WebhookState = {
      url: validateWebhookUrl(input.url),
      secret: newWebhookSecret(),
      isFeedHooks: input.isFeedHooks,
      isRecordingHooks: input.isRecordingHooks ?? false,
      isThumbnailHooks: input.isThumbnailHooks ?? false,
      isTranscoderHooks: input.isTranscoderHooks ?? false,
      isMediaHooks: input.isMediaHooks ?? false,
      isViewerConnectionHooks: input.isViewerConnectionHooks ?? false,
    };
    return this.store.createWebhook({ ...state, accountId: account.id, now: this.now() });
  }

  async get(account: Account, id: number): Promise<WebhookRecord> {
    const hook = await this.store.getWebhook(account.id, id);
    if (!hook) throw notFound(id);
    return hook;
  }

  async list(account: Account, query: WebhookListQuery): Promise<WebhookRecord[]> {
    return this.store.listWebhooks(account.id, query);
  }

  async update(account: Account, id: number, patch: WebhookPatch): Promise<WebhookRecord> {
    const given = Object.entries(patch).filter(([, v]) => v !== undefined && v !== null);
    if (given.length === 0) {
      const message = 'No properties specified to update.';
      throw new AppError('NO_PROPERTIES_TO_UPDATE', message, { webhook: message });
    }
    const url = patch.url == null ? null : validateWebhookUrl(patch.url);
    const current = await this.get(account, id);
    const flags = {} as Record<Flag, boolean>;
    for (const flag of FLAGS) flags[flag] = patch[flag] ?? current[flag];
    const updated = await this.store.updateWebhook(account.id, id, {
      ...flags,
      url: url ?? current.url,
      secret: patch.refreshSecret === true ? newWebhookSecret() : current.secret,
    });
    if (!updated) throw notFound(id);
    return updated;
  }

  async delete(account: Account, id: number): Promise<void> {
    if (!(await this.store.deleteWebhook(account.id, id))) throw notFound(id);
  }

  /**
   * Queues the `feeds` webhooks of a stream that started or ended. Returns at once; call it from
   * the node that saw the change (the LiveRegistry event), so a cluster delivers each event once.
   */
  streamEvent(event: StreamEvent): void {
    if (this.#closing.signal.aborted) return;
    this.#track(
      this.#fanOut(event).catch((err) =>
        this.#opts.log.error(
          { err, accountId: event.accountId, streamName: event.streamName },
          'webhook fan-out failed',
        ),
      ),
    );
  }

  /** Resolves when every queued delivery has finished (delivered, given up or cancelled). */
  async idle(): Promise<void> {
    while (this.#jobs.size > 0) await Promise.all([...this.#jobs]);
  }

  /** Stops retrying, aborts requests in flight and waits for them to settle; later events are ignored. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.idle();
  }

  #track(job: Promise<void>): void {
    this.#jobs.add(job);
    job.finally(() => this.#jobs.delete(job)).catch(() => {});
  }

  async #fanOut(event: StreamEvent): Promise<void> {
    // Off the caller's stack: the authorization that raised the event answers first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const hooks = await this.store.webhooksFor(event.accountId, 'isFeedHooks');
    if (hooks.length === 0) return;
    const account = await this.store.getAccount(event.accountId);
    if (!account) return;
    const body = JSON.stringify(feedPayload(event, account, this.now()));
    for (const hook of hooks) {
      if (this.#pending >= this.#opts.maxPending) {
        this.stats.dropped++;
        this.#opts.log.warn(
          { webhookId: hook.id, accountId: hook.accountId, maxPending: this.#opts.maxPending },
          'webhook delivery dropped: too many deliveries pending',
        );
        continue;
      }
      this.#pending++;
      this.#track(
        this.#deliver(hook, 'isFeedHooks', body)
          .catch((err) => this.#opts.log.error({ err, webhookId: hook.id }, 'webhook delivery crashed'))
          .finally(() => {
            this.#pending--;
          }),
      );
    }
  }

  async #deliver(first: WebhookRecord, flag: Flag, body: string): Promise<void> {
    const attempts = this.#opts.retryDelaysMs.length + 1;
    const closing = this.#closing.signal;
    let hook = first;
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        await abortableSleep(this.#opts.retryDelaysMs[attempt - 2] ?? 0, closing);
        if (closing.aborted) break;
        const current = await this.store.getWebhook(first.accountId, first.id);
        if (!current?.[flag]) {
          this.stats.cancelled++;
          return;
        }
        hook = current;
      }
      try {
        const res = await this.#opts.fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Streamgate-Webhooks',
            [SIGNATURE_HEADER]: signWebhookBody(hook.secret, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([closing, AbortSignal.timeout(this.#opts.timeoutMs)]),
        });
        // The answer's body is not wanted; dropping it frees the connection.
        await res.body?.cancel().catch(() => {});
        if (res.status >= 200 && res.status < 300) {
          this.stats.delivered++;
          return;
        }
        reason = `HTTP ${res.status}`;
      } catch (err) {
        reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (closing.aborted) break;
    }
    this.stats.failed++;
    this.#opts.log.warn(
      { webhookId: first.id, accountId: first.accountId, reason, closing: closing.aborted },
      closing.aborted
        ? 'webhook delivery abandoned: shutting down'
        : `webhook delivery failed after ${attempts} attempts`,
    );
  }
}

function notFound(id: number): AppError {
  return errors.notFound('webhookId', `No webhook with id: ${id}`);
}
