/**
 * Issue requirement: "Every curl example in both seed files works against a local Streamgate
 * when only the host (and the secret/token ids) change: put them in a test that runs them
 * verbatim through curl."
 *
 * The examples are read from the seed files (never copied here), rewritten only by
 * `rewriteCommand` (host, API secret, token id), run through `bash -c` with curl against a real
 * `streamgate serve` process, and each answer is checked against what the seeds and SPEC.md
 * (sections 2-3) say Streamgate must answer. The table below holds, per example, the exact
 * request it is written for (guarding against seed drift) and the exact outcome.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type CurlResult,
  countCurlLines,
  describeCommand,
  extractCurlCommands,
  rewriteCommand,
  runCurl,
  SEED_HOST,
  SEED_SECRET,
  SEED_TOKEN_IDS,
  type SeedCurl,
  skeleton,
} from './helpers/seed-curl.js';
import { type ServerProcess, startServer } from './helpers/server-process.js';

// In CI the repository is cloned with `shared/` beside it: <repo>/../shared/seeds.
const SEEDS_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'seeds');
const SEED_A = '000_5674bc7d770626f8.txt';
const SEED_B = '004_717cd8c0a2066cb8.txt';
const SEEDS = [SEED_A, SEED_B] as const;
type SeedName = (typeof SEEDS)[number];

function readSeed(name: string): string {
  const path = join(SEEDS_DIR, name);
  // A missing seed must fail the suite, never skip it: the requirement is about these files.
  if (!existsSync(path)) {
    throw new Error(`seed file missing: ${path} (expected shared/seeds beside the repository)`);
  }
  return readFileSync(path, 'utf8');
}

const sources: Record<SeedName, string> = { [SEED_A]: readSeed(SEED_A), [SEED_B]: readSeed(SEED_B) };
const commands: Record<SeedName, SeedCurl[]> = {
  [SEED_A]: extractCurlCommands(sources[SEED_A], SEED_A),
  [SEED_B]: extractCurlCommands(sources[SEED_B], SEED_B),
};

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

type Kind = 'publish' | 'subscribe';

/** Ids of tokens created along the way, so later examples can point `[token id]` / `100` at them. */
interface State {
  firstPublish?: number; // 000 #0, "the publishing one we created above"
  plainSubscribe?: number; // 000 #3
  originsSubscribe?: number; // 000 #5, the token 000 #6-#8 update
  boundSubscribe?: number; // setup: a subscribe token bound to IPs, what 000 #10 resets
}

interface Ctx {
  readonly server: ServerProcess;
  readonly secret: string;
  readonly state: State;
  /** Which example an assertion is about, e.g. `000_….txt example #4 (line 61)`. */
  readonly where: string;
  /** The token the command's id placeholder was pointed at, if any. */
  readonly tokenId: number | undefined;
}

interface Expectation {
  /** The request the example must be (checked against the seed text before anything runs). */
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly payload: string;
  /** The token `[token id]` / `100` stands for in this example. */
  readonly tokenId?: (s: State) => number | undefined;
  /** Runs before the command (e.g. to remember a token's state). */
  readonly before?: (ctx: Ctx) => Promise<unknown>;
  readonly check: (res: CurlResult, ctx: Ctx, beforeValue: unknown) => Promise<void>;
}

