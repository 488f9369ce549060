import { validateIpRuleEntry } from './domain/ip-rule.js';

/** Everything the server reads from its environment, parsed once and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** `sqlite:<path>` or `postgres://...` */
  readonly databaseUrl: string;
  /** CIDRs whose X-Forwarded-For / Forwarded headers are believed. */
  readonly trustedProxies: readonly string[];
  /** Base of URLs handed to clients. */
  readonly publicUrl: string;
  readonly logLevel: string;
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
  publicUrl?: string;
  logLevel?: string;
}

export const DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  databaseUrl: 'sqlite:./data/streamgate.db',
  publicUrl: 'http://localhost:8080',
  logLevel: 'info',
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

  const publicUrl = (pick(flags.publicUrl, 'STREAMGATE_PUBLIC_URL') ?? DEFAULTS.publicUrl).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`STREAMGATE_PUBLIC_URL must be an absolute URL, got '${publicUrl}'`);
  }

  return Object.freeze({
    port,
    host: pick(flags.host, 'STREAMGATE_HOST') ?? DEFAULTS.host,
    databaseUrl,
    trustedProxies: Object.freeze(trustedProxies),
    publicUrl,
    logLevel: pick(flags.logLevel, 'STREAMGATE_LOG_LEVEL') ?? DEFAULTS.logLevel,
  });
}
