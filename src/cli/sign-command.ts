/**
 * `streamgate sign`: mints a self-signed subscribe token, an HS256/384/512 JWT keyed with a parent
 * subscribe token's value (SPEC.md section 4). With --token (or STREAMGATE_SUBSCRIBE_TOKEN) it is
 * done offline; without it, the parent's value is read over the REST API with --url/--secret.
 * Every input is checked here with the same rules the server applies, so a token this prints is
 * never refused for its shape, and a mistake is reported against the option that caused it.
 */
import { type Command, Option } from 'commander';
import { StreamgateApiError, StreamgateClient } from '../client/index.js';
import { validateIpRuleEntry } from '../domain/ip-rule.js';
import { validateOriginPattern } from '../domain/origin-rule.js';
import { type SelfSignedAlg, signSelfSigned } from '../domain/self-signed-token.js';
import { validateStreamName } from '../domain/stream-rule.js';

const DEFAULT_EXPIRES_IN = 3600;
const DEFAULT_URL = 'http://localhost:8080';
const REQUEST_TIMEOUT_MS = 30_000;
/** The API's limit on a subscribe token's trackingId. */
const MAX_TRACKING_ID_LENGTH = 128;
/** Beyond this an `exp` is almost certainly milliseconds (it is the year 5138 in seconds). */
const MAX_EXP_SECONDS = 99_999_999_999;
const TOKEN_VALUE = /^[0-9a-f]{64}$/;
const WHOLE_NUMBER = /^\d+$/;

interface SignFlags {
  token?: string;
  tokenId: string;
  streamName: string;
  expiresIn?: string;
  exp?: string;
  alg: SelfSignedAlg;
  allowedOrigin?: string[];
  allowedIp?: string[];
  trackingId?: string;
  customViewerData?: string;
  url?: string;
  secret?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function positiveInteger(text: string, option: string): number {
  const n = Number(text);
  if (!WHOLE_NUMBER.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`${option} must be a positive whole number (got '${text}')`);
  }
  return n;
}

/** Seconds from `nowSeconds` until the token expires, from --expires-in or --exp. */
function lifetime(flags: SignFlags, nowSeconds: number): number {
  if (flags.exp !== undefined) {
    const exp = positiveInteger(flags.exp, '--exp');
    if (exp > MAX_EXP_SECONDS) {
      throw new Error(`--exp is in seconds since the epoch; ${exp} looks like milliseconds`);
    }
    if (exp <= nowSeconds) {
      throw new Error(`--exp ${exp} is not in the future (now is ${nowSeconds}): the token would be refused at once`);
    }
    return exp - nowSeconds;
  }
  if (flags.expiresIn === undefined) return DEFAULT_EXPIRES_IN;
  const seconds = positiveInteger(flags.expiresIn, '--expires-in');
  if (nowSeconds + seconds > MAX_EXP_SECONDS) throw new Error(`--expires-in ${seconds} is too far in the future`);
  return seconds;
}

function checkEach(values: readonly string[], option: string, validate: (v: string) => string | null): void {
  for (const value of values) {
    const problem = validate(value);
    if (problem !== null) throw new Error(`${option}: ${problem}`);
  }
}

function checkOptional(flags: SignFlags): void {
  if (flags.trackingId !== undefined) {
    const length = [...flags.trackingId].length;
    if (length < 1 || length > MAX_TRACKING_ID_LENGTH) {
      throw new Error(`--tracking-id must be 1-${MAX_TRACKING_ID_LENGTH} characters`);
    }
  }
  checkEach(flags.allowedOrigin ?? [], '--allowed-origin', validateOriginPattern);
  checkEach(flags.allowedIp ?? [], '--allowed-ip', validateIpRuleEntry);
}

