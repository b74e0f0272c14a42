// Issue 9 D7, D9, D15 against a real `inferd serve` over raw sockets: bodies shorter than their Content-Length,
// trickled bodies and partial headers time out with 408 {"error"}; idle keep-alive connections close; Node's HTTP
// parser errors answer {"error": "…"} (one key); one client cannot hold more connections than the cap, on the REST
// and the gRPC port; and the server still answers afterwards. Short timeouts are flags of this server.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { halfPlusTwo } from '../support/models.ts';
import { postJson, startServer, type RunningServer } from '../support/serve.ts';

const CAP = 12;

/** A raw connection that collects everything the server sends and resolves `closed` when the server ends it. */
interface Raw {
  readonly socket: net.Socket;
  readonly closed: Promise<string>;
  text(): string;
}

function open(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<string>((r) => socket.once('close', () => r(data)));
    socket.once('connect', () => resolve({ socket, closed, text: () => data }));
    socket.once('error', reject);
  });
}

/** Status and JSON body of the first HTTP answer in `raw`. */
function answer(raw: string): { status: number; body: Record<string, unknown> } {
  const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(raw);
  assert.ok(m, `not an HTTP answer: ${JSON.stringify(raw)}`);
  const length = /content-length: (\d+)/i.exec(m[2] ?? '');
  const body = length ? (m[3] ?? '').slice(0, Number(length[1])) : (m[3] ?? '');
  return { status: Number(m[1]), body: JSON.parse(body) as Record<string, unknown> };
}

/** Assert `{"error": "<non-empty string>"}` and nothing else. */
function assertErrorBody(body: Record<string, unknown>, pattern?: RegExp): void {
  assert.deepEqual(Object.keys(body), ['error'], JSON.stringify(body));
  assert.equal(typeof body.error, 'string');
  if (pattern) assert.match(body.error as string, pattern);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('REST and gRPC connection hardening (inferd serve)', { timeout: 60_000 }, () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-http-'));
    await halfPlusTwo(path.join(dir, 'hpt', '1'));
    server = await startServer([
      '--model_name=hpt', `--model_base_path=${path.join(dir, 'hpt')}`,
      '--rest_api_header_timeout_ms=1000', '--rest_api_body_timeout_ms=1500', '--rest_api_keepalive_timeout_ms=1000',
      `--max_connections_per_client=${CAP}`,
    ]);
  });

  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('D7: a body shorter than its Content-Length times out with 408 {"error"}', async () => {
    const c = await open(server.restPort);
    c.socket.write('POST /v1/models/hpt:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"instances"');
    const { status, body } = answer(await c.closed);
    assert.equal(status, 408);
    assertErrorBody(body, /rest_api_body_timeout_ms/);
  });

  it('D7: a trickled body times out too', async () => {
    const c = await open(server.restPort);
    c.socket.write('POST /v1/models/hpt:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    let stop = false;
    void (async () => {
      while (!stop && !c.socket.destroyed) {
        c.socket.write(' ');
        await sleep(200);
      }
    })();
    const raw = await c.closed;
    stop = true;
    assert.equal(answer(raw).status, 408);
  });

  it('D15: partial headers time out, and an idle keep-alive connection is closed', async () => {
    const partial = await open(server.restPort);
    partial.socket.write('GET /v1/models/hpt HTTP/1.1\r\nHost: x\r\n');
    const { status, body } = answer(await partial.closed);
    assert.equal(status, 408);
    assertErrorBody(body);

    const idle = await open(server.restPort);
    idle.socket.write('GET /v1/models/hpt HTTP/1.1\r\nHost: x\r\n\r\n');
    const raw = await idle.closed; // answered, then closed by the keep-alive timeout (not by us)
    assert.equal(answer(raw).status, 200);
  });

  it('D9: errors of Node\'s HTTP parser answer {"error": "…"} only', async () => {
    const garbage = await open(server.restPort);
    garbage.socket.write('THIS IS NOT HTTP\r\n\r\n');
    const a = answer(await garbage.closed);
    assert.equal(a.status, 400);
    assertErrorBody(a.body, /^Malformed HTTP request/);

    const badLength = await open(server.restPort);
    badLength.socket.write('POST /v1/models/hpt:predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
    const b = answer(await badLength.closed);
    assert.equal(b.status, 400);
    assertErrorBody(b.body);

    const huge = await open(server.restPort);
    huge.socket.write(`GET /v1/models/hpt HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
    const h = answer(await huge.closed);
    assert.equal(h.status, 431);
    assertErrorBody(h.body);

    const badUrl = await postJson(`${server.restUrl}/v1/models/%E0%A4%A:predict`, {});
    assert.ok(badUrl.status >= 400 && badUrl.status < 500, String(badUrl.status));
    assertErrorBody(badUrl.body as Record<string, unknown>);
  });

  it('D15: one client holds at most --max_connections_per_client connections per port (REST 429 {"error"}, gRPC closed)', async () => {
    for (const [port, rest] of [[server.restPort, true], [server.grpcPort, false]] as const) {
      const held: Raw[] = [];
      for (let i = 0; i < CAP; i++) held.push(await open(port));
      // Keep the held REST connections busy-free but alive: each sends a request so none idles out mid-test.
      const extra: Raw[] = [];
      for (let i = 0; i < 3; i++) extra.push(await open(port));
      for (const e of extra) {
        const raw = await e.closed; // the server ends every connection over the cap at once
        if (rest) {
          const { status, body } = answer(raw);
          assert.equal(status, 429);
          assertErrorBody(body, /max_connections_per_client=12/);
        } else {
          assert.equal(raw, '');
        }
      }
      for (const h of held) h.socket.destroy();
      await Promise.all(held.map((h) => h.closed));
    }
    // Slots are free again once the held connections are gone.
    await sleep(200);
    const ok = await postJson(`${server.restUrl}/v1/models/hpt:predict`, { instances: [1] });
    assert.equal(ok.status, 200, ok.text);
  });
});
