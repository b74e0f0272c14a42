// `inferd serve --model_config_file` as a user runs it: the startup label rule (and
// --allow_version_labels_for_unavailable_models), YAML configs, live reload through
// --model_config_file_poll_wait_seconds (a bad file is logged and the old config stays), gRPC
// HandleReloadConfigRequest, the operator API behind --enable_model_management, and status/logs that show every
// version ever seen and each transition with its reason.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from '../api/grpc/client.ts';
import { getJson, postJson, runInferd, startServer, type RunningServer } from '../support/serve.ts';
import { addVersion, waitUntil } from '../server/helpers.ts';

let dir: string;

const textConfig = (models: { name: string; labels?: Record<string, number>; policy?: string }[]) =>
  `model_config_list {\n${models.map((m) => `  config {
    name: "${m.name}"
    base_path: "${path.join(dir, m.name)}"
    model_platform: "onnx"
    ${m.policy ?? ''}
${Object.entries(m.labels ?? {}).map(([k, v]) => `    version_labels { key: "${k}" value: ${v} }\n`).join('')}  }\n`).join('')}}\n`;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-cfg-'));
  await addVersion(path.join(dir, 'a'), 1);
  await addVersion(path.join(dir, 'a'), 2);
  await addVersion(path.join(dir, 'b'), 3);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('startup with labels', () => {
  it('fails without --allow_version_labels_for_unavailable_models (labels are checked before models load)', async () => {
    const file = path.join(dir, 'labels.config');
    await writeFile(file, textConfig([{ name: 'a', labels: { stable: 1 }, policy: 'model_version_policy { all {} }' }]));
    const res = await runInferd(['serve', '--port=0', '--rest_api_port=0', `--model_config_file=${file}`]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr,
      /Failed to start server\. Error: FAILED_PRECONDITION: Request to assign label to version 1 of model a, which is not currently available for inference/);
  });

  it('starts with the flag, and the label resolves; a YAML config works the same', async () => {
    const file = path.join(dir, 'labels.yaml');
    await writeFile(file, `model_config_list:
  config:
    - name: a
      base_path: ${path.join(dir, 'a')}
      model_platform: onnx
      model_version_policy: { all: {} }
      version_labels: { stable: 1 }
`);
    const server = await startServer([`--model_config_file=${file}`, '--allow_version_labels_for_unavailable_models'], { grpc: false });
    try {
      const res = await postJson(`${server.restUrl}/v1/models/a/labels/stable:predict`, { instances: [0] });
      assert.deepEqual([res.status, res.body], [200, { predictions: [1] }]);
      const latest = await postJson(`${server.restUrl}/v1/models/a:predict`, { instances: [0] });
      assert.deepEqual(latest.body, { predictions: [2] });
    } finally {
      await server.stop();
    }
  });
});

