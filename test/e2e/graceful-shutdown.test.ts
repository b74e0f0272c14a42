/**
 * Graceful shutdown (issue 9 D12): `inferd serve` gets SIGTERM or SIGINT while 32 REST and 8 gRPC requests are
 * provably in flight (held after their head, see support/held-requests.ts). Every one must answer correctly once its
 * body arrives, a new connection must be refused instead of hanging, and the process must exit 0. A second signal
 * exits at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { floatTensor, floatsOf } from '../api/grpc/client.ts';
import { heldGrpcPredict, heldRestPost } from '../support/held-requests.ts';
import { halfPlusTwo } from '../support/models.ts';
import { exitOf, startServer, type RunningServer } from '../support/serve.ts';

const REST_CLIENTS = 32;
const GRPC_CLIENTS = 8;

describe('graceful shutdown of inferd serve', () => {
  let dir: string;
  const servers: RunningServer[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-drain-'));
    await halfPlusTwo(path.join(dir, 'hpt', '1'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const server = await startServer([`--model_base_path=${path.join(dir, 'hpt')}`, '--model_name=hpt']);
    servers.push(server);
    return server;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} with ${REST_CLIENTS} REST + ${GRPC_CLIENTS} gRPC requests in flight: all answer, new connections are refused, exit 0`, async () => {
      const server = await start();
      const rest = Array.from({ length: REST_CLIENTS }, (_, i) =>
        heldRestPost(server.restPort, '/v1/models/hpt:predict', JSON.stringify({ instances: [i] })));
      const grpc = Array.from({ length: GRPC_CLIENTS }, (_, i) =>
        heldGrpcPredict(server.grpcPort, { model_spec: { name: 'hpt' }, inputs: { x: floatTensor([100 + i], [1]) } }));
      await Promise.all([...rest, ...grpc].map((r) => r.accepted));
      const exited = exitOf(server.child);
      server.child.kill(signal);
      // Wait until the server says it drains (its listeners close right after), then let the bodies go.
      await waitFor(() => /draining: not ready/.test(server.stderr()));
      const late = await fetch(`${server.restUrl}/v1/models/hpt`, { signal: AbortSignal.timeout(10_000) }).then(
        (res) => `answered ${res.status}`,
        (err: Error) => ((err.cause as { code?: string } | undefined)?.code ?? err.name),
      );
      for (const r of [...rest, ...grpc]) r.release();

      const restAnswers = await Promise.all(rest.map((r) => r.answer));
      restAnswers.forEach((a, i) => {
        assert.equal(a.status, 200, a.body);
        assert.deepEqual(JSON.parse(a.body), { predictions: [0.5 * i + 2] });
      });
      const grpcAnswers = await Promise.all(grpc.map((r) => r.answer));
      grpcAnswers.forEach((a, i) => {
        assert.equal(a.grpcStatus, 0, a.message);
        assert.deepEqual(floatsOf((a.response?.outputs as Record<string, Record<string, unknown>>).y!), [0.5 * (100 + i) + 2]);
      });
      // A new connection after the drain started is refused, never left hanging.
      assert.equal(late, 'ECONNREFUSED');
      assert.deepEqual(await exited, { code: 0, signal: null }, server.stderr());
      assert.match(server.stderr(), /drained: exiting/);
    });
  }

  it('a second signal exits at once, without waiting for the requests in flight', async () => {
    const server = await start();
    const held = heldRestPost(server.restPort, '/v1/models/hpt:predict', JSON.stringify({ instances: [1] }));
    held.answer.catch(() => undefined);
    await held.accepted;
    const exited = exitOf(server.child);
    server.child.kill('SIGTERM');
    await waitFor(() => /draining: not ready/.test(server.stderr()));
    server.child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 128 + 15, signal: null }, server.stderr());
    assert.match(server.stderr(), /second signal/);
    await assert.rejects(held.answer);
  });
});

/** Poll `condition` every 20 ms (no deadline of its own: the test runner's timeout bounds it). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
