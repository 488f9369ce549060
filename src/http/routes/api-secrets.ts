import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type AccountService, apiSecretView, type IssuedSecret } from '../../domain/accounts.js';
import { ok } from '../envelope.js';
import { CreateSecretBody, FailOut, IssuedSecretOut, SecretIdParams, SecretOut, success } from '../schemas.js';

const issued = (s: IssuedSecret) => ({ ...apiSecretView(s.record), secret: s.value });

/**
 * API secrets of the calling account (the seeds' Account > Security > API Secret). Any
 * secret of an account manages all of them; deleting the last one locks the API.
 */
export function apiSecretRoutes(app: FastifyInstance, accounts: AccountService): void {
  const tags = ['API secrets'];
  const errorResponses = { 400: FailOut, 401: FailOut, 404: FailOut };

  app.post<{ Body: Static<typeof CreateSecretBody> | undefined }>('/api/api_secret', {
    schema: {
      tags,
      summary: 'Create an API secret (its value is shown only in this answer)',
      body: Type.Optional(CreateSecretBody),
      response: { 200: success(IssuedSecretOut), ...errorResponses },
    },
    handler: async (req) => ok(issued(await accounts.createSecret(req.account.id, req.body?.label ?? 'api secret'))),
  });

  app.get('/api/api_secret/list', {
    schema: { tags, summary: 'List API secrets (without values)', response: { 200: success(Type.Array(SecretOut)) } },
    handler: async (req) => ok((await accounts.listSecrets(req.account.id)).map(apiSecretView)),
  });

  app.get<{ Params: Static<typeof SecretIdParams> }>('/api/api_secret/:secretId', {
    schema: {
      tags,
      summary: 'Read an API secret (without its value)',
      params: SecretIdParams,
      response: { 200: success(SecretOut), ...errorResponses },
    },
    handler: async (req) => ok(apiSecretView(await accounts.getSecret(req.account.id, req.params.secretId))),
  });

  app.post<{ Params: Static<typeof SecretIdParams> }>('/api/api_secret/:secretId/refresh', {
    schema: {
      tags,
      summary: 'Give an API secret a new value; the old value is refused from now on',
      params: SecretIdParams,
      response: { 200: success(IssuedSecretOut), ...errorResponses },
    },
    handler: async (req) => ok(issued(await accounts.refreshSecret(req.account.id, req.params.secretId))),
  });

  app.delete<{ Params: Static<typeof SecretIdParams> }>('/api/api_secret/:secretId', {
    schema: {
      tags,
      summary: 'Delete an API secret',
      params: SecretIdParams,
      response: { 200: success(Type.Boolean()), ...errorResponses },
    },
    handler: async (req) => {
      await accounts.deleteSecret(req.account.id, req.params.secretId);
      return ok(true);
    },
  });
}
