import { spawn } from 'node:child_process';

/** The Millicast host every seed example talks to; the only host we swap out. */
export const SEED_HOST = 'https://api.millicast.com';
/** The API secret placeholder used by every seed example. */
export const SEED_SECRET = '[your_api_secret]';
/** Token id placeholders in seed URLs: the bracketed one, and the literal id 100 one seed uses. */
export const SEED_TOKEN_IDS = ['[token id]', '100'] as const;

/** One curl example, as it sits in a seed file. */
export interface SeedCurl {
  /** Seed file name (no directory), for failure messages. */
  readonly file: string;
  /** 0-based position among the curl examples of that file, in document order. */
  readonly index: number;
  /** 1-based line where the command starts. */
  readonly line: number;
  /** The lines of the command exactly as written, joined by '\n'. */
  readonly raw: string;
  /** The command as one shell line (see `extractCurlCommands` for the one normalisation). */
  readonly text: string;
  /** Info string of the ``` fence around it (`'curl'`), or null for a bare example. */
  readonly fence: string | null;
}

const CURL_LINE = /^[ \t]*curl /;
const CONTINUED = /\\[ \t]*$/;
const FENCE = /^[ \t]*```(.*)$/;

/** How many lines of a text start a curl command: the count extraction must match. */
export function countCurlLines(source: string): number {
  return source
    .replace(/\r\n/g, '\n')
    .split('\n')
    .filter((l) => CURL_LINE.test(l)).length;
}

/**
 * Every `curl ...` example of a seed, in document order. A command starts on a line whose first
 * word is `curl` and continues while a line ends with a backslash.
 *
 * The seeds write the continuation as a backslash followed by TWO SPACES and then the newline.
 * A shell reads `\ ` as an escaped space and would end the command at that newline, so the
 * examples cannot be pasted as they are. Turning each `\<spaces/tabs><newline>` into a single
 * space is the one change to the text we allow besides host, secret and token id: it is what
 * the author meant (a line continuation) and changes no argument.
 */
export function extractCurlCommands(source: string, file: string): SeedCurl[] {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const out: SeedCurl[] = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      fence = fence === null ? (fenceMatch[1] ?? '').trim() : null;
      continue;
    }
    if (!CURL_LINE.test(line)) continue;
    let end = i;
    while (CONTINUED.test(lines[end] as string)) {
      end++;
      if (end >= lines.length) throw new Error(`${file}:${i + 1}: curl command continues past the end of the file`);
    }
    const raw = lines.slice(i, end + 1).join('\n');
    const text = raw.trimStart().replace(/\\[ \t]*\n/g, ' ');
    out.push({ file, index: out.length, line: i + 1, raw, text, fence });
    i = end;
  }
  return out;
}

export interface Substitutions {
  /** Base URL of the local Streamgate, e.g. `http://127.0.0.1:4567` (no trailing slash). */
  readonly baseUrl: string;
  readonly apiSecret: string;
  /** Id replacing `[token id]` / `100`; required exactly when the command holds one of them. */
  readonly tokenId?: number;
}

const TOKEN_ID_IN_PATH = /(\/api\/(?:publish|subscribe)_token\/)(\[token id\]|100)(?=[\s'"]|$)/g;

/**
 * The only rewrite applied to a seed command: host, API secret and token id. The seeds leave
 * `[token id]` unquoted, so as written a shell would split it into two words; it is replaced
 * whole, as its reader is told to do. Throws when a
 * token id is given for a command without an id placeholder or the other way round, so an
 * expectation table that drifted from the seed cannot run the wrong request quietly.
 */
export function rewriteCommand(text: string, subs: Substitutions): string {
  let out = text.split(SEED_HOST).join(subs.baseUrl).split(SEED_SECRET).join(subs.apiSecret);
  const hasId = new RegExp(TOKEN_ID_IN_PATH.source).test(out);
  if (hasId && subs.tokenId === undefined) throw new Error(`command needs a token id: ${text}`);
  if (!hasId && subs.tokenId !== undefined) throw new Error(`command has no token id placeholder: ${text}`);
  if (subs.tokenId !== undefined) out = out.replace(TOKEN_ID_IN_PATH, `$1${subs.tokenId}`);
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The text with host, secret and token ids (given as the values to look for) replaced by fixed
 * markers. A seed command and its rewrite must have the same skeleton: that proves nothing else
 * in the command changed. Deliberately written apart from `rewriteCommand` (markers, regexes
 * built from the values) so it checks that function rather than repeating it.
 */
export function skeleton(text: string, values: { host: string; secret: string; tokenIds: readonly string[] }): string {
  let out = text.replaceAll(values.host, '<HOST>').replaceAll(values.secret, '<SECRET>');
  if (values.tokenIds.length > 0) {
    const ids = values.tokenIds.map(escapeRegex).join('|');
    out = out.replace(new RegExp(`(/api/(?:publish|subscribe)_token/)(?:${ids})(?=[\\s'"]|$)`, 'g'), '$1<TOKEN_ID>');
  }
  return out;
}

/** What one curl run produced. */
export interface CurlResult {
  readonly exitCode: number | null;
  readonly httpStatus: number;
  readonly bodyText: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly body: any;
  readonly stderr: string;
  /** The exact line given to `bash -c`. */
  readonly commandLine: string;
}

/**
 * Runs a command through `bash -c` as written, with flags APPENDED so curl also prints the HTTP
 * status after the body and stays quiet otherwise. Proxies are bypassed through the environment
 * (not through the command) so a CI proxy setting cannot intercept loopback requests.
 */
export function runCurl(command: string, timeoutMs = 30_000): Promise<CurlResult> {
  const commandLine = `${command} --silent --show-error --max-time 20 --write-out '\\n%{http_code}'`;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', commandLine], {
      env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, NO_PROXY: '*', no_proxy: '*' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      const cut = stdout.lastIndexOf('\n');
      const bodyText = cut < 0 ? '' : stdout.slice(0, cut);
      const httpStatus = Number(cut < 0 ? stdout : stdout.slice(cut + 1));
      let body: unknown;
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = undefined;
      }
      resolve({ exitCode, httpStatus, bodyText, body, stderr, commandLine });
    });
  });
}

/** The `-X` method (POST when curl sends `-d` without one), URL and `-d` payload of a seed command. */
export function describeCommand(text: string): { method: string; url: string; payload: string | null } {
  // `[token id]` holds a space (unquoted in the seeds, so a shell would split it): keep it whole.
  const url = /\s(https?:\/\/(?:\[token id\]|\S)+)/.exec(text)?.[1] ?? '';
  const payload = /\s-d '([^']*)'/.exec(text)?.[1] ?? null;
  const method = /\s-X (\S+)/.exec(text)?.[1] ?? (payload === null ? 'GET' : 'POST');
  return { method, url, payload };
}
