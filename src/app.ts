import { createServer } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify';
import type { Config } from './config.js';
import { AccessService } from './domain/access.js';
import { AccountService } from './domain/accounts.js';
import { AppError, errors } from './domain/errors.js';
import { InProcessEventBus, type StreamEventBus } from './domain/events.js';
import { LiveRegistry } from './domain/live-registry.js';
import { type JwtSigner, loadSigner } from './domain/signer.js';
import { TokenService } from './domain/tokens.js';
import { type WebhookDeliveryOptions, WebhookService } from './domain/webhooks.js';
import { requireApiSecret } from './http/auth.js';
import { type ClientIpResolver, createClientIpResolver } from './http/client-ip.js';
import { DirectorFastPath, type NodeHandler } from './http/director-fast.js';
import { renderThrown, sendError } from './http/envelope.js';
import { parseJsonBody } from './http/json-body.js';
import { requestIds } from './http/request-id.js';
import { accountRoutes } from './http/routes/account.js';
import { apiSecretRoutes } from './http/routes/api-secrets.js';
import { directorRoutes } from './http/routes/director.js';
import { healthRoutes } from './http/routes/health.js';
import { hlsAuthRoutes } from './http/routes/hls-auth.js';
import { hookRoutes } from './http/routes/hooks.js';
import { liveRoutes } from './http/routes/live.js';
import { tokenRoutes } from './http/routes/tokens.js';
import { webRoutes } from './http/routes/web.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { fieldErrorsFromAjv, validatorCompiler } from './http/validation.js';
import { ViewerEvents, type ViewerEventsOptions } from './http/ws-events.js';
import type { Store } from './store/store.js';
import { StoreUnavailableError } from './store/store-errors.js';

export interface AppDeps {
  readonly store: Store;
  readonly config: Config;
  /** false (tests), true, or pino options */
  readonly logger?: FastifyServerOptions['logger'];
  /** Clock for expiry, injectable for tests. */
  readonly now?: () => number;
  /** Stream events for viewer sockets; in-process by default (a shared bus reaches every node). */
  readonly bus?: StreamEventBus;
  /** Webhook delivery tuning (timeouts, retry delays, queue bound), e.g. fast retries in tests. */
  readonly webhookDelivery?: Partial<Omit<WebhookDeliveryOptions, 'log'>>;
  /** Viewer WebSocket limits and timings. */
  readonly viewerEvents?: Partial<ViewerEventsOptions>;
  /** Answer director calls on node:http ahead of Fastify (default true; false for comparisons). */
  readonly directorFastPath?: boolean;
}

export interface Services {
  readonly store: Store;
  readonly config: Config;
  readonly accounts: AccountService;
  readonly tokens: TokenService;
  readonly live: LiveRegistry;
  readonly access: AccessService;
  readonly signer: JwtSigner;
  readonly clientIp: ClientIpResolver;
  readonly now: () => number;
  readonly events: StreamEventBus;
  readonly webhooks: WebhookService;
  readonly viewerEvents: ViewerEvents;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

const BODY_LIMIT = 1024 * 1024;

/** Never log a credential: `token=` query values are masked in every logged URL. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|secret|jwt)=)[^&#]*/gi, '$1[redacted]');
}

