// Requests with a body on methods that do not read one (OPTIONS with or without CORS preflight headers, GET,
// DELETE, PUT) must not break the keep-alive connection: the next request on the same socket gets its own answer.
// The body arrives after the headers, in a second write, as a slow client would send it. And a malformed request
// on a connection that already answered one gets its 400 (the REST fuzz's ~190 resets). Real socket, in process.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildRestApp } from '../../../src/api/rest/server.ts';
import { FakeApi } from '../grpc/fake-api.ts';

/** Send `first` (headers, then its body separately), then a GET on the same socket; the statuses answered. */
function twoRequests(port: number, first: string, body: string): Promise<string[]> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
    });
    const done = () => resolve(data.match(/HTTP\/1\.1 \d{3}/g) ?? []);
    s.on('close', done);
    s.on('error', done);
    s.write(`${first}Content-Length: ${body.length}\r\n\r\n`);
    setImmediate(() => {
      s.write(body);
      s.write('GET /v1/models/m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
  });
}

describe('REST keep-alive after a request whose body is not read', () => {
  let app: FastifyInstance;
  let port = 0;
  before(async () => {
    app = await buildRestApp(new FakeApi(), {});
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as net.AddressInfo).port;
  });
  after(async () => app?.close());

  const preflight = 'Origin: http://a.example\r\nAccess-Control-Request-Method: POST\r\n';
  for (const [method, extra] of [['OPTIONS', preflight], ['OPTIONS', ''], ['GET', ''], ['DELETE', ''], ['PUT', '']] as const) {
    it(`${method}${extra ? ' (preflight)' : ''} with a 64 KiB body, then a GET on the same connection`, async () => {
      const statuses = await twoRequests(port, `${method} /v1/models/m HTTP/1.1\r\nHost: x\r\n${extra}Content-Type: text/plain\r\n`, 'b'.repeat(65536));
      assert.equal(statuses.length, 2, `both requests answered: ${JSON.stringify(statuses)}`);
      assert.equal(statuses[1], 'HTTP/1.1 404', 'the GET gets its own answer (no such model in the fake API)');
    });
  }

  it('a malformed request on a connection that already answered gets its 400 {"error"}, not a reset', async () => {
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let data = '';
      s.on('data', (d: Buffer) => {
        data += d.toString('latin1');
        if (data.match(/HTTP\/1\.1 \d{3}/g)?.length === 1 && data.includes('}')) s.write('GET /v1/models/m HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      });
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
      s.write('GET /v1/models/m HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    assert.deepEqual(answer.match(/HTTP\/1\.1 \d{3}/g), ['HTTP/1.1 404', 'HTTP/1.1 400']);
    assert.match(answer, /\{"error":"Malformed HTTP request: [^"]+"\}$/);
  });
});
