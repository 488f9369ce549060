import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import { sendError } from '../envelope.js';

/** Liveness and readiness for load balancers. */
export function healthRoutes(app: FastifyInstance, store: Store): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (req, reply) => {
    try {
      await store.ping();
      return { status: 'ok', database: store.kind };
    } catch (err) {
      req.log.warn({ err }, 'database not reachable');
      return sendError(reply, new AppError('DATABASE_UNAVAILABLE', 'Database unavailable'));
    }
  });
}
