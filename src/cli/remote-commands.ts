import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type ApiSecret,
  type CreatePublishTokenInput,
  type CreateSubscribeTokenInput,
  type PublishToken,
  type PublishTokenPatch,
  StreamgateApiError,
  StreamgateClient,
  type SubscribeToken,
  type SubscribeTokenPatch,
  type TokenFilterBy,
  type TokenKind,
  type TokenSortBy,
  type TokenStream,
  type TokenStreamInput,
} from '../client/index.js';

const DEFAULT_URL = 'http://localhost:8080';
/** A CLI call should fail rather than hang when the server is unreachable behind a silent firewall. */
const REQUEST_TIMEOUT_MS = 30_000;

interface RemoteFlags {
  url?: string;
  secret?: string;
  json?: boolean;
}

type Token = PublishToken | SubscribeToken;

// ---------- option parsing ----------

/** Repeatable options; no commander default, so help does not show a noisy `(default: [])`. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('Not a whole number.');
  return Number(value);
}

function boolean(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InvalidArgumentError('Expected true or false.');
}

/** `--origins a,b`; an empty value is an empty list, which is how a list is cleared. */
const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

function parseId(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new Error(`${what} must be a positive whole number (got '${value}')`);
  }
  return Number(value);
}

/** --url, --secret and --json on every remote command, so they can follow the subcommand. */
function remote(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'server URL').env('STREAMGATE_URL').default(DEFAULT_URL))
    .addOption(new Option('--secret <secret>', 'API secret of the account').env('STREAMGATE_API_SECRET'))
    .option('--json', 'print the answer as one JSON line');
}

const kindOption = () =>
  new Option('--kind <kind>', 'token kind').choices(['publish', 'subscribe']).default('publish' satisfies TokenKind);

function clientFor(flags: RemoteFlags): StreamgateClient {
  if (!flags.secret) {
    throw new Error('no API secret given: pass --secret <secret> or set STREAMGATE_API_SECRET');
  }
  // An empty STREAMGATE_URL is as good as unset.
  const url = flags.url || DEFAULT_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new Error(`--url must be an http(s) URL (got '${url}')`);
  }
  return new StreamgateClient({ baseUrl: url, apiSecret: flags.secret, timeoutMs: REQUEST_TIMEOUT_MS });
}

/** Rewrites an API failure into one message with a line per field problem, for main's error printer. */
function cliError(err: unknown): unknown {
  if (!(err instanceof StreamgateApiError)) return err;
  const lines = [err.message];
  for (const [field, problems] of Object.entries(err.fieldErrors)) {
    for (const problem of problems) lines.push(`  ${field}: ${problem}`);
  }
  if (err.status === 401) lines.push('  (the API secret was refused: check --secret or STREAMGATE_API_SECRET)');
  return new Error(lines.join('\n'));
}

function run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      throw cliError(err);
    }
  };
}

// ---------- output ----------