describe('live reload', () => {
  let server: RunningServer;
  let file: string;

  before(async () => {
    file = path.join(dir, 'live.config');
    await writeFile(file, textConfig([{ name: 'a' }]));
    server = await startServer([
      `--model_config_file=${file}`, '--model_config_file_poll_wait_seconds=1', '--file_system_poll_wait_seconds=1',
      '--enable_model_management', '--max_num_load_retries=0',
    ]);
  });
  after(async () => {
    await server?.stop();
  });

  const status = async (model: string) => {
    const res = await getJson(`${server.restUrl}/v1/models/${model}`);
    if (res.status !== 200) return [];
    return (res.body as { model_version_status: { version: string; state: string }[] }).model_version_status.map((s) => `${s.version}:${s.state}`);
  };

  it('applies a changed config file; a bad one is logged and the old config stays', async () => {
    await writeFile(file, textConfig([{ name: 'a', policy: 'model_version_policy { all {} }', labels: { stable: 1 } }, { name: 'b' }]));
    await waitUntil(async () => (await status('b')).includes('3:AVAILABLE'), 'model b from the changed file');
    await waitUntil(async () => (await postJson(`${server.restUrl}/v1/models/a/labels/stable:predict`, { instances: [0] })).status === 200, 'label stable');
    assert.deepEqual(await status('a'), ['2:AVAILABLE', '1:AVAILABLE']);
    await writeFile(file, 'model_config_list { config { name: "a" base_path: ');
    await waitUntil(() => /keeping the previous config/.test(server.stderr()), 'the bad file to be logged', 10_000);
    assert.match(server.stderr(), /Invalid protobuf file/);
    assert.deepEqual(await status('b'), ['3:AVAILABLE'], 'the old config stays');
    // A label for a version that is not AVAILABLE fails after the (here: no) model changes: the log says what stayed.
    await writeFile(file, textConfig([{ name: 'a', policy: 'model_version_policy { all {} }', labels: { stable: 9 } }, { name: 'b' }]));
    await waitUntil(() => /model changes applied, labels kept as they were: FAILED_PRECONDITION/.test(server.stderr()), 'the label failure to be logged', 10_000);
    assert.deepEqual((await postJson(`${server.restUrl}/v1/models/a/labels/stable:predict`, { instances: [0] })).body, { predictions: [1] }, 'stable still at 1');
    assert.deepEqual(await status('b'), ['3:AVAILABLE']);
    // Back to a file that does not parse, so the watcher changes nothing while the next tests reload over gRPC.
    await writeFile(file, 'model_config_list { config { name: "a" base_path: ');
    await waitUntil(() => (server.stderr().match(/Invalid protobuf file/g) ?? []).length >= 2, 'the unparseable file again', 10_000);
  });

  it('applies HandleReloadConfigRequest over gRPC, returning once new models are available', async () => {
    const client = connect(server.grpcPort);
    try {
      const res = await client.model.HandleReloadConfigRequest({
        config: { model_config_list: { config: [
          { name: 'a', base_path: path.join(dir, 'a'), model_platform: 'onnx', model_version_policy: { all: {} }, version_labels: { stable: 2 } },
          { name: 'c', base_path: path.join(dir, 'b'), model_platform: 'onnx' },
        ] } },
      });
      assert.equal(res.status.error_code, 0);
      assert.deepEqual(await status('c'), ['3:AVAILABLE']);
      assert.deepEqual((await postJson(`${server.restUrl}/v1/models/a/labels/stable:predict`, { instances: [0] })).body, { predictions: [2] });
      await waitUntil(async () => (await status('b')).includes('3:END'), 'b (absent from the new config) to unload');
      await assert.rejects(client.model.HandleReloadConfigRequest({
        config: { model_config_list: { config: [{ name: 'a', base_path: path.join(dir, 'a'), model_platform: 'tensorflow' }] } },
      }), /Illegal to change a model's platform\. For model a platform was onnx and new platform requested is tensorflow/);
    } finally {
      client.close();
    }
  });

  it('serves the operator API and logs each transition with its reason', async () => {
    const index = await postJson(`${server.restUrl}/v2/repository/index`, {});
    assert.equal(index.status, 200);
    assert.ok((index.body as { name: string }[]).some((r) => r.name === 'b'), 'b (no longer served) stays in the index');
    const unload = await postJson(`${server.restUrl}/v2/repository/models/c/unload`, {});
    assert.equal(unload.status, 200);
    await waitUntil(async () => (await status('c')).includes('3:END'), 'c to unload');
    const reasons = () => server.stderr().split('\n').filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.model === 'c' && l.state !== undefined).map((l) => `${l.state}:${l.reason}`);
    await waitUntil(() => reasons().includes('END:unloaded'), 'the END transition in the log', 5_000);
    assert.deepEqual(reasons(), ['START:aspired', 'LOADING:loading', 'AVAILABLE:loaded', 'UNLOADING:no longer aspired', 'END:unloaded']);
  });

  it('keeps the operator API off without --enable_model_management', async () => {
    const plain = await startServer([`--model_config_file=${file.replace('live', 'labels')}`, '--allow_version_labels_for_unavailable_models'], { grpc: false });
    try {
      assert.equal((await postJson(`${plain.restUrl}/v2/repository/index`, {})).status, 404);
    } finally {
      await plain.stop();
    }
  });
});
