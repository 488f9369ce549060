import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MAX_WEBHOOK_URL_LENGTH, type WebhookService, webhookView } from '../../domain/webhooks.js';
import { ok } from '../envelope.js';
import { FailOut, Nullable, success } from '../schemas.js';

const Url = Type.String({
  minLength: 1,
  maxLength: MAX_WEBHOOK_URL_LENGTH,
  description: 'Absolute http:// or https:// URL the events are POSTed to',
});
const flag = (description: string) => Nullable(Type.Boolean({ description }));
const flags = {
  isRecordingHooks: flag('Recording events (none are sent yet)'),
  isThumbnailHooks: flag('Thumbnail events (none are sent yet)'),
  isTranscoderHooks: flag('Transcoder events (none are sent yet)'),
  isMediaHooks: flag('Media asset events (none are sent yet)'),
  isViewerConnectionHooks: flag('Viewer connection events (none are sent yet)'),
};

export const AddWebhookBody = Type.Object(
  {
    url: Url,
    isFeedHooks: Type.Boolean({
      description: 'Send `feeds` `started`/`ended` events when a stream goes live or stops',
    }),
    ...flags,
  },
  { additionalProperties: false },
);

export const UpdateWebhookBody = Type.Object(
  {
    url: Nullable(Url),
    refreshSecret: flag('true: a new signing secret; deliveries are signed with it from now on'),
    isFeedHooks: flag('Stream started/ended events'),
    ...flags,
    reEnable: flag('Accepted for Millicast compatibility; Streamgate never disables a webhook by itself'),
  },
  { additionalProperties: false },
);

export const ListWebhooksQuery = Type.Object({
  startingId: Nullable(
    Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'List ids after this one (before it when descending); absent = from the start',
    }),
  ),
  itemCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
  isDescending: Type.Optional(Type.Boolean({ default: false })),
});

export const WebhookIdParams = Type.Object({
  webhookId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

export const WebhookOut = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  secret: Type.String({
    description:
      'Base64 signing key: X-Millicast-Signature is sha1=<hex HMAC-SHA1 of the raw body, keyed with its decoded bytes>',
  }),
  isFeedHooks: Type.Boolean(),
  isRecordingHooks: Type.Boolean(),
  isThumbnailHooks: Type.Boolean(),
  isTranscoderHooks: Type.Boolean(),
  isMediaHooks: Type.Boolean(),
  isViewerConnectionHooks: Type.Boolean(),
});

/** Millicast's `/api/webhooks` for the calling account (register inside the API-secret scope). */
export function webhookRoutes(app: FastifyInstance, webhooks: WebhookService): void {
  const tags = ['Webhooks'];
  const errorResponses = { 400: FailOut, 401: FailOut, 404: FailOut };

  app.post<{ Body: Static<typeof AddWebhookBody> }>('/api/webhooks', {
    schema: {
      tags,
      summary: 'Add a webhook; the answer holds its signing secret',
      body: AddWebhookBody,
      response: { 200: success(WebhookOut), ...errorResponses },
    },
    handler: async (req) => ok(webhookView(await webhooks.create(req.account, req.body))),
  });

  app.get<{ Querystring: Static<typeof ListWebhooksQuery> }>('/api/webhooks/list', {
    schema: {
      tags,
      summary: "List the account's webhooks, in the order they were added",
      querystring: ListWebhooksQuery,
      response: { 200: success(Type.Array(WebhookOut)), ...errorResponses },
    },
    handler: async (req) => {
      const q = req.query;
      const list = await webhooks.list(req.account, {
        startingId: q.startingId ?? null,
        itemCount: q.itemCount ?? 10,
        isDescending: q.isDescending ?? false,
      });
      return ok(list.map(webhookView));
    },
  });

  app.get<{ Params: Static<typeof WebhookIdParams> }>('/api/webhooks/:webhookId', {
    schema: {
      tags,
      summary: 'Read a webhook',
      params: WebhookIdParams,
      response: { 200: success(WebhookOut), ...errorResponses },
    },
    handler: async (req) => ok(webhookView(await webhooks.get(req.account, req.params.webhookId))),
  });

  app.put<{ Params: Static<typeof WebhookIdParams>; Body: Static<typeof UpdateWebhookBody> }>(
    '/api/webhooks/:webhookId',
    {
      schema: {
        tags,
        summary: 'Update a webhook: url, event types, or a new signing secret (refreshSecret)',
        params: WebhookIdParams,
        body: UpdateWebhookBody,
        response: { 200: success(WebhookOut), ...errorResponses },
      },
      handler: async (req) => ok(webhookView(await webhooks.update(req.account, req.params.webhookId, req.body ?? {}))),
    },
  );

  app.delete<{ Params: Static<typeof WebhookIdParams> }>('/api/webhooks/:webhookId', {
    schema: {
      tags,
      summary: 'Remove a webhook; it receives nothing more, retries included',
      params: WebhookIdParams,
      response: { 200: success(Type.Boolean()), ...errorResponses },
    },
    handler: async (req) => {
      await webhooks.delete(req.account, req.params.webhookId);
      return ok(true);
    },
  });
}
