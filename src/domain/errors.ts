/**
 * The closed list of error codes Streamgate answers with, and the HTTP status of each.
 * Every 4xx/5xx the server sends is one of these, rendered by http/envelope.ts.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  NO_PROPERTIES_TO_UPDATE: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  DATABASE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Field name -> list of problems with it, as in `{"errors":{"page":["..."]}}`. */
export type FieldErrors = Record<string, string[]>;

/**
 * A failure the client can act on. `fields` go into the fail envelope next to `message`
 * (Millicast puts e.g. `"tokenId": "No publish token with id: 99"` there).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fields: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, fields?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.fields = fields;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const errors = {
  validation(fieldErrors: FieldErrors): AppError {
    return new AppError('VALIDATION_FAILED', 'Validation errors', { errors: fieldErrors });
  },
  field(field: string, problem: string): AppError {
    return errors.validation({ [field]: [problem] });
  },
  noPropertiesToUpdate(): AppError {
    const message = 'No properties specified to update.';
    return new AppError('NO_PROPERTIES_TO_UPDATE', message, { token: message });
  },
  unauthorized(): AppError {
    return new AppError('UNAUTHORIZED', 'Unauthorized');
  },
  notFound(field: string, message: string): AppError {
    return new AppError('NOT_FOUND', message, { [field]: message });
  },
  conflict(message: string): AppError {
    return new AppError('CONFLICT', message);
  },
};
