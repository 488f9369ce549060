/**
 * Wire shapes of the management REST API, mirroring src/http/schemas.ts. Kept as plain
 * interfaces (no TypeBox) so the SDK has no runtime dependency and can be copied out alone.
 */

/** The two token families; each has its own ids and its own `/api/{kind}_token` routes. */
export type TokenKind = 'publish' | 'subscribe';

/** Sort order of token lists. */
export type TokenSortBy = 'Name' | 'AddedOn';

/** Where `listByName` looks for its text; `None` is Millicast's spelling of `TokenOrStreamName`. */
export type TokenFilterBy = 'None' | 'TokenName' | 'StreamName' | 'TokenOrStreamName';

/** A stream rule as the server returns it. */
export interface TokenStream {
  /** Stream name, or a pattern when `isRegex`. */
  streamName: string;
  /** The name is a regular expression that must match the whole stream name. */
  isRegex: boolean;
}

/** A stream rule as sent on create or in `addTokenStreams`. */
export interface TokenStreamInput {
  /** Stream name (1..128 characters), or a pattern when `isRegex`. */
  streamName: string;
  /** Treat `streamName` as a regular expression matching the whole name; default false. */
  isRegex?: boolean | null;
}

/** Viewer tracking of a subscribe token. */
export interface Tracking {
  /** Identifier reported with the viewer's events. */
  trackingId: string;
}

/** Viewer tracking as sent; a null or empty `trackingId` means no tracking. */
export interface TrackingInput {
  /** Identifier reported with the viewer's events (up to 128 characters). */
  trackingId?: string | null;
}

/** Fields every token carries. */
export interface TokenBase {
  /** Integer id, unique within the account and kind. */
  id: number;
  /** Name shown in lists. */
  label: string;
  /** The token value: 64 lowercase hex characters. */
  token: string;
  /** Creation time, ISO-8601 UTC. */
  addedOn: string;
  /** Expiry time, ISO-8601 UTC; null means never. */
  expiresOn: string | null;
  /** An inactive token authorizes nothing. */
  isActive: boolean;
  /** Stream rules; a name matching any of them is allowed. */
  streams: TokenStream[];
  /** Allowed origin domains (`example.com`, `*.example.com`); empty means any origin. */
  allowedOrigins: string[];
  /** Allowed client addresses and CIDR blocks; empty means any address. */
  allowedIpAddresses: string[];
  /** Bind the token to its first N distinct client IPs; 0 means off. */
  bindIpsOnUsage: number;
}

/** A publish token. */
export interface PublishToken extends TokenBase {
  /** Viewers of the streams it publishes need a valid subscribe token. */
  subscribeRequiresAuth: boolean;
  /** Streams it publishes are recorded. */
  record: boolean;
  /** Several sources may publish one stream name with distinct source ids. */
  multisource: boolean;
}

/** A subscribe token. */
export interface SubscribeToken extends TokenBase {
  /** Viewer tracking, or null when none. */
  tracking: Tracking | null;
}

/** Create fields shared by both kinds. */
export interface CreateTokenCommonInput {
  /** Name shown in lists, 1..128 characters. */
  label: string;
  /** At least one stream rule. */
  streams: TokenStreamInput[];
  /** Seconds from now until the token expires (1..2147483647); absent or null means never. */
  expires?: number | null;
  /** Allowed origin domains or wildcard subdomains; absent or empty means any origin. */
  allowedOrigins?: string[] | null;
  /** Allowed IPv4/IPv6 addresses and CIDR blocks; absent or empty means any address. */
  allowedIpAddresses?: string[] | null;
  /** Bind to the first N distinct client IPs; cannot be combined with a non-empty `allowedIpAddresses`. */
  bindIpsOnUsage?: number | null;
}

/** Body of `POST /api/publish_token`. */
export interface CreatePublishTokenInput extends CreateTokenCommonInput {
  /** Viewers need a valid subscribe token; default false. */
  subscribeRequiresAuth?: boolean | null;
  /** Record what is published; default false. */
  record?: boolean | null;
  /** Allow several sources per stream name; default true. */
  multisource?: boolean | null;
}

/** Body of `POST /api/subscribe_token`. */
export interface CreateSubscribeTokenInput extends CreateTokenCommonInput {
  /** Viewer tracking. */
  tracking?: TrackingInput | null;
}

/** Update fields shared by both kinds; send at least one. */
export interface TokenPatchCommon {
  /** New label, 1..128 characters. */
  label?: string | null;
  /** true gives the token a new value; the old one is refused at once. */
  refreshToken?: boolean | null;
  /** Enable or disable the token. */
  isActive?: boolean | null;
  /** Stream rules to add (already present ones are kept once). */
  addTokenStreams?: TokenStreamInput[] | null;
  /** Names of stream rules to remove; each must be a stream of the token. */
  removeTokenStreams?: string[] | null;
  /** Replaces the allowed origins; [] allows any origin. */
  allowedOrigins?: string[] | null;
  /** Replaces the allowed addresses; [] allows any address. */
  allowedIpAddresses?: string[] | null;
  /** New IP binding count; 0 with `allowedIpAddresses: []` resets binding. */
  bindIpsOnUsage?: number | null;
}

/** Body of `PUT /api/v2/publish_token/{id}`. */
export interface PublishTokenPatch extends TokenPatchCommon {
  /** Viewers need a valid subscribe token. */
  subscribeRequiresAuth?: boolean | null;
  /** Record what is published. */
  record?: boolean | null;
  /** Allow several sources per stream name. */
  multisource?: boolean | null;
}

