/**
 * Run-time model changes under `inferd serve --processes=2`: gRPC HandleReloadConfigRequest and the repository
 * API's unload/load (REST, Open Inference Protocol) are received by one serving process and applied by every one.
 * Afterwards, status asked over many fresh connections (which the primary spreads over both processes) is the same
 * everywhere; a process that replaces a killed one replays the changes before it serves.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from '../api/grpc/client.ts';
import { accessLogPid, freshRequest, servingPids, waitFor } from '../support/fresh-connection.ts';
import { halfPlusTwo } from '../support/models.ts';
import { startServer, type RunningServer } from '../support/serve.ts';

const ROUNDS = 8;

describe('inferd serve --processes=2: model changes reach every serving process', { timeout: 180_000 }, () => {
  let dir: string;
  let server: RunningServer;
  let round = 0;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-cluster-reload-'));
    await halfPlusTwo(path.join(dir, 'a', '1'));
    await halfPlusTwo(path.join(dir, 'b', '2'));
    const config = path.join(dir, 'models.config');
    await writeFile(config, `model_config_list { config { name: "a" base_path: "${path.join(dir, 'a')}" model_platform: "onnx" } }\n`);
    server = await startServer(['--processes=2', `--model_config_file=${config}`, '--enable_model_management']);
    await waitFor(() => servingPids(server.stderr()).length === 2);
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `GET /v1/models/<name>` over ROUNDS fresh connections: the answers, and the set of pids that gave them. */
  const statusEverywhere = async (name: string) => {
    round++;
    const ids = Array.from({ length: ROUNDS }, (_, i) => `reload-${round}-${i}`);
    const answers = await Promise.all(ids.map((requestId) => freshRequest(server.restPort, 'GET', `/v1/models/${name}`, { requestId })));
    await waitFor(() => ids.every((id) => accessLogPid(server.stderr(), id) !== undefined));
    const pids = new Set(ids.map((id) => accessLogPid(server.stderr(), id)));
    return { answers: answers.map((a) => `${a.status} ${states(a.body)}`), pids };
  };

  const assertSameEverywhere = async (name: string, expected: string) => {
    const { answers, pids } = await statusEverywhere(name);
    assert.deepEqual(answers, Array.from({ length: ROUNDS }, () => expected), `status of ${name} over fresh connections`);
    assert.equal(pids.size, 2, `both serving processes answered (got ${[...pids].join(', ')})`);
  };

  it('HandleReloadConfigRequest over gRPC adds a model in every process', async () => {
    await assertSameEverywhere('a', '200 1:AVAILABLE');
    const client = connect(server.grpcPort);
    try {
      const res = await client.model.HandleReloadConfigRequest({
        config: { model_config_list: { config: [
          { name: 'a', base_path: path.join(dir, 'a'), model_platform: 'onnx' },
          { name: 'b', base_path: path.join(dir, 'b'), model_platform: 'onnx' },
        ] } },
      });
      assert.equal(res.status.error_code, 0);
    } finally {
      client.close();
    }
    // The RPC answers once every process applied it: no waiting here.
    await assertSameEverywhere('b', '200 2:AVAILABLE');
    for (let i = 0; i < ROUNDS; i++) {
      const res = await freshRequest(server.restPort, 'POST', '/v1/models/b:predict', { body: JSON.stringify({ instances: [i] }) });
      assert.deepEqual([res.status, JSON.parse(res.body)], [200, { predictions: [0.5 * i + 2] }]);
    }
  });

  it('a refused reload is refused by every process and changes nothing', async () => {
    const client = connect(server.grpcPort);
    try {
      await assert.rejects(client.model.HandleReloadConfigRequest({
        config: { model_config_list: { config: [{ name: 'a', base_path: path.join(dir, 'a'), model_platform: 'tensorflow' }] } },
      }), /Illegal to change a model's platform/);
    } finally {
      client.close();
    }
    await assertSameEverywhere('a', '200 1:AVAILABLE');
    await assertSameEverywhere('b', '200 2:AVAILABLE');
  });

  it('OIP repository unload and load over REST apply in every process', async () => {
    const unload = await freshRequest(server.restPort, 'POST', '/v2/repository/models/a/unload', { body: '{}' });
    assert.equal(unload.status, 200, unload.body);
    // Unload answers once the model is no longer served; its version reaches END after its requests finish.
    await waitFor(async () => (await statusEverywhere('a')).answers.every((a) => a === '200 1:END'));
    await assertSameEverywhere('a', '200 1:END');
    const load = await freshRequest(server.restPort, 'POST', '/v2/repository/models/a/load', { body: '{}' });
    assert.equal(load.status, 200, load.body);
    await assertSameEverywhere('a', '200 1:AVAILABLE');
    const index = await freshRequest(server.restPort, 'POST', '/v2/repository/index', { body: '{}' });
    assert.equal(index.status, 200);
    assert.deepEqual((JSON.parse(index.body) as { name: string; state: string }[]).map((r) => `${r.name} ${r.state}`).sort(), ['a READY', 'b READY']);
    const missing = await freshRequest(server.restPort, 'POST', '/v2/repository/models/nope/unload', { body: '{}' });
    assert.equal(missing.status, 404, missing.body);
    assert.match(missing.body, /not in the model repository/);
  });

  it('a replacement process replays the changes before it serves', async () => {
    const unload = await freshRequest(server.restPort, 'POST', '/v2/repository/models/b/unload', { body: '{}' });
    assert.equal(unload.status, 200, unload.body);
    await waitFor(async () => (await statusEverywhere('b')).answers.every((a) => a === '200 2:END'));
    const [victim] = servingPids(server.stderr());
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => /replacement serving process listening/.test(server.stderr()));
    await waitFor(() => servingPids(server.stderr()).length === 2);
    // The replacement started from the config file (a only), then replayed: reload (a, b), unload a, load a, unload b.
    await assertSameEverywhere('a', '200 1:AVAILABLE');
    await assertSameEverywhere('b', '200 2:END');
  });
});

/** `version:STATE` of each version in a GetModelStatus JSON answer (or the error text). */
function states(body: string): string {
  const parsed = JSON.parse(body) as { model_version_status?: { version: string; state: string }[]; error?: string };
  return parsed.model_version_status?.map((s) => `${s.version}:${s.state}`).join(',') ?? String(parsed.error);
}
