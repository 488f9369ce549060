import type { FastifyReply } from 'fastify';
import { AppError, ERROR_STATUS } from '../domain/errors.js';
import { StoreUnavailableError } from '../store/store-errors.js';

/** `{"status":"success","data":...}`, the body of every successful JSON answer. */
export function ok<T>(data: T): { status: 'success'; data: T } {
  return { status: 'success', data };
}

export interface FailBody {
  status: 'fail';
  data: { message: string; code: string; [field: string]: unknown };
}

export interface ErrorBody {
  status: 'error';
  message: string;
  code: number;
  data: null;
}

/** The wire form of an AppError: a fail envelope for 4xx, an error envelope (no internals) for 5xx. */
export function renderError(err: AppError): { status: number; body: FailBody | ErrorBody } {
  const status = ERROR_STATUS[err.code];
  if (status >= 500) {
    return { status, body: { status: 'error', message: err.message, code: status, data: null } };
  }
  return { status, body: { status: 'fail', data: { message: err.message, code: err.code, ...err.fields } } };
}

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  const { status, body } = renderError(err);
  return reply.code(status).send(body);
}

/**
 * The answer to an exception thrown while serving a request: an AppError as itself, an
 * unavailable database as a 503 (logged as a warning), anything else as a bare 500 (logged).
 */
export function renderThrown(
  err: unknown,
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void },
): { status: number; body: FailBody | ErrorBody } {
  if (err instanceof AppError) return renderError(err);
  if (err instanceof StoreUnavailableError) {
    log.warn({ err, detail: err.detail }, 'database unavailable');
    return renderError(new AppError('DATABASE_UNAVAILABLE', 'Database unavailable: try again shortly'));
  }
  log.error({ err }, 'unhandled error');
  return renderError(new AppError('INTERNAL', 'Internal server error'));
}
