/** Why an access request is refused: a machine-readable code, the exact text users know, the HTTP status. */
export const DENIALS = {
  INVALID_TOKEN: { status: 401, message: 'Unauthorized: Invalid token' },
  TOKEN_EXPIRED: { status: 401, message: 'Unauthorized: Token expired' },
  TOKEN_DISABLED: { status: 401, message: 'Unauthorized: Token disabled' },
  STREAM_NAME_NOT_ALLOWED: { status: 401, message: 'StreamName is not valid for token' },
  ORIGIN_NOT_ALLOWED: { status: 401, message: 'Unauthorized: Origin not allowed' },
  IP_NOT_ALLOWED: { status: 401, message: 'Unauthorized: IP Address not allowed' },
  SUBSCRIBE_TOKEN_REQUIRED: { status: 401, message: 'Unauthorized: subscribe token required' },
  STREAM_NOT_FOUND: { status: 404, message: 'Stream not found' },
  STREAM_ALREADY_PUBLISHED: { status: 409, message: 'Stream is already being published' },
} as const;

export type DenialCode = keyof typeof DENIALS;

export interface Denied {
  readonly allowed: false;
  readonly code: DenialCode;
  readonly message: string;
  readonly status: number;
}

export function deny(code: DenialCode): Denied {
  const d = DENIALS[code];
  return { allowed: false, code, message: d.message, status: d.status };
}
