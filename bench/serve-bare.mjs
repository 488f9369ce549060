/**
 * Child process: the baselines. Usage: node bench/serve-bare.mjs plain|sign <db file>.
 *
 * - plain: a bare node:http server that drains the request and answers a fixed JSON body.
 * - sign:  the same, but it also parses the JSON body and signs a JWT per request with the SAME
 *          ES256 key Streamgate uses (loaded from the same database) over claims shaped like the
 *          director's, returned in the same success envelope: the unavoidable cost of the work.
 *
 * Plain JavaScript on the compiled dist/ (as `npm start` runs Streamgate), no TypeScript loader.
 * Prints `PORT <n>` once listening; exits when its stdin closes.
 */
import { createServer } from 'node:http';
import { loadSigner } from '../dist/domain/signer.js';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';

const [mode, file] = process.argv.slice(2);
if ((mode !== 'plain' && mode !== 'sign') || !file) throw new Error('usage: serve-bare.mjs plain|sign <sqlite file>');

const FIXED = Buffer.from(
  JSON.stringify({
    status: 'success',
    data: {
      urls: ['rtmp://localhost:1935/live/stream'],
      jwt: 'x'.repeat(400),
      streamAccountId: 'abcdef',
      subscribeRequiresAuth: false,
    },
  }),
);

/** @param {import('node:http').ServerResponse} res @param {Buffer | string} body */
function send(res, body) {
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** @type {import('node:http').RequestListener} */
let handler;
if (mode === 'plain') {
  handler = (req, res) => {
    req.resume();
    req.on('end', () => send(res, FIXED));
  };
} else {
  const store = new SqliteStore(file);
  const signer = await loadSigner(store);
  await store.close();
  const iss = 'http://localhost:8080';
  handler = (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const iat = Math.floor(Date.now() / 1000);
      const streamId = `abcdef/${body.streamName}`;
      const jwt = signer.sign({
        iss,
        sub: streamId,
        iat,
        exp: iat + 60,
        streaming: {
          role: 'publish',
          streamAccountId: 'abcdef',
          streamName: body.streamName,
          streamId,
          tokenId: 1,
          clientIp: req.socket.remoteAddress ?? null,
        },
        mediamtx_permissions: [{ action: 'publish', path: body.streamName }],
      });
      send(
        res,
        JSON.stringify({
          status: 'success',
          data: {
            urls: [`rtmp://localhost:1935/live/${encodeURIComponent(body.streamName)}`],
            jwt,
            streamAccountId: 'abcdef',
            subscribeRequiresAuth: false,
          },
        }),
      );
    });
  };
}

const server = createServer({ keepAliveTimeout: 60_000 }, handler);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`PORT ${address.port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