/** The parent's value: given, or read over the REST API. Never echoed in a message. */
async function parentValue(flags: SignFlags, tokenId: number): Promise<string> {
  if (flags.token !== undefined && flags.token !== '') {
    if (!TOKEN_VALUE.test(flags.token)) {
      throw new Error(
        "--token must be the parent subscribe token's value: 64 lowercase hex characters (env STREAMGATE_SUBSCRIBE_TOKEN)",
      );
    }
    return flags.token;
  }
  if (!flags.secret) {
    throw new Error(
      'no parent token value: pass --token <value> (or set STREAMGATE_SUBSCRIBE_TOKEN), or --secret <API secret> to read it from the server',
    );
  }
  const url = flags.url || DEFAULT_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new Error(`--url must be an http(s) URL (got '${url}')`);
  }
  const client = new StreamgateClient({ baseUrl: url, apiSecret: flags.secret, timeoutMs: REQUEST_TIMEOUT_MS });
  try {
    return (await client.subscribeTokens.get(tokenId)).token;
  } catch (err) {
    if (err instanceof StreamgateApiError) {
      if (err.status === 404) throw new Error(`--token-id: no subscribe token ${tokenId} in this account`);
      if (err.status === 401) {
        throw new Error(`${err.message} (the API secret was refused: check --secret or STREAMGATE_API_SECRET)`);
      }
    }
    throw err;
  }
}

async function sign(flags: SignFlags): Promise<void> {
  const tokenId = positiveInteger(flags.tokenId, '--token-id');
  const nameProblem = validateStreamName(flags.streamName);
  if (nameProblem !== null) throw new Error(`--stream-name: ${nameProblem}`);
  const now = Date.now();
  const expiresInSeconds = lifetime(flags, Math.floor(now / 1000));
  checkOptional(flags);
  const parentTokenValue = await parentValue(flags, tokenId);

  let jwt: string;
  try {
    jwt = signSelfSigned({
      parentTokenId: tokenId,
      parentTokenValue,
      streamName: flags.streamName,
      expiresInSeconds,
      alg: flags.alg,
      now,
      ...(flags.allowedOrigin === undefined ? {} : { allowedOrigins: flags.allowedOrigin }),
      ...(flags.allowedIp === undefined ? {} : { allowedIpAddresses: flags.allowedIp }),
      ...(flags.trackingId === undefined ? {} : { trackingId: flags.trackingId }),
      ...(flags.customViewerData === undefined ? {} : { customViewerData: flags.customViewerData }),
    });
  } catch (err) {
    // What is left after the checks above is the overall size cap, which only long lists or a
    // long --custom-viewer-data can reach.
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot sign: ${reason} (shorten --custom-viewer-data or the --allowed-* lists)`);
  }
  const exp = Math.floor(now / 1000) + expiresInSeconds;
  process.stdout.write(flags.json ? `${JSON.stringify({ token: jwt, tokenId, exp })}\n` : `${jwt}\n`);
}

export function registerSignCommand(program: Command): void {
  program
    .command('sign')
    .description(
      'mint a self-signed subscribe token (a JWT keyed with a subscribe token) and print it; offline with --token',
    )
    .addOption(
      new Option('--token <value>', "the parent subscribe token's value (the signing key)").env(
        'STREAMGATE_SUBSCRIBE_TOKEN',
      ),
    )
    .requiredOption('--token-id <id>', "the parent subscribe token's id")
    .requiredOption('--stream-name <name>', 'the one stream the token is for (a name, not a pattern)')
    .addOption(
      new Option('--expires-in <seconds>', `lifetime in seconds (default ${DEFAULT_EXPIRES_IN})`).conflicts('exp'),
    )
    .option('--exp <unix-seconds>', 'expiry as seconds since the epoch')
    .addOption(new Option('--alg <alg>', 'HMAC algorithm').choices(['HS256', 'HS384', 'HS512']).default('HS256'))
    .option(
      '--allowed-origin <domain>',
      "further allowed origin, 'example.com' or '*.example.com' (repeatable)",
      collect,
    )
    .option('--allowed-ip <address>', 'further allowed IP address or CIDR block (repeatable)', collect)
    .option('--tracking-id <id>', "tracking id (must equal the parent's when it has one)")
    .option('--custom-viewer-data <text>', 'opaque data reported with this viewer')
    .addOption(
      new Option('--url <url>', 'server URL, to read the parent value when --token is not given').env('STREAMGATE_URL'),
    )
    .addOption(new Option('--secret <secret>', 'API secret, with --url').env('STREAMGATE_API_SECRET'))
    .option('--json', 'print {"token", "tokenId", "exp"} as one JSON line')
    .action(sign);
}
