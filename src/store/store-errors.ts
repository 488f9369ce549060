/**
 * The database cannot be reached (refused, lost, shut down, or no connection free in time).
 * Thrown by the networked store in place of the driver's error, so the HTTP layer can answer
 * 503 DATABASE_UNAVAILABLE without knowing the driver. The message never names the host;
 * `detail` (the driver's own message) is for logs and the CLI.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE' as const;
  readonly statusCode = 503;
  readonly detail: string;

  constructor(cause: unknown) {
    super('Database unavailable', { cause });
    this.name = 'StoreUnavailableError';
    this.detail = cause instanceof Error ? cause.message || String((cause as { code?: unknown }).code) : String(cause);
  }
}
