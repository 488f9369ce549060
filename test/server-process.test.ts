/**
 * The test helper that starts `streamgate serve` reads the port the server bound (port 0) from
 * /proc; these check that reading against processes whose port is known.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { listeningPort, startServer } from './helpers/server-process.js';

/** A child node process listening on port 0, which prints the port it got. */
async function childListening(): Promise<{ pid: number; port: number; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>console.log(s.address().port));setTimeout(()=>{},60000)",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { pid: child.pid as number, port: Number(chunk.toString().trim()), stop: () => child.kill('SIGKILL') };
}

describe('listeningPort (test helper)', () => {
  it("finds the port a process listens on, and only that process's", async () => {
    const a = await childListening();
    const b = await childListening();
    try {
      assert.notEqual(a.port, b.port);
      assert.equal(listeningPort(a.pid), a.port);
      assert.equal(listeningPort(b.pid), b.port);
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('is undefined for a process that listens on nothing, and for one that is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { stdio: 'ignore' });
    try {
      assert.equal(listeningPort(child.pid as number), undefined);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    assert.equal(listeningPort(child.pid as number), undefined);
  });

  it('startServer answers with the server it started, on the port that server bound', async () => {
    const server = await startServer();
    try {
      assert.equal(listeningPort(server.child.pid as number), server.port);
      const res = await fetch(`${server.url}/readyz`);
      assert.deepEqual(await res.json(), { status: 'ok', database: 'sqlite' });
    } finally {
      await server.dispose();
    }
  });
});
