/**
 * The TensorFlow Serving test SavedModels (written by TensorFlow; ../shared/fixtures) served by `inferd serve` over
 * REST with their exact values and metadata (shared/reference/tfserving-api.md §5). Skips when the fixtures are absent.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, postJson, SHARED_FIXTURES, startServer, type RunningServer } from '../support/serve.ts';

const present = existsSync(SHARED_FIXTURES);
const fixture = (name: string) => path.join(SHARED_FIXTURES, name);
const readJson = async (name: string) => JSON.parse(await readFile(fixture(name), 'utf8')) as Record<string, unknown>;

describe('SavedModel fixtures over REST', { skip: present ? false : `no fixtures at ${SHARED_FIXTURES}` }, () => {
  let dir: string;
  let server: RunningServer;
  let base: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-sm-'));
    const config = `model_config_list {
  config { name: "default" base_path: "${fixture('saved_model_half_plus_two_cpu')}" model_platform: "tensorflow" }
  config { name: "saved_model_half_plus_two_2_versions" base_path: "${fixture('saved_model_half_plus_two_2_versions')}" model_version_policy { all {} } }
  config { name: "tf2" base_path: "${fixture('saved_model_half_plus_two_tf2_cpu')}" }
  config { name: "half_plus_three" base_path: "${fixture('saved_model_half_plus_three')}" }
  config { name: "matrix" base_path: "${fixture('matrix_half_plus_two')}" }
  config { name: "counter" base_path: "${fixture('saved_model_counter')}" }
  config { name: "bad" base_path: "${fixture('bad_half_plus_two')}" }
}
`;
    await writeFile(path.join(dir, 'models.config'), config);
    server = await startServer([`--model_config_file=${path.join(dir, 'models.config')}`, '--max_num_load_retries=0', '--allow_unavailable_models_at_startup'], { grpc: false, timeoutMs: 120_000 });
    base = `${server.restUrl}/v1/models`;
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('half_plus_two predicts, regresses and classifies with the exact values', async () => {
    assert.deepEqual((await postJson(`${base}/default:predict`, { instances: [1.0, 2.0, 5.0] })).body, { predictions: [2.5, 3.0, 4.5] });
    assert.deepEqual((await postJson(`${base}/default:predict`, { inputs: { x: [[1], [2]] } })).body, { outputs: [[2.5], [3.0]] });
    assert.deepEqual((await postJson(`${base}/default:regress`, '{"signature_name": "regress_x_to_y", "examples": [{"x": 80.0}]}')).body, { results: [42.0] });
    assert.deepEqual((await postJson(`${base}/default:regress`, '{"signature_name": "regress_x_to_y2", "examples": [{"x": 2.0}]}')).body, { results: [4.0] });
    assert.deepEqual((await postJson(`${base}/default:classify`, '{"signature_name": "classify_x_to_y", "examples": [{"x": 20.0}]}')).body, { results: [[['', 12.0]]] });
    const withContext = await postJson(`${base}/default:regress`, '{"signature_name": "regress_x_to_y", "context": {"x": 10.0}, "examples": [{}, {"x": 2.0}]}');
    assert.deepEqual(withContext.body, { results: [7.0, 3.0] });
    const intFeature = await postJson(`${base}/default:regress`, { signature_name: 'regress_x_to_y', examples: [{ x: 2 }] });
    assert.equal(intFeature.status, 400, 'an integer feature is int64 and the graph wants float (as in TF Serving)');
  });

  it('reports classify/regress signature errors clearly', async () => {
    const wrong = await postJson(`${base}/default:classify`, { examples: [{ x: 1.0 }] });
    assert.equal(wrong.status, 400);
    assert.match((wrong.body as { error: string }).error, /No classification inputs found in SignatureDef/);
    const missing = await postJson(`${base}/default:regress`, { signature_name: 'nope', examples: [{ x: 1.0 }] });
    assert.deepEqual([missing.status, missing.body], [400, { error: 'No signature was found with the name: nope' }]);
  });

  it('prints metadata exactly like TensorFlow Serving', async () => {
    const res = await getJson(`${base}/default/metadata`);
    assert.deepEqual(res.body, await readJson('half_plus_two_model_metadata.json'));
    const two = await getJson(`${base}/saved_model_half_plus_two_2_versions/versions/123/metadata`);
    assert.deepEqual(two.body, await readJson('saved_model_half_plus_two_2_versions_metadata.json'));
    const tf2 = (await getJson(`${base}/tf2/metadata`)).body as { metadata: unknown; model_spec: { version: string } };
    const expected = await readJson('saved_model_half_plus_two_tf2_2_versions_metadata.json');
    assert.deepEqual(tf2.metadata, expected.metadata);
    assert.equal(tf2.model_spec.version, '123');
  });

  it('serves both versions under the all policy', async () => {
    const status = (await getJson(`${base}/saved_model_half_plus_two_2_versions`)).body as { model_version_status: { version: string; state: string }[] };
    assert.deepEqual(status.model_version_status.map((v) => [v.version, v.state]), [['124', 'AVAILABLE'], ['123', 'AVAILABLE']]);
    const r = await postJson(`${base}/saved_model_half_plus_two_2_versions/versions/123:predict`, { instances: [[2.0]] });
    assert.deepEqual(r.body, { predictions: [[3.0]] });
  });

  it('runs the TF2 graph, half_plus_three and matrix_half_plus_two', async () => {
    assert.deepEqual((await postJson(`${base}/tf2:predict`, { instances: [1.0, 2.0, 5.0] })).body, { predictions: [2.5, 3.0, 4.5] });
    assert.deepEqual((await postJson(`${base}/tf2:regress`, '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}')).body, { results: [3.0] });
    assert.deepEqual((await postJson(`${base}/half_plus_three:predict`, { instances: [1.0, 2.0, 5.0] })).body, { predictions: [3.5, 4.0, 5.5] });
    // Its regress SignatureDef records tf_example:0 as DT_FLOAT; the graph's placeholder is DT_STRING and TF Serving
    // feeds the serialized examples: trust the graph.
    const regress = await postJson(`${base}/half_plus_three:regress`, '{"signature_name": "tensorflow/serving/regress", "examples": [{"x": 2.0}, {"x": 5.0}]}');
    assert.deepEqual(regress.body, { results: [4.0, 5.5] });
    const m = await postJson(`${base}/matrix:predict`, { instances: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]] });
    assert.deepEqual(m.body, { predictions: [[[2.5, 3.0, 3.5], [4.0, 4.5, 5.0], [5.5, 6.0, 6.5]]] });
  });

  it('loads the counter model (REST cannot call its input-less signatures)', async () => {
    const status = (await getJson(`${base}/counter`)).body as { model_version_status: { state: string }[] };
    assert.equal(status.model_version_status[0]?.state, 'AVAILABLE');
    const r = await postJson(`${base}/counter:predict`, { signature_name: 'get_counter', instances: [1] });
    assert.deepEqual([r.status, r.body], [400, { error: 'Failed to get input map for signature: get_counter' }]);
  });

  it('reports the legacy SessionBundle as a failed load while the others keep serving', async () => {
    const status = (await getJson(`${base}/bad`)).body as { model_version_status: { version: string; state: string; status: { error_code: string; error_message: string } }[] };
    const [entry] = status.model_version_status;
    assert.equal(entry?.version, '123');
    assert.equal(entry?.state, 'END');
    assert.notEqual(entry?.status.error_code, 'OK');
    assert.match(entry?.status.error_message ?? '', /Could not find SavedModel \.pb or \.pbtxt/);
    assert.deepEqual((await postJson(`${base}/default:predict`, { instances: [2.0] })).body, { predictions: [3.0] });
  });
});
