import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountService } from '../domain/accounts.js';
import { errors } from '../domain/errors.js';
import type { Account } from '../domain/model.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account whose API secret authenticated this request (management routes only). */
    account: Account;
  }
}

/** The credential of an `Authorization: Bearer <value>` header, or null. */
export function bearer(request: FastifyRequest): string | null {
  return bearerOf(request.headers);
}

/** The credential of the `Authorization: Bearer <value>` header among `headers`, or null. */
export function bearerOf(headers: IncomingHttpHeaders): string | null {
  const header = headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? (match[1] as string) : null;
}

/**
 * preHandler of every management route: the API secret is looked up on every request (no
 * cache), so a refreshed or deleted secret is refused on the very next call.
 */
export function requireApiSecret(accounts: AccountService) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const value = bearer(request);
    const account = value ? await accounts.authenticate(value) : null;
    if (!account) throw errors.unauthorized();
    request.account = account;
  };
}
