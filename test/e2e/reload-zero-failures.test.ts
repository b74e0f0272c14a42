// Guarantee 1 of issue 5 — zero failed requests during change. 32 clients send REST predict requests to model A
// (24 unversioned, 8 through the label `stable`) over real sockets while the test adds version 2, moves the label to
// it and adds model B with gRPC HandleReloadConfigRequest, deletes version 1 from disk, and removes model B with a
// second reload. Every request must succeed, and each answer (y = x + version tells which version computed it) must
// come from a version that was AVAILABLE at some instant between the request's send and its answer; label answers
// must come from a version the label pointed at in that window. Runs in-process so the lifecycle timeline and the
// client timeline share one clock.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { startGrpcServer, type GrpcServer } from '../../src/api/grpc/server.ts';
import { startRestServer, type RestServer } from '../../src/api/rest/server.ts';
import { OnnxRuntime } from '../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { connect, type TestClients } from '../api/grpc/client.ts';
import { addVersion, sleep, waitUntil } from '../server/helpers.ts';

/** When each version of model `a` was AVAILABLE: [from, to) in performance.now() ms (to = Infinity while it still is). */
const available = new Map<number, { from: number; to: number }>();

interface Outcome {
  readonly client: number;
  readonly label: boolean;
  readonly sent: number;
  readonly answered: number;
  readonly status: number;
  readonly version?: number;
  readonly text: string;
}

describe('zero failed requests while versions, labels and models change', () => {
  let dir: string;
  let server: ModelServer;
  let rest: RestServer;
  let grpc: GrpcServer;
  let client: TestClients;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-zero-'));
    await addVersion(path.join(dir, 'a'), 1);
    await addVersion(path.join(dir, 'b'), 7);
    server = await ModelServer.create({
      models: [{ name: 'a', basePath: path.join(dir, 'a'), versionPolicy: { kind: 'latest', numVersions: 2 }, versionLabels: { stable: 1 } }],
      runtimes: [await OnnxRuntime.create()],
      pollWaitSeconds: 0,
      maxLoadRetries: 0,
      onTransition: (e) => {
        if (e.model !== 'a') return;
        if (e.state === 'AVAILABLE') available.set(e.version, { from: performance.now(), to: Infinity });
        const span = available.get(e.version);
        if (e.state === 'UNLOADING' && span) span.to = performance.now();
      },
    });
    await server.whenSettled();
    rest = await startRestServer(server, { host: '127.0.0.1', port: 0 });
    grpc = await startGrpcServer(server, { host: '127.0.0.1', port: 0, reloadConfig: (config) => server.reloadConfig(config) });
    client = connect(grpc.port);
  });
  after(async () => {
    client?.close();
    await grpc?.close();
    await rest?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every request from a version that was AVAILABLE (and labelled) when it arrived', async () => {
    const url = `http://127.0.0.1:${rest.port}/v1/models/a`;
    const outcomes: Outcome[] = [];
    let running = true;
    const loop = async (id: number, label: boolean) => {
      const target = label ? `${url}/labels/stable:predict` : `${url}:predict`;
      while (running) {
        const sent = performance.now();
        let status = 0;
        let text = '';
        try {
          const res = await fetch(target, { method: 'POST', body: '{"instances": [0.0]}', headers: { 'content-type': 'application/json' } });
          status = res.status;
          text = await res.text();
        } catch (err) {
          text = String(err);
        }
        const answered = performance.now();
        const y = status === 200 ? (JSON.parse(text) as { predictions: number[] }).predictions[0] : undefined;
        outcomes.push({ client: id, label, sent, answered, status, text, ...(y !== undefined ? { version: y } : {}) });
      }
    };
    const clients = Array.from({ length: 32 }, (_, i) => loop(i, i % 4 === 3));
    const config = (labelTarget: number, withB: boolean) => ({
      config: {
        model_config_list: {
          config: [
            { name: 'a', base_path: path.join(dir, 'a'), model_platform: 'onnx', model_version_policy: { latest: { num_versions: 2 } }, version_labels: { stable: labelTarget } },
            ...(withB ? [{ name: 'b', base_path: path.join(dir, 'b'), model_platform: 'onnx' }] : []),
          ],
        },
      },
    });
    const labelMoves: { from: number; to: number }[] = [];
    try {
      await sleep(300);
      // 1. A new version appears on disk and loads next to version 1.
      await addVersion(path.join(dir, 'a'), 2);
      await server.pollNow();
      await waitUntil(() => server.status('a').some((s) => s.version === 2 && s.state === 'AVAILABLE'), 'a v2 AVAILABLE');
      await sleep(300);
      // 2. One reload over gRPC: the label moves to version 2 and model B is added (the call returns once B is AVAILABLE).
      const moveStart = performance.now();
      const reloaded = await client.model.HandleReloadConfigRequest(config(2, true));
      labelMoves.push({ from: moveStart, to: performance.now() });
      assert.equal(reloaded.status.error_code, 0);
      assert.ok(server.status('b').some((s) => s.state === 'AVAILABLE'), 'B is AVAILABLE when the reload returns');
      await sleep(300);
      // 3. The old version is deleted from disk and unloads once its in-flight requests finish.
      await rm(path.join(dir, 'a', '1'), { recursive: true, force: true });
      await server.pollNow();
      await waitUntil(() => server.status('a').some((s) => s.version === 1 && s.state === 'END'), 'a v1 END');
      await sleep(300);
      // 4. A second reload removes model B.
      await client.model.HandleReloadConfigRequest(config(2, false));
      await waitUntil(() => server.status('b').every((s) => s.state === 'END'), 'b END');
      await sleep(300);
    } finally {
      running = false;
      await Promise.all(clients);
    }

    const failed = outcomes.filter((o) => o.status !== 200);
    assert.deepEqual(failed.slice(0, 5).map((o) => `${o.status} ${o.text}`), [], `${failed.length} of ${outcomes.length} requests failed`);
    assert.ok(outcomes.length > 500, `enough traffic to mean something (${outcomes.length} requests)`);
    const move = labelMoves[0];
    assert.ok(move);
    for (const o of outcomes) {
      const span = available.get(o.version ?? -1);
      assert.ok(span, `answer ${o.version} is not a version of a`);
      assert.ok(span.from <= o.answered && span.to >= o.sent,
        `version ${o.version} (AVAILABLE ${span.from.toFixed(1)}..${span.to.toFixed(1)}) answered a request in flight ${o.sent.toFixed(1)}..${o.answered.toFixed(1)}`);
      if (o.label) {
        const allowed = new Set<number>();
        if (o.sent <= move.to) allowed.add(1);
        if (o.answered >= move.from) allowed.add(2);
        assert.ok(allowed.has(o.version ?? -1), `label answer from version ${o.version} outside its binding`);
      }
    }
    const seen = (label: boolean) => new Set(outcomes.filter((o) => o.label === label).map((o) => o.version));
    assert.deepEqual([...seen(false)].sort(), [1, 2], 'unversioned traffic moved from version 1 to 2');
    assert.deepEqual([...seen(true)].sort(), [1, 2], 'label traffic moved from version 1 to 2');
    assert.deepEqual(server.status('a').map((s) => `${s.version}:${s.state}`), ['2:AVAILABLE', '1:END']);
  });
});
