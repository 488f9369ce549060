import type { FastifyReply } from 'fastify';
import { type AppError, ERROR_STATUS } from '../domain/errors.js';

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