async function api(ctx: Ctx, method: string, path: string, body?: unknown) {
  const res = await fetch(`${ctx.server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ctx.secret}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function getToken(ctx: Ctx, kind: Kind, id: number): Promise<any> {
  const res = await api(ctx, 'GET', `/api/${kind}_token/${id}`);
  assert.equal(res.status, 200, `${ctx.where}: GET /api/${kind}_token/${id}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

async function countTokens(ctx: Ctx, kind: Kind): Promise<number> {
  const res = await api(ctx, 'GET', `/api/${kind}_token/list?page=1&itemsOnPage=100`);
  assert.equal(res.status, 200, `${ctx.where}: list ${kind} tokens: ${JSON.stringify(res.body)}`);
  return (res.body.data as unknown[]).length;
}

function expectSuccess(res: CurlResult, where: string): any {
  assert.equal(res.httpStatus, 200, `${where}: HTTP status; body: ${res.bodyText}`);
  assert.equal(res.body?.status, 'success', `${where}: envelope status; body: ${res.bodyText}`);
  return res.body.data;
}

/** A token object as created by one of the seed POSTs: every field exact. */
function expectCreated(
  res: CurlResult,
  where: string,
  kind: Kind,
  want: { label: string; streams: { streamName: string; isRegex: boolean }[]; allowedOrigins?: string[] },
): any {
  const t = expectSuccess(res, where);
  assert.ok(Number.isInteger(t.id) && t.id > 0, `${where}: id is a positive integer, got ${t.id}`);
  assert.match(t.token, HEX64, `${where}: token is 64 lowercase hex`);
  assert.equal(t.label, want.label, `${where}: label as sent`);
  assert.deepEqual(t.streams, want.streams, `${where}: streams as sent`);
  assert.deepEqual(t.allowedOrigins, want.allowedOrigins ?? [], `${where}: allowedOrigins`);
  assert.deepEqual(t.allowedIpAddresses, [], `${where}: allowedIpAddresses`);
  assert.equal(t.bindIpsOnUsage, 0, `${where}: bindIpsOnUsage`);
  assert.equal(t.isActive, true, `${where}: isActive`);
  assert.equal(t.expiresOn, null, `${where}: expiresOn (never)`);
  assert.match(t.addedOn, ISO_UTC, `${where}: addedOn is ISO-8601 UTC`);
  if (kind === 'publish') {
    assert.equal(t.subscribeRequiresAuth, false, `${where}: subscribeRequiresAuth default`);
    assert.equal(t.record, false, `${where}: record default`);
    assert.equal(t.multisource, true, `${where}: multisource default`);
  } else {
    assert.equal(t.tracking, null, `${where}: tracking default`);
  }
  return t;
}

/**
 * An update answered 200 for the token the id placeholder was pointed at, with `fields` as
 * given; a GET afterwards must show the same (the change persisted, not only echoed).
 */
async function expectUpdated(res: CurlResult, ctx: Ctx, kind: Kind, fields: Record<string, unknown>): Promise<any> {
  const t = expectSuccess(res, ctx.where);
  assert.equal(t.id, ctx.tokenId, `${ctx.where}: answered for the token in the URL`);
  const stored = await getToken(ctx, kind, ctx.tokenId as number);
  for (const [field, value] of Object.entries(fields)) {
    assert.deepEqual(t[field], value, `${ctx.where}: ${field} in the PUT answer`);
    assert.deepEqual(stored[field], value, `${ctx.where}: ${field} as stored (GET after the PUT)`);
  }
  return stored;
}

/**
 * The seeds show `{"bindIpsOnUsage": 1}` as a whole create body. Millicast's own create schema
 * (reference/ OpenAPI, and SPEC.md section 2: `label` and `streams` are required on create)
 * demands both, so the fragment as written must be refused with a 400 naming each of them, and
 * must create nothing.
 */
const bindFragmentCreate: Expectation = {
  method: 'POST',
  url: `${SEED_HOST}/api/subscribe_token`,
  payload: '{"bindIpsOnUsage": 1}',
  before: (ctx) => countTokens(ctx, 'subscribe'),
  async check(res, ctx, countBefore) {
    assert.equal(res.httpStatus, 400, `${ctx.where}: HTTP status; body: ${res.bodyText}`);
    assert.equal(res.body?.status, 'fail', `${ctx.where}: envelope status; body: ${res.bodyText}`);
    assert.equal(res.body.data.message, 'Validation errors', `${ctx.where}: data.message`);
    assert.equal(res.body.data.code, 'VALIDATION_FAILED', `${ctx.where}: data.code`);
    const errs = res.body.data.errors;
    assert.deepEqual(
      Object.keys(errs ?? {}).sort(),
      ['label', 'streams'],
      `${ctx.where}: data.errors names exactly label and streams; body: ${res.bodyText}`,
    );
    assert.deepEqual(errs.label, ['is required'], `${ctx.where}: data.errors.label`);
    assert.deepEqual(errs.streams, ['is required'], `${ctx.where}: data.errors.streams`);
    assert.equal(await countTokens(ctx, 'subscribe'), countBefore, `${ctx.where}: no subscribe token was created`);
  },
};

const EXPECTATIONS: Record<SeedName, Expectation[]> = {
  [SEED_A]: [
    {
      method: 'POST',
      url: `${SEED_HOST}/api/publish_token`,
      payload: '{"label": "MyLiveFeed", "streams": [{"streamName": "feed1"}]}',
      async check(res, ctx) {
        const t = expectCreated(res, ctx.where, 'publish', {
          label: 'MyLiveFeed',
          streams: [{ streamName: 'feed1', isRegex: false }],
        });
        ctx.state.firstPublish = t.id;
      },
    },
    {
      method: 'POST',
      url: `${SEED_HOST}/api/publish_token`,
      payload:
        '{"label": "MyLiveFeed", "streams": [{"streamName": "feed1"}, {"streamName": "feed2"}, {"streamName": "feed3"}]}',
      async check(res, ctx) {
        expectCreated(res, ctx.where, 'publish', {
          label: 'MyLiveFeed',
          streams: [
            { streamName: 'feed1', isRegex: false },
            { streamName: 'feed2', isRegex: false },
            { streamName: 'feed3', isRegex: false },
          ],
        });
      },
    },
    {
      // The seed's JSON has a trailing comma (`[{...}, ]`): pasted by users, accepted by the server.
      method: 'POST',
      url: `${SEED_HOST}/api/publish_token`,
      payload: '{"label": "MyLiveFeed", "streams": [{"streamName": ".*", "isRegex": true}, ]}',
      async check(res, ctx) {
        expectCreated(res, ctx.where, 'publish', {
          label: 'MyLiveFeed',
          streams: [{ streamName: '.*', isRegex: true }],
        });
      },
    },
    {
      method: 'POST',
      url: `${SEED_HOST}/api/subscribe_token`,
      payload: '{"label": "MyLiveViewer", "streams": [{"streamName": "feed1"}]}',
      async check(res, ctx) {
        const t = expectCreated(res, ctx.where, 'subscribe', {
          label: 'MyLiveViewer',
          streams: [{ streamName: 'feed1', isRegex: false }],
        });
        ctx.state.plainSubscribe = t.id;
      },
    },
    {
      method: 'PUT',
      url: `${SEED_HOST}/api/publish_token/[token id]`,
      payload: '{"subscribeRequiresAuth": true}',
      tokenId: (s) => s.firstPublish,
      before: (ctx) => getToken(ctx, 'publish', ctx.tokenId as number),
      async check(res, ctx, beforeValue) {
        assert.equal((beforeValue as any).subscribeRequiresAuth, false, `${ctx.where}: precondition`);
        const stored = await expectUpdated(res, ctx, 'publish', { subscribeRequiresAuth: true });
        assert.equal(stored.token, (beforeValue as any).token, `${ctx.where}: token value unchanged`);
        assert.deepEqual(stored.streams, (beforeValue as any).streams, `${ctx.where}: streams unchanged`);
      },
    },
    {
      method: 'POST',
      url: `${SEED_HOST}/api/subscribe_token`,
      payload: '{"label": "MyLiveViewer", "streams": [{"streamName": "feed1"}], "allowedOrigins": ["mydomain.com"]}',
      async check(res, ctx) {
        const t = expectCreated(res, ctx.where, 'subscribe', {
          label: 'MyLiveViewer',
          streams: [{ streamName: 'feed1', isRegex: false }],
          allowedOrigins: ['mydomain.com'],
        });
        ctx.state.originsSubscribe = t.id;
      },
    },
    {
      method: 'PUT',
      url: `${SEED_HOST}/api/subscribe_token/[token id]`,
      payload: '{"allowedOrigins": ["millicast.com","*.millicast.com","mydomain.com"]}',
      tokenId: (s) => s.originsSubscribe,
      async check(res, ctx) {
        await expectUpdated(res, ctx, 'subscribe', {
          allowedOrigins: ['millicast.com', '*.millicast.com', 'mydomain.com'],
        });
      },
    },
    {
      method: 'PUT',
      url: `${SEED_HOST}/api/subscribe_token/[token id]`,
      payload: '{"allowedOrigins": []}',
      tokenId: (s) => s.originsSubscribe,
      async check(res, ctx) {
        await expectUpdated(res, ctx, 'subscribe', { allowedOrigins: [] });
      },
    },
    {
      // SPEC.md section 3: invalid addresses such as 777.888.99.001 are a 400 naming the entry.
      method: 'PUT',
      url: `${SEED_HOST}/api/subscribe_token/[token id]`,
      payload: '{"updateAllowedIpAddresses": ["777.888.99.001"]}',
      tokenId: (s) => s.originsSubscribe,
      before: (ctx) => getToken(ctx, 'subscribe', ctx.tokenId as number),
      async check(res, ctx, beforeValue) {
        assert.equal(res.httpStatus, 400, `${ctx.where}: HTTP status; body: ${res.bodyText}`);
        assert.equal(res.body?.status, 'fail', `${ctx.where}: envelope status; body: ${res.bodyText}`);
        assert.equal(res.body.data.message, 'Validation errors', `${ctx.where}: data.message`);
        assert.deepEqual(
          Object.keys(res.body.data.errors ?? {}),
          ['updateAllowedIpAddresses[0]'],
          `${ctx.where}: only the bad entry is named, under the name the client used`,
        );
        const problems = res.body.data.errors['updateAllowedIpAddresses[0]'];
        assert.ok(
          Array.isArray(problems) && problems.length > 0,
          `${ctx.where}: data.errors["updateAllowedIpAddresses[0]"] is a non-empty array; body: ${res.bodyText}`,
        );
        assert.ok(
          problems.some((p: unknown) => typeof p === 'string' && p.includes('777.888.99.001')),
          `${ctx.where}: the message names 777.888.99.001; got ${JSON.stringify(problems)}`,
        );
        assert.deepEqual(
          await getToken(ctx, 'subscribe', ctx.tokenId as number),
          beforeValue,
          `${ctx.where}: token unchanged after the rejected update`,
        );
      },
    },
    bindFragmentCreate,
    {
      // `100` points at a subscribe token bound to 2 IPs (set up before the examples run).
      method: 'PUT',
      url: `${SEED_HOST}/api/subscribe_token/100`,
      payload: '{"bindIpsOnUsage": 0, "updateAllowedIpAddresses": []}',
      tokenId: (s) => s.boundSubscribe,
      before: (ctx) => getToken(ctx, 'subscribe', ctx.tokenId as number),
      async check(res, ctx, beforeValue) {
        assert.equal((beforeValue as any).bindIpsOnUsage, 2, `${ctx.where}: precondition (bound token)`);
        await expectUpdated(res, ctx, 'subscribe', { bindIpsOnUsage: 0, allowedIpAddresses: [] });
      },
    },
  ],
  [SEED_B]: [
    {
      method: 'PUT',
      url: `${SEED_HOST}/api/subscribe_token/[token id]`,
      payload: '{"updateAllowedOrigins": ["millicast.com","*.millicast.com"]}',
      tokenId: (s) => s.plainSubscribe,
      async check(res, ctx) {
        await expectUpdated(res, ctx, 'subscribe', { allowedOrigins: ['millicast.com', '*.millicast.com'] });
      },
    },
    {
      method: 'PUT',
      url: `${SEED_HOST}/api/subscribe_token/[token id]`,
      payload: '{"updateAllowedIpAddresses": ["255.255.255.255"]}',
      tokenId: (s) => s.plainSubscribe,
      async check(res, ctx) {
        await expectUpdated(res, ctx, 'subscribe', { allowedIpAddresses: ['255.255.255.255'] });
      },
    },
    bindFragmentCreate,
    {
      // "How-to remove IP filters": `100` points at the token the previous examples restricted.
      method: 'PUT',
      url: `${SEED_HOST}/api/subscribe_token/100`,
      payload: '{"bindIpsOnUsage": 0, "updateAllowedIpAddresses": []}',
      tokenId: (s) => s.plainSubscribe,
      before: (ctx) => getToken(ctx, 'subscribe', ctx.tokenId as number),
      async check(res, ctx, beforeValue) {
        assert.deepEqual((beforeValue as any).allowedIpAddresses, ['255.255.255.255'], `${ctx.where}: precondition`);
        await expectUpdated(res, ctx, 'subscribe', {
          bindIpsOnUsage: 0,
          allowedIpAddresses: [],
          // Resetting IP rules leaves the origin rule of example #0 alone.
          allowedOrigins: ['millicast.com', '*.millicast.com'],
        });
      },
    },
  ],
};

const where = (c: SeedCurl) => `${c.file} example #${c.index} (line ${c.line})`;

describe('seed curl extraction', () => {
  it('extracts every curl line of both seeds, nothing more, nothing less', () => {
    for (const file of SEEDS) {
      const found = commands[file];
      assert.equal(found.length, countCurlLines(sources[file]), `${file}: one command per line starting with "curl "`);
      for (const c of found) {
        assert.ok(c.text.startsWith('curl '), `${where(c)}: starts with curl`);
        assert.ok(!/\\\s*$/.test(c.text) && !c.text.includes('\n'), `${where(c)}: one complete line`);
        assert.ok(c.text.includes(SEED_HOST), `${where(c)}: talks to ${SEED_HOST}`);
      }
    }
    // The counts as of these seed versions; a changed seed should be looked at, not absorbed.
    assert.equal(commands[SEED_A].length, 11, `${SEED_A}: curl examples`);
    assert.equal(commands[SEED_B].length, 4, `${SEED_B}: curl examples`);
    assert.ok(
      commands[SEED_A].every((c) => c.fence === null),
      `${SEED_A}: examples are bare text`,
    );
    assert.ok(
      commands[SEED_B].every((c) => c.fence === 'curl'),
      `${SEED_B}: examples sit in \`\`\`curl fences`,
    );
  });

  it('joins `\\<spaces><newline>` continuations into one line and changes nothing else', () => {
    const source = 'text\n```curl\ncurl -H "A: b" \\  \n    -X PUT -d \'{"x": 1}\'\n```\ncurl x\n';
    const [fenced, bare] = extractCurlCommands(source, 'sample');
    assert.deepEqual(fenced, {
      file: 'sample',
      index: 0,
      line: 3,
      raw: 'curl -H "A: b" \\  \n    -X PUT -d \'{"x": 1}\'',
      text: 'curl -H "A: b"      -X PUT -d \'{"x": 1}\'',
      fence: 'curl',
    });
    assert.deepEqual(bare, { file: 'sample', index: 1, line: 6, raw: 'curl x', text: 'curl x', fence: null });
    for (const c of [...commands[SEED_A], ...commands[SEED_B]]) {
      assert.equal(c.text, c.raw.trimStart().replace(/\\[ \t]*\n/g, ' '), where(c));
    }
  });

  it('rewriteCommand swaps host, secret and token id only', () => {
    const cmd = `curl -H "Authorization: Bearer ${SEED_SECRET}" ${SEED_HOST}/api/subscribe_token/[token id] -d '[100]'`;
    assert.equal(
      rewriteCommand(cmd, { baseUrl: 'http://127.0.0.1:9', apiSecret: 'abc', tokenId: 7 }),
      `curl -H "Authorization: Bearer abc" http://127.0.0.1:9/api/subscribe_token/7 -d '[100]'`,
    );
    assert.equal(
      rewriteCommand(`curl ${SEED_HOST}/api/publish_token/100 -X PUT`, {
        baseUrl: 'http://h',
        apiSecret: 's',
        tokenId: 3,
      }),
      'curl http://h/api/publish_token/3 -X PUT',
    );
    // `100` only as a whole path segment; elsewhere it is not an id.
    assert.equal(
      rewriteCommand(`curl ${SEED_HOST}/api/publish_token -d '{"n": 100}'`, { baseUrl: 'http://h', apiSecret: 's' }),
      `curl http://h/api/publish_token -d '{"n": 100}'`,
    );
    assert.throws(() => rewriteCommand(cmd, { baseUrl: 'http://h', apiSecret: 's' }), /needs a token id/);
    assert.throws(
      () => rewriteCommand(`curl ${SEED_HOST}/api/publish_token`, { baseUrl: 'http://h', apiSecret: 's', tokenId: 1 }),
      /no token id placeholder/,
    );
  });
});

describe('seed curl examples against a real streamgate serve', () => {
  let server: ServerProcess;
  let secret: string;
  const state: State = {};

  before(async () => {
    server = await startServer();
    secret = server.createAccount('seed-curl').apiSecret;
    // The secret goes inside the seed's double quotes: it must need no shell quoting there.
    assert.match(secret, /^[A-Za-z0-9_-]+$/, 'API secret is shell-safe inside "..."');
    // Setup for 000 #10 (`subscribe_token/100`): a subscribe token bound to IPs, i.e. the
    // bindIpsOnUsage token of 000 #9 written out with the label and streams it needs.
    const ctx: Ctx = { server, secret, state, where: 'setup', tokenId: undefined };
    const res = await api(ctx, 'POST', '/api/subscribe_token', {
      label: 'BoundViewer',
      streams: [{ streamName: 'feed1' }],
      bindIpsOnUsage: 2,
    });
    assert.equal(res.status, 200, `setup: create bound subscribe token: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.data.bindIpsOnUsage, 2, 'setup: bound subscribe token');
    state.boundSubscribe = res.body.data.id;
  });

  after(async () => {
    await server?.dispose();
  });

  it('has one expectation per extracted example', () => {
    for (const file of SEEDS) {
      const list = EXPECTATIONS[file];
      const found = commands[file];
      assert.equal(list.length, found.length, `${file}: expectations vs examples`);
      found.forEach((c, i) => {
        const e = list[i] as Expectation;
        assert.deepEqual(
          describeCommand(c.text),
          { method: e.method, url: e.url, payload: e.payload },
          `${where(c)}: the request the expectation table was written for`,
        );
      });
    }
  });

  for (const file of SEEDS) {
    for (const c of commands[file]) {
      const e = EXPECTATIONS[file][c.index];
      it(`${where(c)}: ${describeCommand(c.text).method} ${describeCommand(c.text).url}`, async () => {
        assert.ok(e, `${where(c)}: no expectation for this example`);
        const tokenId = e.tokenId?.(state);
        if (e.tokenId) assert.ok(tokenId, `${where(c)}: the token it points at was not created earlier`);
        const ctx: Ctx = { server, secret, state, where: where(c), tokenId };
        const command = rewriteCommand(c.text, { baseUrl: server.url, apiSecret: secret, tokenId });
        // Nothing but host, secret and token id changed.
        assert.equal(
          skeleton(command, { host: server.url, secret, tokenIds: tokenId === undefined ? [] : [String(tokenId)] }),
          skeleton(c.text, { host: SEED_HOST, secret: SEED_SECRET, tokenIds: SEED_TOKEN_IDS }),
          `${where(c)}: rewrite changed more than host/secret/token id`,
        );
        for (const placeholder of [SEED_HOST, SEED_SECRET, '[token id]']) {
          assert.ok(!command.includes(placeholder), `${where(c)}: ${placeholder} left in ${command}`);
        }
        const beforeValue = await e.before?.(ctx);
        const res = await runCurl(command);
        assert.equal(res.exitCode, 0, `${where(c)}: curl exit code; stderr: ${res.stderr}; ran: ${res.commandLine}`);
        await e.check(res, ctx, beforeValue);
      });
    }
  }
});