function write(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** With --json the `data` payload as one JSON line (scripts parse it); otherwise the text lines. */
function output(flags: RemoteFlags, data: unknown, text: () => readonly string[]): void {
  if (flags.json) process.stdout.write(`${JSON.stringify(data)}\n`);
  else write(text());
}

/** Left-aligned columns; the last one is not padded so lines carry no trailing blanks. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)];
}

const streamsText = (streams: readonly TokenStream[]) =>
  streams.map((s) => (s.isRegex ? `/${s.streamName}/` : s.streamName)).join(', ');

const listText = (list: readonly string[]) => (list.length === 0 ? '(any)' : list.join(', '));

function tokenLines(t: Token): string[] {
  const lines = [
    `id: ${t.id}`,
    `label: ${t.label}`,
    `token: ${t.token}`,
    `isActive: ${t.isActive}`,
    `streams: ${streamsText(t.streams)}`,
    `addedOn: ${t.addedOn}`,
    `expiresOn: ${t.expiresOn ?? 'never'}`,
    `allowedOrigins: ${listText(t.allowedOrigins)}`,
    `allowedIpAddresses: ${listText(t.allowedIpAddresses)}`,
    `bindIpsOnUsage: ${t.bindIpsOnUsage}`,
  ];
  if ('subscribeRequiresAuth' in t) {
    lines.push(`subscribeRequiresAuth: ${t.subscribeRequiresAuth}`, `record: ${t.record}`);
    lines.push(`multisource: ${t.multisource}`);
  } else {
    lines.push(`tracking: ${t.tracking?.trackingId ?? '(none)'}`);
  }
  return lines;
}

function tokenTable(kind: TokenKind, tokens: readonly Token[]): string[] {
  if (tokens.length === 0) return [`(no ${kind} tokens on this page)`];
  return table(
    ['ID', 'LABEL', 'STREAMS', 'ACTIVE', 'TOKEN'],
    tokens.map((t) => [String(t.id), t.label, streamsText(t.streams), String(t.isActive), t.token]),
  );
}

const secretLines = (s: ApiSecret & { secret?: string }) => [
  `id: ${s.id}`,
  `label: ${s.label}`,
  `addedOn: ${s.addedOn}`,
  `refreshedOn: ${s.refreshedOn ?? 'never'}`,
  ...(s.secret === undefined ? [] : [`secret: ${s.secret}`]),
];

function secretShownOnce(flags: RemoteFlags): void {
  if (!flags.json) process.stderr.write('Store this secret now: it is not shown again.\n');
}

// ---------- commands ----------

function registerSecretCommands(program: Command): void {
  const secret = program.command('secret').description('manage API secrets of the account (over the REST API)');

  remote(secret.command('create').description('issue a new API secret and print its value'))
    .option('--label <label>', 'name of the secret')
    .action(
      run(async (flags: RemoteFlags & { label?: string }) => {
        const issued = await clientFor(flags).apiSecrets.create(flags.label);
        output(flags, issued, () => secretLines(issued));
        secretShownOnce(flags);
      }),
    );

  remote(secret.command('list').description('list API secrets (without their values)')).action(
    run(async (flags: RemoteFlags) => {
      const list = await clientFor(flags).apiSecrets.list();
      output(flags, list, () =>
        table(
          ['ID', 'LABEL', 'ADDED', 'REFRESHED'],
          list.map((s) => [String(s.id), s.label, s.addedOn, s.refreshedOn ?? 'never']),
        ),
      );
    }),
  );

  remote(secret.command('refresh').description('give an API secret a new value; the old one is refused at once'))
    .argument('<id>', 'API secret id')
    .action(
      run(async (id: string, flags: RemoteFlags) => {
        const issued = await clientFor(flags).apiSecrets.refresh(parseId(id, 'API secret id'));
        output(flags, issued, () => secretLines(issued));
        secretShownOnce(flags);
      }),
    );

  remote(secret.command('delete').description('delete an API secret'))
    .argument('<id>', 'API secret id')
    .action(
      run(async (id: string, flags: RemoteFlags) => {
        const secretId = parseId(id, 'API secret id');
        const done = await clientFor(flags).apiSecrets.delete(secretId);
        output(flags, done, () => [`deleted API secret ${secretId}`]);
      }),
    );
}

interface CreateFlags extends RemoteFlags {
  kind: TokenKind;
  label: string;
  stream?: string[];
  regexStream?: string[];
  expires?: number;
  origin?: string[];
  ip?: string[];
  bindIps?: number;
  subscribeRequiresAuth?: boolean;
  trackingId?: string;
}

interface ListFlags extends RemoteFlags {
  kind: TokenKind;
  page: number;
  items: number;
  sort?: TokenSortBy;
  desc?: boolean;
  name?: string;
  filterBy?: TokenFilterBy;
}

interface UpdateFlags extends RemoteFlags {
  kind: TokenKind;
  label?: string;
  refresh?: boolean;
  active?: boolean;
  addStream?: string[];
  addRegexStream?: string[];
  removeStream?: string[];
  origins?: string[];
  ips?: string[];
  bindIps?: number;
  subscribeRequiresAuth?: boolean;
}

function onlyFor(allowed: TokenKind, kind: TokenKind, flag: string, given: boolean): void {
  if (given && kind !== allowed) throw new Error(`${flag} applies to ${allowed} tokens only`);
}

function streamInputs(names: readonly string[], patterns: readonly string[]): TokenStreamInput[] {
  return [
    ...names.map((streamName) => ({ streamName, isRegex: false })),
    ...patterns.map((streamName) => ({ streamName, isRegex: true })),
  ];
}

async function createToken(flags: CreateFlags): Promise<Token> {
  onlyFor('publish', flags.kind, '--subscribe-requires-auth', flags.subscribeRequiresAuth !== undefined);
  onlyFor('subscribe', flags.kind, '--tracking-id', flags.trackingId !== undefined);
  const streams = streamInputs(flags.stream ?? [], flags.regexStream ?? []);
  if (streams.length === 0) throw new Error('give at least one --stream NAME or --regex-stream PATTERN');
  const common = {
    label: flags.label,
    streams,
    ...(flags.expires === undefined ? {} : { expires: flags.expires }),
    ...(flags.origin === undefined ? {} : { allowedOrigins: flags.origin }),
    ...(flags.ip === undefined ? {} : { allowedIpAddresses: flags.ip }),
    ...(flags.bindIps === undefined ? {} : { bindIpsOnUsage: flags.bindIps }),
  };
  const client = clientFor(flags);
  if (flags.kind === 'publish') {
    const input: CreatePublishTokenInput = { ...common };
    if (flags.subscribeRequiresAuth) input.subscribeRequiresAuth = true;
    return client.publishTokens.create(input);
  }
  const input: CreateSubscribeTokenInput = { ...common };
  if (flags.trackingId !== undefined) input.tracking = { trackingId: flags.trackingId };
  return client.subscribeTokens.create(input);
}

async function updateToken(id: number, flags: UpdateFlags): Promise<Token> {
  onlyFor('publish', flags.kind, '--subscribe-requires-auth', flags.subscribeRequiresAuth !== undefined);
  const patch: PublishTokenPatch & SubscribeTokenPatch = {};
  if (flags.label !== undefined) patch.label = flags.label;
  if (flags.refresh) patch.refreshToken = true;
  if (flags.active !== undefined) patch.isActive = flags.active;
  const added = streamInputs(flags.addStream ?? [], flags.addRegexStream ?? []);
  if (added.length > 0) patch.addTokenStreams = added;
  if (flags.removeStream !== undefined) patch.removeTokenStreams = flags.removeStream;
  if (flags.origins !== undefined) patch.allowedOrigins = flags.origins;
  if (flags.ips !== undefined) patch.allowedIpAddresses = flags.ips;
  if (flags.bindIps !== undefined) patch.bindIpsOnUsage = flags.bindIps;
  if (flags.subscribeRequiresAuth !== undefined) patch.subscribeRequiresAuth = flags.subscribeRequiresAuth;
  if (Object.keys(patch).length === 0) {
    throw new Error('nothing to update: give at least one option (see streamgate token update --help)');
  }
  return clientFor(flags).tokens(flags.kind).update(id, patch);
}

function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('manage publish and subscribe tokens (over the REST API)');

  remote(token.command('create').description('create a token and print it, value included'))
    .addOption(kindOption())
    .requiredOption('--label <label>', 'name shown in lists')
    .option('--stream <name>', 'allowed stream name (repeatable)', collect)
    .option('--regex-stream <pattern>', 'allowed stream name pattern, matching whole names (repeatable)', collect)
    .option('--expires <seconds>', 'expire this many seconds from now (default: never)', integer)
    .option('--origin <domain>', "allowed origin, 'example.com' or '*.example.com' (repeatable)", collect)
    .option('--ip <address>', 'allowed IP address or CIDR block (repeatable)', collect)
    .option('--bind-ips <n>', 'bind the token to the first N client IPs that use it', integer)
    .option('--subscribe-requires-auth', 'publish: viewers need a subscribe token')
    .option('--tracking-id <id>', 'subscribe: tracking id reported with viewer events')
    .action(
      run(async (flags: CreateFlags) => {
        const created = await createToken(flags);
        output(flags, created, () => tokenLines(created));
      }),
    );

  remote(token.command('list').description('list tokens, a page at a time'))
    .addOption(kindOption())
    .option('--page <n>', 'page number, from 1', integer, 1)
    .option('--items <n>', 'tokens per page, 1..100', integer, 10)
    .addOption(new Option('--sort <key>', 'sort key').choices(['Name', 'AddedOn']))
    .option('--desc', 'descending order')
    .option('--name <text>', 'only tokens whose label or stream names contain this text')
    .addOption(
      new Option('--filter-by <where>', 'with --name: where to look').choices([
        'TokenName',
        'StreamName',
        'TokenOrStreamName',
      ]),
    )
    .action(
      run(async (flags: ListFlags) => {
        if (flags.filterBy !== undefined && flags.name === undefined) throw new Error('--filter-by needs --name');
        const api = clientFor(flags).tokens(flags.kind);
        const paging = {
          page: flags.page,
          itemsOnPage: flags.items,
          ...(flags.sort === undefined ? {} : { sortBy: flags.sort }),
          ...(flags.desc ? { isDescending: true } : {}),
        };
        const list: Token[] =
          flags.name === undefined
            ? await api.list(paging)
            : await api.listByName({
                ...paging,
                name: flags.name,
                ...(flags.filterBy === undefined ? {} : { filterBy: flags.filterBy }),
              });
        output(flags, list, () => tokenTable(flags.kind, list));
      }),
    );

  remote(token.command('get').description('show one token'))
    .addOption(kindOption())
    .argument('<id>', 'token id')
    .action(
      run(async (id: string, flags: RemoteFlags & { kind: TokenKind }) => {
        const found: Token = await clientFor(flags).tokens(flags.kind).get(parseId(id, 'token id'));
        output(flags, found, () => tokenLines(found));
      }),
    );

  remote(token.command('update').description('change a token (only the options given)'))
    .addOption(kindOption())
    .argument('<id>', 'token id')
    .option('--label <label>', 'new label')
    .option('--refresh', 'give the token a new value; the old one is refused at once')
    .option('--active <bool>', 'true to enable, false to disable', boolean)
    .option('--add-stream <name>', 'add an allowed stream name (repeatable)', collect)
    .option('--add-regex-stream <pattern>', 'add an allowed stream name pattern (repeatable)', collect)
    .option('--remove-stream <name>', 'remove a stream rule by its name or pattern (repeatable)', collect)
    .option('--origins <list>', "replace the allowed origins, comma-separated ('' = any origin)", commaList)
    .option('--ips <list>', "replace the allowed IPs and CIDR blocks, comma-separated ('' = any IP)", commaList)
    .option('--bind-ips <n>', 'bind to the first N client IPs (0 = off)', integer)
    .option('--subscribe-requires-auth <bool>', 'publish: whether viewers need a subscribe token', boolean)
    .action(
      run(async (id: string, flags: UpdateFlags) => {
        const updated = await updateToken(parseId(id, 'token id'), flags);
        output(flags, updated, () => tokenLines(updated));
      }),
    );

  remote(token.command('delete').description('delete a token; its value is refused at once'))
    .addOption(kindOption())
    .argument('<id>', 'token id')
    .action(
      run(async (id: string, flags: RemoteFlags & { kind: TokenKind }) => {
        const tokenId = parseId(id, 'token id');
        const done = await clientFor(flags).tokens(flags.kind).delete(tokenId);
        output(flags, done, () => [`deleted ${flags.kind} token ${tokenId}`]);
      }),
    );

  remote(token.command('disable').description('disable publish tokens (exit status 1 if any could not be)'))
    .argument('<id...>', 'publish token ids')
    .action(
      run(async (ids: string[], flags: RemoteFlags) => {
        const tokenIds = ids.map((id) => parseId(id, 'token id'));
        const result = await clientFor(flags).publishTokens.disable(tokenIds);
        output(flags, result, () => result.successfulTokens.map((id) => `disabled publish token ${id}`));
        for (const failed of result.failedTokens) {
          process.stderr.write(`streamgate: token ${failed.tokenId}: ${failed.errorMessage}\n`);
        }
        // A partial failure still changed the others, so report it by status rather than by throwing.
        if (result.failedTokens.length > 0) process.exitCode = 1;
      }),
    );
}

/** Commands that drive a running server over its REST API, through the client SDK. */
export function registerRemoteCommands(program: Command): void {
  registerSecretCommands(program);
  registerTokenCommands(program);
}