/** Body of `PUT /api/v2/subscribe_token/{id}`. */
export interface SubscribeTokenPatch extends TokenPatchCommon {
  /** Replaces the viewer tracking; a null `trackingId` removes it. */
  tracking?: TrackingInput | null;
}

/** Millicast v1's prefixed names, accepted only by `PUT /api/{kind}_token/{id}`; never send both spellings. */
export interface V1PatchNames {
  /** v1 spelling of `allowedOrigins`. */
  updateAllowedOrigins?: string[] | null;
  /** v1 spelling of `allowedIpAddresses`. */
  updateAllowedIpAddresses?: string[] | null;
  /** v1 spelling of `bindIpsOnUsage`. */
  updateBindIpsOnUsage?: number | null;
}

/** Body of `PUT /api/publish_token/{id}`. */
export type PublishTokenV1Patch = PublishTokenPatch & V1PatchNames;
/** Body of `PUT /api/subscribe_token/{id}`. */
export type SubscribeTokenV1Patch = SubscribeTokenPatch & V1PatchNames;

/** Paging and order of `list`. */
export interface ListTokensQuery {
  /** Page number, from 1; a page past the end is an empty array. */
  page: number;
  /** Page size, 1..100. */
  itemsOnPage: number;
  /** Sort key; the server defaults to `Name`. */
  sortBy?: TokenSortBy;
  /** Reverse the order; default false. */
  isDescending?: boolean;
}

/** Query of `listByName`. */
export interface ListTokensByNameQuery extends ListTokensQuery {
  /** Text to find (1..128 characters). */
  name: string;
  /** Where to look; the server defaults to `TokenOrStreamName`. */
  filterBy?: TokenFilterBy;
}

/** One token a bulk disable could not disable. */
export interface FailedToken {
  /** The id that was sent. */
  tokenId: number;
  /** Why it failed, e.g. `No publish token with id: 9`. */
  errorMessage: string;
}

/** Answer of `PATCH /api/publish_token/disable`. */
export interface DisableTokensResult {
  /** Ids now disabled. */
  successfulTokens: number[];
  /** Ids that could not be disabled, with the reason. */
  failedTokens: FailedToken[];
}

/** An API secret, as listed (its value is never shown again after create/refresh). */
/** `GET /api/account`: who the API secret belongs to and the URLs the server hands out. */
export interface AccountInfo {
  /** The public account id, the first half of a streamId (`<streamAccountId>/<streamName>`). */
  streamAccountId: string;
  /** Account name given at creation. */
  name: string;
  /** Publish URL templates; `{streamName}` and `{streamAccountId}` are placeholders. */
  publishUrls: string[];
  /** Subscribe (playback) URL templates, with the same placeholders. */
  subscribeUrls: string[];
}

export interface ApiSecret {
  /** Integer id within the account. */
  id: number;
  /** Name given on create. */
  label: string;
  /** Creation time, ISO-8601 UTC. */
  addedOn: string;
  /** Time of the last refresh, ISO-8601 UTC; null if never refreshed. */
  refreshedOn: string | null;
}

/** An API secret with its value, as answered by create and refresh only. */
export interface IssuedApiSecret extends ApiSecret {
  /** The value to send as `Authorization: Bearer <secret>`. */
  secret: string;
}

/** Answer of `GET /readyz`. */
export interface HealthStatus {
  /** `ok` when the server can reach its database. */
  status: string;
  /** Database kind, e.g. `sqlite` or `postgres`. */
  database: string;
}

/** An account webhook (Millicast's WebhookModel). */
export interface Webhook {
  /** Integer id within the account. */
  id: number;
  /** Where events are POSTed. */
  url: string;
  /**
   * Base64 signing key. Each delivery carries `X-Millicast-Signature: sha1=<hex HMAC-SHA1 of the
   * raw body>`, keyed with the base64-DECODED bytes of this secret.
   */
  secret: string;
  /** `feeds` `started`/`ended` events when a stream goes live or stops. */
  isFeedHooks: boolean;
  isRecordingHooks: boolean;
  isThumbnailHooks: boolean;
  isTranscoderHooks: boolean;
  isMediaHooks: boolean;
  isViewerConnectionHooks: boolean;
}

/** Body of `POST /api/webhooks`. */
export interface CreateWebhookInput {
  /** Absolute http:// or https:// URL. */
  url: string;
  isFeedHooks: boolean;
  isRecordingHooks?: boolean;
  isThumbnailHooks?: boolean;
  isTranscoderHooks?: boolean;
  isMediaHooks?: boolean;
  isViewerConnectionHooks?: boolean;
}

/** Body of `PUT /api/webhooks/{id}`; omitted fields stay as they are. */
export interface WebhookPatch {
  url?: string;
  /** true: a new signing secret (in the answer); deliveries are signed with it from then on. */
  refreshSecret?: boolean;
  isFeedHooks?: boolean;
  isRecordingHooks?: boolean;
  isThumbnailHooks?: boolean;
  isTranscoderHooks?: boolean;
  isMediaHooks?: boolean;
  isViewerConnectionHooks?: boolean;
  /** Accepted for Millicast compatibility (Streamgate never disables a webhook by itself). */
  reEnable?: boolean;
}

/** Paging of `GET /api/webhooks/list`. */
export interface ListWebhooksQuery {
  /** Ids after this one (before it when descending); omitted = from the start. */
  startingId?: number;
  /** 1 to 100; default 10. */
  itemCount?: number;
  /** Newest first; default false. */
  isDescending?: boolean;
}
