import { StreamgateApiError, StreamgateConnectionError } from './errors.js';
import type {
  AccountInfo,
  ApiSecret,
  CreatePublishTokenInput,
  CreateSubscribeTokenInput,
  CreateWebhookInput,
  DisableTokensResult,
  HealthStatus,
  IssuedApiSecret,
  ListTokensByNameQuery,
  ListTokensQuery,
  ListWebhooksQuery,
  PublishToken,
  PublishTokenPatch,
  PublishTokenV1Patch,
  SubscribeToken,
  SubscribeTokenPatch,
  SubscribeTokenV1Patch,
  TokenKind,
  Webhook,
  WebhookPatch,
} from './types.js';

/** How to reach a Streamgate server. */
export interface StreamgateClientOptions {
  /** Server root, e.g. `http://localhost:8080`; a trailing slash is ignored. */
  baseUrl: string;
  /** API secret of the account, sent as `Authorization: Bearer <secret>`; every call but `health()` needs it. */
  apiSecret?: string;
  /** fetch implementation to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
  /** Abort a request that has not answered after this many milliseconds; default: no limit. */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** false for routes outside the `{status, data}` envelope (`/readyz`). */
  readonly envelope?: boolean;
}

/** Builds `?a=1&b=x%20y`; encodeURIComponent rather than URLSearchParams so spaces are %20, not `+`. */
function queryString(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Turns a non-success answer into a StreamgateApiError, whatever its shape. */
function apiError(status: number, body: unknown, text: string): StreamgateApiError {
  if (isObject(body) && body.status === 'fail' && isObject(body.data)) {
    const data = body.data;
    const message = typeof data.message === 'string' ? data.message : `HTTP ${status}`;
    return new StreamgateApiError(status, typeof data.code === 'string' ? data.code : 'INTERNAL', message, data);
  }
  if (isObject(body) && body.status === 'error') {
    const message = typeof body.message === 'string' ? body.message : `HTTP ${status}`;
    return new StreamgateApiError(status, 'INTERNAL', message, isObject(body.data) ? body.data : {});
  }
  const snippet = text.trim().slice(0, 200);
  const message = `unexpected answer from the server (HTTP ${status})${snippet ? `: ${snippet}` : ''}`;
  return new StreamgateApiError(status, 'INTERNAL', message);
}

/** Low-level transport shared by the resource objects. */
class Transport {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: StreamgateClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Bound lazily so a test can stub globalThis.fetch after the client is built.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = `${this.baseUrl}${path}${queryString(opts.query)}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiSecret !== undefined) headers.authorization = `Bearer ${this.options.apiSecret}`;
    const init: RequestInit = { method, headers };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    if (this.options.timeoutMs !== undefined) init.signal = AbortSignal.timeout(this.options.timeoutMs);

    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(url, init);
      text = await res.text();
    } catch (err) {
      throw new StreamgateConnectionError(`${this.baseUrl}${path}`, err);
    }
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) throw apiError(res.status, body, text);
    if (opts.envelope === false) {
      if (isObject(body)) return body as T;
      throw apiError(res.status, body, text);
    }
    if (isObject(body) && body.status === 'success' && 'data' in body) return body.data as T;
    throw apiError(res.status, body, text);
  }
}

const tokenId = (id: number): string => encodeURIComponent(String(id));

/**
 * Management of one kind of token. The type parameters tie each kind to its own shapes, so a
 * publish-only field on a subscribe token is a compile error rather than a 400.
 */
export class TokenApi<Token, CreateInput, Patch, V1Patch> {
  /** `/api/publish_token` or `/api/subscribe_token`. */
  protected readonly base: string;

  /** @internal Built by StreamgateClient. */
  constructor(
    protected readonly transport: Transport,
    /** Which family of tokens this object manages. */
    readonly kind: TokenKind,
  ) {
    this.base = `/api/${kind}_token`;
  }

  /** Creates a token; the answer holds its value. */
  create(input: CreateInput): Promise<Token> {
    return this.transport.request('POST', this.base, { body: input });
  }

  /** Reads a token; a missing id throws a `NOT_FOUND` StreamgateApiError. */
  get(id: number): Promise<Token> {
    return this.transport.request('GET', `${this.base}/${tokenId(id)}`);
  }

  /** `PUT /api/v2/{kind}_token/{id}` with unprefixed field names; returns the updated token. */
  update(id: number, patch: Patch): Promise<Token> {
    return this.transport.request('PUT', `/api/v2/${this.kind}_token/${tokenId(id)}`, { body: patch });
  }

  /** `PUT /api/{kind}_token/{id}`: also takes Millicast v1's `updateAllowedOrigins`-style names. */
  updateV1(id: number, body: V1Patch): Promise<Token> {
    return this.transport.request('PUT', `${this.base}/${tokenId(id)}`, { body });
  }

  /** Deletes a token; its value is refused from the next request on. */
  delete(id: number): Promise<true> {
    return this.transport.request('DELETE', `${this.base}/${tokenId(id)}`);
  }

  /** One page of the account's tokens of this kind. */
  list(query: ListTokensQuery): Promise<Token[]> {
    return this.transport.request('GET', `${this.base}/list`, { query: pagingQuery(query) });
  }

  /** One page of the tokens whose label and/or stream names contain `name`. */
  listByName(query: ListTokensByNameQuery): Promise<Token[]> {
    return this.transport.request('GET', `${this.base}/list_by_name`, {
      query: { name: query.name, filterBy: query.filterBy, ...pagingQuery(query) },
    });
  }
}

function pagingQuery(q: ListTokensQuery): Query {
  return { page: q.page, itemsOnPage: q.itemsOnPage, sortBy: q.sortBy, isDescending: q.isDescending };
}

/** Publish tokens: the common operations plus bulk disable. */
export class PublishTokenApi extends TokenApi<
  PublishToken,
  CreatePublishTokenInput,
  PublishTokenPatch,
  PublishTokenV1Patch
> {
  /** Disables several tokens at once; ids that cannot be disabled are reported, not thrown. */
  disable(tokenIds: readonly number[]): Promise<DisableTokensResult> {
    return this.transport.request('PATCH', `${this.base}/disable`, { body: { tokenIds } });
  }
}

/** Subscribe tokens. */
export type SubscribeTokenApi = TokenApi<
  SubscribeToken,
  CreateSubscribeTokenInput,
  SubscribeTokenPatch,
  SubscribeTokenV1Patch
>;

/** API secrets of the account the client authenticates as. */
export class ApiSecretApi {
  /** @internal Built by StreamgateClient. */
  constructor(private readonly transport: Transport) {}

  /** Issues a new secret; its value is in this answer only. */
  create(label?: string): Promise<IssuedApiSecret> {
    return this.transport.request('POST', '/api/api_secret', { body: label === undefined ? {} : { label } });
  }

  /** All secrets of the account, without values. */
  list(): Promise<ApiSecret[]> {
    return this.transport.request('GET', '/api/api_secret/list');
  }

  /** One secret, without its value. */
  get(id: number): Promise<ApiSecret> {
    return this.transport.request('GET', `/api/api_secret/${encodeURIComponent(String(id))}`);
  }

  /** Gives a secret a new value (returned here); the old value is refused at once. */
  refresh(id: number): Promise<IssuedApiSecret> {
    return this.transport.request('POST', `/api/api_secret/${encodeURIComponent(String(id))}/refresh`);
  }

  /** Deletes a secret; deleting the account's last one locks its API until an operator issues another. */
  delete(id: number): Promise<true> {
    return this.transport.request('DELETE', `/api/api_secret/${encodeURIComponent(String(id))}`);
  }
}

/** Webhooks of the account the client authenticates as (`/api/webhooks`). */
export class WebhookApi {
  /** @internal Built by StreamgateClient. */
  constructor(private readonly transport: Transport) {}

  /** Adds a webhook; the answer holds its signing secret. */
  create(input: CreateWebhookInput): Promise<Webhook> {
    return this.transport.request('POST', '/api/webhooks', { body: input });
  }

  /** One page of the account's webhooks, in the order they were added. */
  list(query: ListWebhooksQuery = {}): Promise<Webhook[]> {
    return this.transport.request('GET', '/api/webhooks/list', {
      query: { startingId: query.startingId, itemCount: query.itemCount, isDescending: query.isDescending },
    });
  }

  /** Reads a webhook; a missing id throws a `NOT_FOUND` StreamgateApiError. */
  get(id: number): Promise<Webhook> {
    return this.transport.request('GET', `/api/webhooks/${encodeURIComponent(String(id))}`);
  }

  /** Changes the url, the event types, or (refreshSecret) the signing secret. */
  update(id: number, patch: WebhookPatch): Promise<Webhook> {
    return this.transport.request('PUT', `/api/webhooks/${encodeURIComponent(String(id))}`, { body: patch });
  }

  /** Gives the webhook a new signing secret, returned in the answer. */
  refreshSecret(id: number): Promise<Webhook> {
    return this.update(id, { refreshSecret: true });
  }

  /** Removes a webhook; it receives nothing more. */
  delete(id: number): Promise<true> {
    return this.transport.request('DELETE', `/api/webhooks/${encodeURIComponent(String(id))}`);
  }
}

/**
 * Typed client of the Streamgate (Millicast-compatible) management REST API. Every failed call
 * rejects with a StreamgateApiError (the server answered) or a StreamgateConnectionError (it did not).
 */
export class StreamgateClient {
  /** `/api/publish_token` operations. */
  readonly publishTokens: PublishTokenApi;
  /** `/api/subscribe_token` operations. */
  readonly subscribeTokens: SubscribeTokenApi;
  /** `/api/api_secret` operations. */
  readonly apiSecrets: ApiSecretApi;
  /** `/api/webhooks` operations. */
  readonly webhooks: WebhookApi;
  private readonly transport: Transport;

  constructor(options: StreamgateClientOptions) {
    this.transport = new Transport(options);
    this.publishTokens = new PublishTokenApi(this.transport, 'publish');
    this.subscribeTokens = new TokenApi(this.transport, 'subscribe');
    this.apiSecrets = new ApiSecretApi(this.transport);
    this.webhooks = new WebhookApi(this.transport);
  }

  /** The token API of one kind, for code that takes the kind as a value. */
  tokens(kind: 'publish'): PublishTokenApi;
  tokens(kind: 'subscribe'): SubscribeTokenApi;
  tokens(kind: TokenKind): PublishTokenApi | SubscribeTokenApi;
  tokens(kind: TokenKind): PublishTokenApi | SubscribeTokenApi {
    return kind === 'publish' ? this.publishTokens : this.subscribeTokens;
  }

  /** `GET /api/account`: the account this client's secret belongs to, and the server's URL templates. */
  account(): Promise<AccountInfo> {
    return this.transport.request('GET', '/api/account');
  }

  /** `GET /readyz`: resolves when the server and its database are reachable (needs no secret). */
  health(): Promise<HealthStatus> {
    return this.transport.request('GET', '/readyz', { envelope: false });
  }
}