/** Builds the whole HTTP application around its dependencies; it never listens by itself. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  let fastifyHandler: NodeHandler | null = null;
  let requestHandler: NodeHandler | null = null;
  const nextRequestId = requestIds();
  const app = Fastify({
    logger:
      deps.logger === undefined || deps.logger === true
        ? {
            level: deps.config.logLevel,
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            serializers: {
              req: (req: { method: string; url: string; ip?: string; id?: string }) => ({
                method: req.method,
                url: redactUrl(req.url),
                remoteAddress: req.ip,
              }),
            },
          }
        : deps.logger,
    bodyLimit: BODY_LIMIT,
    // The client address is the socket's; forwarded headers are judged by config, not Fastify.
    trustProxy: false,
    requestIdHeader: 'x-request-id',
    genReqId: nextRequestId,
    // Fastify's own HTTP/1 server, with the director fast path in front of its handler.
    serverFactory: (handler, options) => {
      fastifyHandler = handler;
      const timeouts = options as { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number };
      const server = createServer((req, res) => (requestHandler ?? handler)(req, res));
      server.keepAliveTimeout = timeouts.keepAliveTimeout ?? 72_000;
      server.requestTimeout = timeouts.requestTimeout ?? 0;
      server.setTimeout(timeouts.connectionTimeout ?? 0);
      return server;
    },
  });

  const now = deps.now ?? Date.now;
  const live = new LiveRegistry(deps.store, deps.config.liveLeaseSeconds * 1000, now);
  const signer = await loadSigner(deps.store);
  const events: StreamEventBus =
    deps.bus ?? new InProcessEventBus((err) => app.log.error({ err }, 'stream event listener failed'));
  const webhooks = new WebhookService(deps.store, now, { ...deps.webhookDelivery, log: app.log });
  const viewerEvents = new ViewerEvents(
    {
      bus: events,
      signer,
      store: deps.store,
      leases: (accountId, streamName) => live.leases(accountId, streamName),
      now,
      log: app.log,
    },
    deps.viewerEvents,
  );
  const services: Services = {
    store: deps.store,
    config: deps.config,
    accounts: new AccountService(deps.store),
    tokens: new TokenService(deps.store, now),
    live,
    access: new AccessService(deps.store, live, now),
    signer,
    clientIp: createClientIpResolver(deps.config.trustedProxies, deps.config.clientIpHeader),
    now,
    events,
    webhooks,
    viewerEvents,
  };
  // Viewers hear of a stream through the bus (every node's viewers, with a shared bus); webhooks
  // fire from here, the one node that saw the change, so each is delivered once per cluster.
  live.on('stream', (event) => {
    // Published after the authorization that raised it has answered (setImmediate keeps the order).
    setImmediate(() => {
      try {
        Promise.resolve(events.publish(event)).catch((err) => app.log.error({ err }, 'stream event publish failed'));
      } catch (err) {
        app.log.error({ err }, 'stream event publish failed');
      }
    });
    webhooks.streamEvent(event);
  });
  app.server.on('upgrade', viewerEvents.handleUpgrade);
  app.addHook('preClose', async () => viewerEvents.close());
  app.addHook('onClose', async () => {
    await webhooks.close();
    await events.close?.();
  });
  live.on('error', (err) => app.log.error({ err }, 'live-stream sweep failed'));
  // Expired leases (a publisher or node that vanished) end their streams within a few seconds.
  live.startSweeping(Math.min(5000, Math.max(250, deps.config.liveLeaseSeconds * 250)));
  app.addHook('onClose', async () => live.stopSweeping());
  app.decorate('services', services);
  app.decorateRequest('account', null as never);

  app.setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(
        new AppError('INVALID_JSON', `Request body is not valid JSON: ${(err as Error).message}`, { field: 'body' }),
      );
    }
  });

  // Set as the request arrives (a callback hook: no promise per request); every answer carries it.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });

  const sendThrown = (reply: FastifyReply, err: unknown) => {
    const { status, body } = renderThrown(err, reply.log);
    return reply.code(status).send(body);
  };
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError || err instanceof StoreUnavailableError) return sendThrown(reply, err);
    if (err.validation) {
      return sendError(reply, errors.validation(fieldErrorsFromAjv(err.validation as never, err.validationContext)));
    }
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(
          reply,
          new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Type: send application/json`, {
            'content-type': String(req.headers['content-type'] ?? ''),
          }),
        );
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${BODY_LIMIT} bytes`));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendError(reply, new AppError('INVALID_JSON', err.message, { field: 'body' }));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, new AppError('VALIDATION_FAILED', err.message));
    }
    return sendThrown(reply, err);
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new AppError('NOT_FOUND', `Route ${req.method} ${redactUrl(req.url).split('?')[0]} not found`)),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Streamgate API',
        version: '0.1.0',
        description:
          'Self-hosted, Millicast-compatible token API: publish and subscribe tokens, API secrets, and access decisions.',
      },
      components: {
        securitySchemes: {
          ApiSecret: { type: 'http', scheme: 'bearer', description: 'An API secret of the account' },
          PublishToken: { type: 'http', scheme: 'bearer', description: 'A publish token value' },
          SubscribeToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'A subscribe token value, or a self-signed subscribe token (JWT)',
          },
        },
      },
      security: [{ ApiSecret: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (deps.directorFastPath !== false) {
    const fast = new DirectorFastPath(services, app.log, nextRequestId);
    if (!fastifyHandler) throw new Error('Fastify did not hand over its request handler');
    requestHandler = fast.handler(fastifyHandler);
    app.addHook('preClose', async () => fast.close());
  }

  healthRoutes(app, deps.store);
  webRoutes(app);
  hlsAuthRoutes(app, services);
  directorRoutes(app, services);
  await hookRoutes(app, services);

  await app.register(async (api) => {
    api.addHook('onRequest', requireApiSecret(services.accounts));
    tokenRoutes(api, services.tokens, 'publish');
    tokenRoutes(api, services.tokens, 'subscribe');
    apiSecretRoutes(api, services.accounts);
    accountRoutes(api, services.config);
    liveRoutes(api, services.live);
    webhookRoutes(api, services.webhooks);
  });

  return app;
}
