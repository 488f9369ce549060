/**
 * A non-success answer of the server. `code` is the machine-readable code of a fail envelope
 * (`VALIDATION_FAILED`, `UNAUTHORIZED`, `NOT_FOUND`...), or `INTERNAL` when the server did not
 * give one (5xx error envelopes carry only the HTTP status, and proxies send no envelope).
 */
export class StreamgateApiError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** Machine-readable error code. */
  readonly code: string;
  /** The envelope's whole `data` object, e.g. `{message, code, errors: {field: [problems]}}`; `{}` when none. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'StreamgateApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /**
   * Problems per field, e.g. `{"allowedIpAddresses[0]": ["'777.888.99.001' is not a valid IP..."]}`:
   * the validation `errors` map plus Millicast-style string fields next to `message` (such as
   * `tokenId`) when they say more than the message itself.
   */
  get fieldErrors(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const nested = this.details.errors;
    if (nested !== null && typeof nested === 'object' && !Array.isArray(nested)) {
      for (const [field, problems] of Object.entries(nested)) {
        const list = Array.isArray(problems) ? problems.map(String) : [String(problems)];
        if (list.length > 0) out[field] = list;
      }
    }
    for (const [field, value] of Object.entries(this.details)) {
      if (field === 'message' || field === 'code' || field === 'errors') continue;
      if (typeof value === 'string' && value !== this.message) out[field] = [...(out[field] ?? []), value];
    }
    return out;
  }
}

/** The server could not be reached or did not answer in time; nothing is known about the request's effect. */
export class StreamgateConnectionError extends Error {
  /** The URL that was requested. */
  readonly url: string;

  constructor(url: string, cause: unknown) {
    super(`cannot reach ${url}: ${describeCause(cause)}`, { cause });
    this.name = 'StreamgateConnectionError';
    this.url = url;
  }
}

/** fetch() reports "fetch failed" and hides the useful part (ECONNREFUSED...) in `cause`. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  if (cause.name === 'TimeoutError' || cause.name === 'AbortError') return 'request timed out';
  const inner = (cause as { cause?: unknown }).cause;
  if (inner instanceof Error && inner.message) return inner.message;
  return cause.message;
}
