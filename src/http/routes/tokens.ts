import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import type { TokenFilterBy, TokenKind } from '../../domain/model.js';
import type { CreateTokenInput, Named, TokenPatch, TokenService } from '../../domain/tokens.js';
import { ok } from '../envelope.js';
import {
  CreatePublishTokenBody,
  CreateSubscribeTokenBody,
  DisableTokensBody,
  FailOut,
  ListTokensByNameQuery,
  ListTokensQuery,
  PublishTokenOut,
  SubscribeTokenOut,
  success,
  TokenIdParams,
  UpdatePublishTokenV1Body,
  UpdatePublishTokenV2Body,
  UpdateSubscribeTokenV1Body,
  UpdateSubscribeTokenV2Body,
  type UpdateTokenBody,
} from '../schemas.js';
import { tokenView } from '../views.js';

type Body = Partial<Record<keyof UpdateTokenBody, unknown>>;

/** Millicast v1 spells three fields `updateX`; the seeds use the bare names on the same path. */
const V1_ALIASES = [
  ['updateAllowedOrigins', 'allowedOrigins'],
  ['updateAllowedIpAddresses', 'allowedIpAddresses'],
  ['updateBindIpsOnUsage', 'bindIpsOnUsage'],
] as const;

const PATCH_FIELDS = [
  'label',
  'refreshToken',
  'isActive',
  'addTokenStreams',
  'removeTokenStreams',
  'allowedOrigins',
  'allowedIpAddresses',
  'bindIpsOnUsage',
  'subscribeRequiresAuth',
  'record',
  'multisource',
  'tracking',
] as const;

/** Maps either naming onto one patch, keeping the name the client used for error messages. */
export function toPatch(body: Body): TokenPatch {
  const patch: Record<string, Named<unknown>> = {};
  for (const field of PATCH_FIELDS) {
    const value = body[field];
    if (value !== undefined && value !== null) patch[field] = { value, field };
  }
  for (const [alias, field] of V1_ALIASES) {
    const value = body[alias];
    if (value === undefined || value === null) continue;
    if (patch[field]) throw errors.field(alias, `conflicts with ${field}: send only one of them`);
    patch[field] = { value, field: alias };
  }
  return patch as TokenPatch;
}

export function tokenRoutes(app: FastifyInstance, tokens: TokenService, kind: TokenKind): void {
  const base = `/api/${kind}_token`;
  const tag = kind === 'publish' ? 'Publish tokens' : 'Subscribe tokens';
  const Out = kind === 'publish' ? PublishTokenOut : SubscribeTokenOut;
  const CreateBody = kind === 'publish' ? CreatePublishTokenBody : CreateSubscribeTokenBody;
  const errorResponses = { 400: FailOut, 401: FailOut, 404: FailOut };

  app.post<{ Body: Static<typeof CreatePublishTokenBody> & Static<typeof CreateSubscribeTokenBody> }>(base, {
    schema: {
      tags: [tag],
      summary: `Create a ${kind} token`,
      body: CreateBody,
      response: { 200: success(Out), ...errorResponses },
    },
    handler: async (req) => ok(tokenView(await tokens.create(req.account, kind, req.body as CreateTokenInput))),
  });

  app.get<{ Querystring: Static<typeof ListTokensQuery> }>(`${base}/list`, {
    schema: {
      tags: [tag],
      summary: `List ${kind} tokens`,
      querystring: ListTokensQuery,
      response: { 200: success(Type.Array(Out)), ...errorResponses },
    },
    handler: async (req) => {
      const q = req.query;
      const list = await tokens.list(req.account, kind, {
        page: q.page,
        itemsOnPage: q.itemsOnPage,
        sortBy: q.sortBy ?? 'Name',
        isDescending: q.isDescending ?? false,
      });
      return ok(list.map(tokenView));
    },
  });

  app.get<{ Querystring: Static<typeof ListTokensByNameQuery> }>(`${base}/list_by_name`, {
    schema: {
      tags: [tag],
      summary: `List ${kind} tokens whose label or stream name contains a text`,
      querystring: ListTokensByNameQuery,
      response: { 200: success(Type.Array(Out)), ...errorResponses },
    },
    handler: async (req) => {
      const q = req.query;
      const by: TokenFilterBy = !q.filterBy || q.filterBy === 'None' ? 'TokenOrStreamName' : q.filterBy;
      const list = await tokens.list(req.account, kind, {
        page: q.page,
        itemsOnPage: q.itemsOnPage,
        sortBy: q.sortBy ?? 'Name',
        isDescending: q.isDescending ?? false,
        filter: { name: q.name, by },
      });
      return ok(list.map(tokenView));
    },
  });

  app.get<{ Params: Static<typeof TokenIdParams> }>(`${base}/:tokenId`, {
    schema: {
      tags: [tag],
      summary: `Read a ${kind} token`,
      params: TokenIdParams,
      response: { 200: success(Out), ...errorResponses },
    },
    handler: async (req) => ok(tokenView(await tokens.get(req.account, kind, req.params.tokenId))),
  });

  const update = (version: 'v1' | 'v2') => {
    const body =
      version === 'v1'
        ? kind === 'publish'
          ? UpdatePublishTokenV1Body
          : UpdateSubscribeTokenV1Body
        : kind === 'publish'
          ? UpdatePublishTokenV2Body
          : UpdateSubscribeTokenV2Body;
    app.put<{ Params: Static<typeof TokenIdParams>; Body: Body }>(
      version === 'v1' ? `${base}/:tokenId` : `/api/v2/${kind}_token/:tokenId`,
      {
        schema: {
          tags: [tag],
          summary:
            version === 'v1'
              ? `Update a ${kind} token (accepts updateAllowedOrigins-style and bare names)`
              : `Update a ${kind} token`,
          params: TokenIdParams,
          body,
          response: { 200: success(Out), ...errorResponses },
        },
        handler: async (req) =>
          ok(tokenView(await tokens.update(req.account, kind, req.params.tokenId, toPatch(req.body ?? {})))),
      },
    );
  };
  update('v1');
  update('v2');

  app.delete<{ Params: Static<typeof TokenIdParams> }>(`${base}/:tokenId`, {
    schema: {
      tags: [tag],
      summary: `Delete a ${kind} token; its value is refused at once`,
      params: TokenIdParams,
      response: { 200: success(Type.Boolean()), ...errorResponses },
    },
    handler: async (req) => {
      await tokens.delete(req.account, kind, req.params.tokenId);
      return ok(true);
    },
  });

  if (kind === 'publish') {
    app.patch<{ Body: Static<typeof DisableTokensBody> }>(`${base}/disable`, {
      schema: {
        tags: [tag],
        summary: 'Disable publish tokens in bulk',
        body: DisableTokensBody,
        response: {
          200: success(
            Type.Object({
              successfulTokens: Type.Array(Type.Integer()),
              failedTokens: Type.Array(Type.Object({ tokenId: Type.Integer(), errorMessage: Type.String() })),
            }),
          ),
          ...errorResponses,
        },
      },
      handler: async (req) => ok(await tokens.disable(req.account, kind, req.body.tokenIds)),
    });
  }
}
