import type { StreamRule } from './stream-rule.js';

export type TokenKind = 'publish' | 'subscribe';

export interface Account {
  readonly id: number;
  readonly streamAccountId: string;
  readonly name: string;
  readonly createdOn: number;
}

export interface ApiSecretRecord {
  readonly id: number;
  readonly accountId: number;
  readonly label: string;
  /** SHA-256 of the secret value, hex; the value itself is never stored. */
  readonly hash: string;
  readonly addedOn: number;
  readonly refreshedOn: number | null;
}

export interface Tracking {
  readonly trackingId: string;
}

/** The state of a token that the API can set; what create and update both produce. */
export interface TokenState {
  readonly label: string;
  readonly token: string;
  readonly expiresOn: number | null;
  readonly isActive: boolean;
  readonly streams: readonly StreamRule[];
  readonly allowedOrigins: readonly string[];
  readonly allowedIpAddresses: readonly string[];
  readonly bindIpsOnUsage: number;
  readonly subscribeRequiresAuth: boolean;
  readonly record: boolean;
  readonly multisource: boolean;
  readonly tracking: Tracking | null;
}

export interface TokenRecord extends TokenState {
  readonly id: number;
  readonly accountId: number;
  readonly kind: TokenKind;
  /** epoch milliseconds */
  readonly addedOn: number;
  /** Bumped on every write; updates are compare-and-set on it so concurrent writers never lose each other's changes. */
  readonly version: number;
}

export type TokenSortBy = 'Name' | 'AddedOn';
export type TokenFilterBy = 'TokenName' | 'StreamName' | 'TokenOrStreamName';

export interface TokenListQuery {
  readonly page: number;
  readonly itemsOnPage: number;
  readonly sortBy: TokenSortBy;
  readonly isDescending: boolean;
  readonly filter?: { readonly name: string; readonly by: TokenFilterBy };
}

/** One publisher's hold on a live stream. A stream is live while it has an unexpired lease. */
export interface LiveLease {
  readonly accountId: number;
  readonly streamName: string;
  /** Who holds it: a media-server client id or a director session; renewals and release name it. */
  readonly holderId: string;
  readonly tokenId: number;
  readonly sourceId: string | null;
  readonly startedOn: number;
  readonly expiresOn: number;
}

/** A publisher asking to take (or keep) a stream. */
export interface LeaseRequest {
  readonly accountId: number;
  readonly streamName: string;
  readonly holderId: string;
  readonly tokenId: number;
  readonly sourceId: string | null;
  readonly multisource: boolean;
}

export type AcquireResult =
  | {
      readonly acquired: true;
      /** the stream had no live lease before */
      readonly started: boolean;
      /**
       * Present when this acquire cleared lapsed leases of a stream nobody swept yet: the previous
       * run ended unannounced, and the lease that lapsed last (its publisher) is given so that the
       * end is announced before the new start.
       */
      readonly endedRun?: LiveLease;
    }
  | { readonly acquired: false };

export type BindResult = 'bound' | 'full' | 'gone';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  readonly privateKeyPem: string;
  readonly publicJwk: Record<string, unknown>;
  readonly createdOn: number;
}

/** The event families a webhook can subscribe to (Millicast's WebhookModel flags). */
export type WebhookHook =
  | 'isFeedHooks'
  | 'isRecordingHooks'
  | 'isThumbnailHooks'
  | 'isTranscoderHooks'
  | 'isMediaHooks'
  | 'isViewerConnectionHooks';

/** What create and update both produce. */
export interface WebhookState {
  readonly url: string;
  /** Base64 of the random signing key; returned by the API, so stored as is (not hashed). */
  readonly secret: string;
  readonly isFeedHooks: boolean;
  readonly isRecordingHooks: boolean;
  readonly isThumbnailHooks: boolean;
  readonly isTranscoderHooks: boolean;
  readonly isMediaHooks: boolean;
  readonly isViewerConnectionHooks: boolean;
}

export interface WebhookRecord extends WebhookState {
  readonly id: number;
  readonly accountId: number;
  /** epoch milliseconds */
  readonly addedOn: number;
}

/** Millicast's webhook list paging: ids after (or, descending, before) `startingId`. */
export interface WebhookListQuery {
  readonly startingId: number | null;
  readonly itemCount: number;
  readonly isDescending: boolean;
}
