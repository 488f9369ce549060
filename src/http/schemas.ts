import { type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * A Millicast-style nullable field: null is accepted and means "not given". Emitted as
 * OpenAPI 3.0 `nullable` so validation errors stay one line per field (no anyOf noise).
 */
export const Nullable = <T extends TSchema>(schema: T) =>
  Type.Optional(Type.Unsafe<Static<T> | null>({ ...schema, nullable: true }));

const MAX_INT32 = 2147483647;

export const StreamSchema = Type.Object(
  {
    streamName: Type.String({ minLength: 1, maxLength: 128, description: 'Stream name, or a pattern when isRegex' }),
    isRegex: Nullable(
      Type.Boolean({ description: 'The name is a regular expression that must match the whole stream name' }),
    ),
  },
  { additionalProperties: false },
);

const Origins = Type.Array(Type.String({ maxLength: 253 }), {
  maxItems: 100,
  description: "Domains ('example.com') or wildcard subdomains ('*.example.com'); empty = any origin",
});
const Ips = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 1000,
  description: 'IPv4/IPv6 addresses and CIDR blocks; empty = any address',
});
const Bind = Type.Integer({
  minimum: 0,
  maximum: MAX_INT32,
  description: 'Bind the token to the first N distinct client IPs that use it (0 = off)',
});
const TrackingSchema = Type.Object(
  { trackingId: Nullable(Type.String({ maxLength: 128 })) },
  { additionalProperties: false },
);

const createCommon = {
  label: Type.String({ minLength: 1, maxLength: 128, description: 'Name shown in lists and the dashboard' }),
  streams: Type.Array(StreamSchema, { minItems: 1, maxItems: 100 }),
  expires: Nullable(
    Type.Integer({ minimum: 1, maximum: MAX_INT32, description: 'Seconds from now until the token expires' }),
  ),
  allowedOrigins: Nullable(Origins),
  allowedIpAddresses: Nullable(Ips),
  bindIpsOnUsage: Nullable(Bind),
};
const publishOnly = {
  subscribeRequiresAuth: Nullable(Type.Boolean({ description: 'Viewers need a valid subscribe token' })),
  record: Nullable(Type.Boolean()),
  multisource: Nullable(Type.Boolean()),
};
const subscribeOnly = { tracking: Nullable(TrackingSchema) };

export const CreatePublishTokenBody = Type.Object({ ...createCommon, ...publishOnly }, { additionalProperties: false });
export const CreateSubscribeTokenBody = Type.Object(
  { ...createCommon, ...subscribeOnly },
  { additionalProperties: false },
);

const updateCommon = {
  label: Nullable(Type.String({ minLength: 1, maxLength: 128 })),
  refreshToken: Nullable(Type.Boolean({ description: 'true: new token value; the old one is refused at once' })),
  isActive: Nullable(Type.Boolean()),
  addTokenStreams: Nullable(Type.Array(StreamSchema, { maxItems: 100 })),
  removeTokenStreams: Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 })),
  allowedOrigins: Nullable(Origins),
  allowedIpAddresses: Nullable(Ips),
  bindIpsOnUsage: Nullable(Bind),
};
/** v1 also takes Millicast's prefixed names; sending both spellings of one field is an error. */
const v1Names = {
  updateAllowedOrigins: Nullable(Origins),
  updateAllowedIpAddresses: Nullable(Ips),
  updateBindIpsOnUsage: Nullable(Bind),
};

export const UpdatePublishTokenV1Body = Type.Object(
  { ...updateCommon, ...v1Names, ...publishOnly },
  { additionalProperties: false },
);
export const UpdateSubscribeTokenV1Body = Type.Object(
  { ...updateCommon, ...v1Names, ...subscribeOnly },
  { additionalProperties: false },
);
export const UpdatePublishTokenV2Body = Type.Object(
  { ...updateCommon, ...publishOnly },
  { additionalProperties: false },
);
export const UpdateSubscribeTokenV2Body = Type.Object(
  { ...updateCommon, ...subscribeOnly },
  { additionalProperties: false },
);
export type UpdateTokenBody = Static<typeof UpdatePublishTokenV1Body> & Static<typeof UpdateSubscribeTokenV1Body>;

export const TokenIdParams = Type.Object({
  tokenId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

const paging = {
  page: Type.Integer({ minimum: 1, maximum: MAX_INT32, description: 'Page number, from 1' }),
  itemsOnPage: Type.Integer({ minimum: 1, maximum: 100 }),
  sortBy: Type.Optional(Type.Union([Type.Literal('Name'), Type.Literal('AddedOn')], { default: 'Name' })),
  isDescending: Type.Optional(Type.Boolean({ default: false })),
};
export const ListTokensQuery = Type.Object(paging);
export const ListTokensByNameQuery = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 128, description: 'Text to find in labels or stream names' }),
  filterBy: Type.Optional(
    Type.Union(
      [Type.Literal('None'), Type.Literal('TokenName'), Type.Literal('StreamName'), Type.Literal('TokenOrStreamName')],
      { default: 'TokenOrStreamName' },
    ),
  ),
  ...paging,
});

export const DisableTokensBody = Type.Object(
  {
    tokenIds: Type.Array(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), {
      minItems: 1,
      maxItems: 1000,
    }),
  },
  { additionalProperties: false },
);

const StreamOut = Type.Object({ streamName: Type.String(), isRegex: Type.Boolean() });
const tokenOutCommon = {
  id: Type.Integer(),
  label: Type.String(),
  token: Type.String({ description: '64 hex characters' }),
  addedOn: Type.String({ format: 'date-time' }),
  expiresOn: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  isActive: Type.Boolean(),
  streams: Type.Array(StreamOut),
  allowedOrigins: Type.Array(Type.String()),
  allowedIpAddresses: Type.Array(Type.String()),
  bindIpsOnUsage: Type.Integer(),
};
export const PublishTokenOut = Type.Object({
  ...tokenOutCommon,
  subscribeRequiresAuth: Type.Boolean(),
  record: Type.Boolean(),
  multisource: Type.Boolean(),
});
export const SubscribeTokenOut = Type.Object({
  ...tokenOutCommon,
  tracking: Type.Union([Type.Object({ trackingId: Type.String() }), Type.Null()]),
});

export const success = <T extends TSchema>(data: T) => Type.Object({ status: Type.Literal('success'), data });

export const FailOut = Type.Object(
  {
    status: Type.Literal('fail'),
    data: Type.Object({ message: Type.String(), code: Type.String() }, { additionalProperties: true }),
  },
  { description: 'Client error; field errors sit next to message' },
);

export const SecretIdParams = Type.Object({ secretId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const CreateSecretBody = Type.Object(
  { label: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  { additionalProperties: false },
);
export const SecretOut = Type.Object({
  id: Type.Integer(),
  label: Type.String(),
  addedOn: Type.String({ format: 'date-time' }),
  refreshedOn: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export const IssuedSecretOut = Type.Object({
  ...SecretOut.properties,
  secret: Type.String({ description: 'The API secret value: shown only in this answer' }),
});
