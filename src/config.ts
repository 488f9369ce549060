import { validateIpRuleEntry } from './domain/ip-rule.js';
import {
  CLIENT_IP_HEADERS,
  type ClientIpHeader,
  DEFAULT_CLIENT_IP_HEADER,
  isClientIpHeader,
} from './http/client-ip.js';

/** Everything the server reads from its environment, parsed once and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** `sqlite:<path>` or `postgres://...` */
  readonly databaseUrl: string;
  /** CIDRs whose `clientIpHeader` is believed. */
  readonly trustedProxies: readonly string[];
  /** The one forwarding header read from a trusted proxy; the others are ignored. */
  readonly clientIpHeader: ClientIpHeader;
  /** Base of URLs handed to clients. */
  readonly publicUrl: string;
  readonly logLevel: string;
  /** URL templates handed to publishers by the Director; `{streamName}`, `{streamAccountId}` are filled in. */
  readonly publishUrls: readonly string[];
  /** URL templates handed to viewers by the Director. */
  readonly subscribeUrls: readonly string[];
  /** Lifetime of the director `jwt`, seconds. */
  readonly jwtTtlSeconds: number;
  /** How long a live-stream lease lasts without renewal, seconds. */
  readonly liveLeaseSeconds: number;
  /**
   * When set, media-server hooks (/hooks/nginx-rtmp, /hooks/srs, /hooks/mediamtx) answer only
   * callers that present it (`hooks_secret` in the callback URL's query, or the
   * `X-Streamgate-Hooks-Secret` header); null leaves them open to whoever can reach them.
   */
  readonly hooksSecret: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Flag values (from `streamgate serve --port ...`) win over environment variables. */
export interface ConfigOverrides {
  port?: string | number;
  host?: string;
  databaseUrl?: string;
  trustedProxies?: string;
  clientIpHeader?: string;
  publicUrl?: string;
  logLevel?: string;
  publishUrls?: string;
  subscribeUrls?: string;
  jwtTtl?: string | number;
  liveLease?: string | number;
  hooksSecret?: string;
}

export const DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  databaseUrl: 'sqlite:./data/streamgate.db',
  clientIpHeader: DEFAULT_CLIENT_IP_HEADER,
  publicUrl: 'http://localhost:8080',
  logLevel: 'info',
  jwtTtlSeconds: 60,
  liveLeaseSeconds: 60,
} as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: ConfigOverrides = {}): Config {
  const pick = (flag: string | number | undefined, name: string): string | undefined => {
    if (flag !== undefined && flag !== '') return String(flag);
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };

  const portText = pick(flags.port, 'STREAMGATE_PORT');
  const port = portText === undefined ? DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`STREAMGATE_PORT must be an integer 0-65535, got '${portText}'`);
  }

  const databaseUrl = pick(flags.databaseUrl, 'STREAMGATE_DATABASE_URL') ?? DEFAULTS.databaseUrl;
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError(`STREAMGATE_DATABASE_URL must be 'sqlite:<path>' or 'postgres://...', got '${databaseUrl}'`);
  }

  const proxiesText = pick(flags.trustedProxies, 'STREAMGATE_TRUSTED_PROXIES') ?? '';
  const trustedProxies = proxiesText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const cidr of trustedProxies) {
    const problem = validateIpRuleEntry(cidr);
    if (problem) throw new ConfigError(`STREAMGATE_TRUSTED_PROXIES: ${problem}`);
  }

  // Header names are case-insensitive, so 'X-Forwarded-For' is as good as 'x-forwarded-for'.
  const clientIpHeaderText = pick(flags.clientIpHeader, 'STREAMGATE_CLIENT_IP_HEADER');
  const clientIpHeader = clientIpHeaderText?.trim().toLowerCase() ?? DEFAULTS.clientIpHeader;
  if (!isClientIpHeader(clientIpHeader)) {
    throw new ConfigError(
      `STREAMGATE_CLIENT_IP_HEADER must be one of ${CLIENT_IP_HEADERS.join(', ')}, got '${clientIpHeaderText}'`,
    );
  }

  const publicUrl = (pick(flags.publicUrl, 'STREAMGATE_PUBLIC_URL') ?? DEFAULTS.publicUrl).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`STREAMGATE_PUBLIC_URL must be an absolute URL, got '${publicUrl}'`);
  }

  const seconds = (flag: string | number | undefined, name: string, fallback: number, max: number): number => {
    const text = pick(flag, name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new ConfigError(`${name} must be an integer 1-${max}, got '${text}'`);
    return n;
  };
  const urls = (flag: string | undefined, name: string, fallback: string[]): string[] => {
    const text = pick(flag, name);
    if (text === undefined) return fallback;
    const list = text
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    for (const u of list) {
      try {
        new URL(u.replace(/\{(streamName|streamAccountId)\}/g, 'x'));
      } catch {
        throw new ConfigError(`${name}: '${u}' is not an absolute URL`);
      }
    }
    return list;
  };
  const publicHost = new URL(publicUrl).hostname;

  const hooksSecret = pick(flags.hooksSecret, 'STREAMGATE_HOOKS_SECRET') ?? null;
  // It travels in callback URLs: printable ASCII that needs no escaping, and long enough to guess at.
  if (hooksSecret !== null && !/^[A-Za-z0-9._~-]{16,256}$/.test(hooksSecret)) {
    throw new ConfigError('STREAMGATE_HOOKS_SECRET must be 16-256 characters of A-Z, a-z, 0-9, ".", "_", "~" or "-"');
  }

  return Object.freeze({
    port,
    host: pick(flags.host, 'STREAMGATE_HOST') ?? DEFAULTS.host,
    databaseUrl,
    trustedProxies: Object.freeze(trustedProxies),
    clientIpHeader,
    publicUrl,
    logLevel: pick(flags.logLevel, 'STREAMGATE_LOG_LEVEL') ?? DEFAULTS.logLevel,
    publishUrls: Object.freeze(
      urls(flags.publishUrls, 'STREAMGATE_PUBLISH_URLS', [`rtmp://${publicHost}:1935/live/{streamName}`]),
    ),
    subscribeUrls: Object.freeze(
      urls(flags.subscribeUrls, 'STREAMGATE_SUBSCRIBE_URLS', [`${publicUrl}/hls/{streamName}/index.m3u8`]),
    ),
    jwtTtlSeconds: seconds(flags.jwtTtl, 'STREAMGATE_JWT_TTL', DEFAULTS.jwtTtlSeconds, 86_400),
    liveLeaseSeconds: seconds(flags.liveLease, 'STREAMGATE_LIVE_LEASE', DEFAULTS.liveLeaseSeconds, 3_600),
    hooksSecret,
  });
}
