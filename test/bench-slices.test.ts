/**
 * The bench's interleaved load generator (bench/slices.ts): targets take turns, prime requests
 * are each sent once before anything is measured, and refusals are reported, never counted.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildRequest } from '../bench/load.js';
import { runSlices, type SliceTarget } from '../bench/slices.js';

interface Recorder {
  server: Server;
  port: number;
  /** Request bodies in arrival order. */
  bodies: string[];
  /** [arrived, answered] instants (performance.now of this process) of every request. */
  spans: [number, number][];
}

/** A server that answers 200 (or `status`) after `delayMs`, recording what it was sent and when. */
async function recorder(delayMs: number, status = 200): Promise<Recorder> {
  const rec: Recorder = { server: createServer(), port: 0, bodies: [], spans: [] };
  rec.server.on('request', (req, res) => {
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rec.bodies.push(Buffer.concat(chunks).toString('utf8'));
      setTimeout(() => {
        const body = JSON.stringify({ ok: status === 200 });
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        rec.spans.push([arrived, performance.now()]);
      }, delayMs);
    });
  });
  await new Promise<void>((r) => rec.server.listen(0, '127.0.0.1', r));
  rec.port = (rec.server.address() as AddressInfo).port;
  return rec;
}

const request = (n: number) => buildRequest('/x', {}, { n });

describe('bench: interleaved slices', () => {
  let a: Recorder;
  let b: Recorder;
  let refusing: Recorder;

  before(async () => {
    a = await recorder(0);
    b = await recorder(2);
    refusing = await recorder(0, 503);
  });
  after(() => {
    for (const r of [a, b, refusing]) r.server.close();
  });

  it('gives each target its own slices, never two at once, and measures only inside them', async () => {
    const prime = Array.from({ length: 50 }, (_, i) => request(i));
    const targets: SliceTarget[] = [
      { name: 'a', port: a.port, nextRequest: () => request(-1), prime },
      { name: 'b', port: b.port, nextRequest: () => request(-2) },
    ];
    const failures: string[] = [];
    const totals = await runSlices({
      targets,
      connections: 4,
      sliceSeconds: 0.05,
      cycles: 6,
      blocks: 3,
      warmupSeconds: 0.05,
      onFailure: (name, problem) => failures.push(`${name} ${problem}`),
    });
    assert.deepEqual(failures, []);

    // The prime requests went first, each exactly once.
    const primed = a.bodies.slice(0, 50).map((body) => JSON.parse(body).n);
    assert.deepEqual(
      [...primed].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.ok(a.bodies.slice(50).every((body) => JSON.parse(body).n === -1));

    // No request of one server was in flight while the other was serving one.
    for (const [start, end] of a.spans) {
      for (const [bStart, bEnd] of b.spans) {
        assert.ok(end <= bStart || bEnd <= start, 'a and b overlapped');
      }
    }

    const [ta, tb] = totals;
    assert.ok(ta && tb);
    assert.equal(ta.name, 'a');
    // Six slices of 50 ms each, give or take the timers' lateness.
    for (const t of [ta, tb]) {
      assert.ok(t.seconds >= 6 * 0.05 && t.seconds < 6 * 0.05 + 0.5, `${t.name}: ${t.seconds} s measured`);
      assert.equal(t.blockRps.length, 3);
      assert.equal(t.latencies.length, t.requests);
      assert.ok(t.requests > 0);
      assert.equal(t.rps, t.requests / t.seconds);
      assert.ok(Number.isNaN(t.cpuUsPerRequest), 'no CPU reader given');
    }
    // Measured answers are a subset of what each server answered (warm-up and prime excluded).
    assert.ok(ta.requests <= a.spans.length - 50);
    assert.ok(tb.requests <= b.spans.length);
    // b holds every answer 2 ms, so its 4 connections can never pass 2,000 answers a second.
    assert.ok(tb.rps <= 2000, `b answered ${tb.rps}/s`);
  });

  it('reports refused answers and does not count them', async () => {
    const failures: string[] = [];
    const [t] = await runSlices({
      targets: [{ name: 'refusing', port: refusing.port, nextRequest: () => request(0) }],
      connections: 2,
      sliceSeconds: 0.03,
      cycles: 2,
      blocks: 1,
      warmupSeconds: 0.01,
      onFailure: (name, problem) => failures.push(`${name} ${problem}`),
    });
    assert.equal(t?.requests, 0);
    assert.ok(failures.length > 0);
    assert.equal(failures[0], 'refusing 503 {"ok":false}');
  });

  it('rejects when a target cannot be reached', async () => {
    const closed = await recorder(0);
    const port = closed.port;
    await new Promise<void>((r) => closed.server.close(() => r()));
    await assert.rejects(
      runSlices({
        targets: [{ name: 'gone', port, nextRequest: () => request(0) }],
        connections: 1,
        sliceSeconds: 0.01,
        cycles: 1,
        blocks: 1,
        warmupSeconds: 0.01,
        onFailure: () => {},
      }),
      /ECONNREFUSED/,
    );
  });
});
