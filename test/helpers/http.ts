/** A request to a running server as a client would make it: JSON in, JSON (or text) out. */
export interface JsonAnswer {
  readonly status: number;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  readonly body: any;
}

export async function requestJson(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; bearer?: string | null; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<JsonAnswer> {
  const { body, bearer, headers = {}, timeoutMs = 20_000 } = options;
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: media-server hooks answer with an empty or plain body
  }
  return { status: res.status, body: parsed };
}
