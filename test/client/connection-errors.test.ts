/**
 * The REST client when no HTTP answer comes back: an UNAVAILABLE InferdError naming the URL and the socket's reason
 * (not fetch's bare "fetch failed"), retried only for refused/reset connections.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { InferdError, RestClient } from '../../src/client/index.ts';

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('REST client connection errors', () => {
  it('a refused connection is UNAVAILABLE with the URL and ECONNREFUSED', async () => {
    const port = await closedPort();
    const client = new RestClient({ url: `http://127.0.0.1:${port}`, retries: 1, retryDelayMs: 1 });
    try {
      await assert.rejects(client.status('m'), (err) => {
        assert.ok(err instanceof InferdError, `an InferdError, got ${String(err)}`);
        assert.equal(err.code, 'UNAVAILABLE');
        assert.match(err.message, new RegExp(`GET http://127\\.0\\.0\\.1:${port}/v1/models/m`));
        assert.match(err.message, /ECONNREFUSED/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('a connection reset before any answer is retried, then UNAVAILABLE', async () => {
    let hits = 0;
    const server = http.createServer((req) => {
      hits++;
      req.socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new RestClient({ url: `http://127.0.0.1:${port}`, retries: 2, retryDelayMs: 1 });
    try {
      await assert.rejects(client.status('m'), (err) => err instanceof InferdError && err.code === 'UNAVAILABLE' && /no answer from the server/.test(err.message));
      assert.equal(hits, 3, 'one attempt and two retries');
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
