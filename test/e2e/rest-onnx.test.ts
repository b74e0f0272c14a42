/**
 * End to end, as a user: `inferd serve --model_name --model_base_path` on ONNX models the test builds, called over
 * real HTTP. Covers status, metadata, predict (row and columnar), the hot swap of versions with concurrent traffic,
 * a failed version, removal of a version folder, and the error paths of the REST API.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { addOne, corruptModel, halfPlusTwo, stringIdentity, twoInTwoOut } from '../support/models.ts';
import { getJson, postJson, runInferd, startServer, type RunningServer } from '../support/serve.ts';

/** Announce a body of `bytes` bytes (Content-Length) and read the answer the server gives before any byte is sent. */
function postOversized(url: string, bytes: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(bytes) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', (err) => reject(err));
    req.flushHeaders();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('inferd serve over REST (ONNX)', () => {
  let dir: string;
  let base: string;
  let server: RunningServer;
  let url: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-e2e-'));
    base = path.join(dir, 'hp2');
    await halfPlusTwo(path.join(base, '1'));
    server = await startServer([`--model_name=hp2`, `--model_base_path=${base}`, '--file_system_poll_wait_seconds=1', '--max_num_load_retries=0'], { grpc: false });
    url = `${server.restUrl}/v1/models/hp2`;
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports status of the served version', async () => {
    const res = await getJson(url);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
    const one = await getJson(`${url}/versions/1`);
    assert.equal(one.status, 200);
    const missing = await getJson(`${url}/versions/7`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: 'Could not find version 7 of model hp2' });
    const unknown = await getJson(`${server.restUrl}/v1/models/nope`);
    assert.deepEqual([unknown.status, unknown.body], [404, { error: 'Could not find any versions of model nope' }]);
  });

  it('prints metadata in TensorFlow Serving\'s shape', async () => {
    const res = await getJson(`${url}/metadata`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      model_spec: { name: 'hp2', signature_name: '', version: '1' },
      metadata: {
        signature_def: {
          signature_def: {
            serving_default: {
              inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: 'batch' }], unknown_rank: false }, name: 'x' } },
              outputs: { y: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: 'batch' }], unknown_rank: false }, name: 'y' } },
              method_name: 'tensorflow/serving/predict',
              defaults: {},
            },
          },
        },
      },
    });
  });

  it('predicts in row and columnar formats', async () => {
    const row = await postJson(`${url}:predict`, { instances: [1.0, 2.0, 5.0] });
    assert.deepEqual([row.status, row.body], [200, { predictions: [2.5, 3.0, 4.5] }]);
    const col = await postJson(`${url}/versions/1:predict`, { inputs: { x: [1, 2] } });
    assert.deepEqual([col.status, col.body], [200, { outputs: [2.5, 3.0] }]);
    const named = await postJson(`${url}:predict`, { signature_name: 'serving_default', instances: [{ x: 4 }] });
    assert.deepEqual([named.status, named.body], [200, { predictions: [4.0] }]);
  });

  it('accepts gzip bodies and refuses oversized or malformed ones with JSON errors', async () => {
    const gz = gzipSync(Buffer.from(JSON.stringify({ instances: [10] })));
    const ok = await postJson(`${url}:predict`, gz, { 'content-encoding': 'gzip' });
    assert.deepEqual([ok.status, ok.body], [200, { predictions: [7.0] }]);
    const badGz = await postJson(`${url}:predict`, 'not gzip', { 'content-encoding': 'gzip' });
    assert.equal(badGz.status, 400);
    const big = await postOversized(`${url}:predict`, 65 * 1024 * 1024);
    assert.equal(big.status, 413);
    assert.match(big.text, /"error":.*larger than the limit/);
    const empty = await postJson(`${url}:predict`, '');
    assert.deepEqual([empty.status, empty.body], [400, { error: 'JSON Parse error: The document is empty' }]);
    const bad = await postJson(`${url}:predict`, '{"instances": [1,');
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: string }).error, /^JSON Parse error: .* at offset: \d+$/);
    const wrongType = await postJson(`${url}:predict`, { instances: ['x'] });
    assert.equal(wrongType.status, 400);
    assert.match((wrongType.body as { error: string }).error, /Type: String is not of expected type: float/);
    const ragged = await postJson(`${url}:predict`, { inputs: { x: [[1, 2], [3]] } });
    assert.equal(ragged.status, 400);
    const badSig = await postJson(`${url}:predict`, { signature_name: 'nope', instances: [1] });
    assert.deepEqual([badSig.status, badSig.body], [400, { error: 'Serving signature name: "nope" not found in signature def' }]);
    const noModel = await postJson(`${server.restUrl}/v1/models/none:predict`, { instances: [1] });
    assert.deepEqual([noModel.status, noModel.body], [404, { error: 'Servable not found for request: Latest(none)' }]);
    const noVersion = await postJson(`${url}/versions/9:predict`, { instances: [1] });
    assert.deepEqual([noVersion.status, noVersion.body], [404, { error: 'Servable not found for request: Specific(hp2, 9)' }]);
    const noLabel = await postJson(`${url}/labels/canary:predict`, { instances: [1] });
    assert.deepEqual([noLabel.status, noLabel.body], [400, { error: 'Unrecognized servable version label: canary' }]);
    const malformed = await fetch(`${url}:predict`, { method: 'PUT', body: '{}' });
    assert.equal(malformed.status, 400);
    assert.deepEqual(await malformed.json(), { error: `Malformed request: PUT /v1/models/hp2:predict` });
    const noName = await getJson(`${server.restUrl}/v1/models`);
    assert.deepEqual([noName.status, noName.body], [400, { error: 'Missing model name in request.' }]);
  });

  it('answers a thousand generated malformed bodies with 4xx JSON and keeps serving', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pieces = ['{', '}', '[', ']', '"instances"', '"inputs"', ':', ',', '1', '-', '.5e', 'NaN', 'true', 'null', '"x"', '{"b64":"@@"}', '\\u12', '"', ' '];
    const bodies: string[] = [];
    for (let i = 0; i < 1000; i += 1) {
      const n = 1 + Math.floor(rand() * 12);
      let s = '';
      for (let j = 0; j < n; j += 1) s += pieces[Math.floor(rand() * pieces.length)];
      bodies.push(i % 5 === 0 ? `{"instances": ${s}}` : s);
    }
    for (let i = 0; i < bodies.length; i += 50) {
      const results = await Promise.all(bodies.slice(i, i + 50).map((b) => postJson(`${url}:predict`, b)));
      for (const [k, r] of results.entries()) {
        if (r.status === 200) continue; // a generated body can be valid by chance
        assert.ok(r.status >= 400 && r.status < 500, `body ${JSON.stringify(bodies[i + k])} got ${r.status} ${r.text}`);
        assert.equal(typeof (r.body as { error?: unknown }).error, 'string', `body ${JSON.stringify(bodies[i + k])} → ${r.text}`);
      }
    }
    const still = await postJson(`${url}:predict`, { instances: [2] });
    assert.deepEqual([still.status, still.body], [200, { predictions: [3.0] }]);
  });

  it('swaps in a new version with no failed request, survives a broken version, unloads a removed one', async () => {
    let stop = false;
    const answers: number[] = [];
    const failures: string[] = [];
    const traffic = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const r = await postJson(`${url}:predict`, { instances: [2] });
        if (r.status !== 200) failures.push(`${r.status} ${r.text}`);
        else answers.push((r.body as { predictions: number[] }).predictions[0] as number);
      }
    });
    await addOne(path.join(base, '2'), 'float32'); // version 2: y = x + 1
    await waitFor(async () => {
      const s = (await getJson(url)).body as { model_version_status: { version: string; state: string }[] };
      return s.model_version_status.some((v) => v.version === '1' && v.state === 'END');
    }, 'version 1 to be unloaded after version 2 loads');
    await sleep(300);
    stop = true;
    await Promise.all(traffic);
    assert.deepEqual(failures, []);
    assert.ok(answers.includes(3) && answers.at(-1) === 3, 'answers came from version 2 = x + 1 = 3');
    assert.ok(answers.every((a) => a === 3), 'both versions answer 3 for x=2 (0.5*2+2 and 2+1)');

    await corruptModel(path.join(base, '3'));
    await waitFor(async () => {
      const s = (await getJson(url)).body as { model_version_status: { version: string; state: string }[] };
      return s.model_version_status.some((v) => v.version === '3' && v.state === 'END');
    }, 'version 3 to fail');
    const status = (await getJson(url)).body as { model_version_status: { version: string; state: string; status: { error_code: string; error_message: string } }[] };
    assert.deepEqual(status.model_version_status.map((v) => [v.version, v.state]), [['3', 'END'], ['2', 'AVAILABLE'], ['1', 'END']]);
    assert.notEqual(status.model_version_status[0]?.status.error_code, 'OK');
    assert.match(status.model_version_status[0]?.status.error_message ?? '', /model\.onnx/);
    const stillV2 = await postJson(`${url}:predict`, { instances: [5] });
    assert.deepEqual(stillV2.body, { predictions: [6.0] });

    await rm(path.join(base, '3'), { recursive: true });
    await halfPlusTwo(path.join(base, '1')); // keep version 1 on disk, then remove 2: the policy goes back to... the highest, 2
    await rm(path.join(base, '2'), { recursive: true });
    await waitFor(async () => {
      const r = await postJson(`${url}:predict`, { instances: [2] });
      const s = (await getJson(url)).body as { model_version_status: { version: string; state: string }[] };
      return r.status === 200 && s.model_version_status.find((v) => v.version === '2')?.state === 'END'
        && s.model_version_status.find((v) => v.version === '1')?.state === 'AVAILABLE';
    }, 'version 2 removed from disk to be unloaded and version 1 reloaded');
  });
});

describe('inferd serve flags', () => {
  it('rejects unknown flags and bad values with a one-line reason', async () => {
    const unknown = await runInferd(['serve', '--no_such_flag=1']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown option '--no_such_flag=1'/);
    const bad = await runInferd(['serve', '--rest_api_port=abc']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /rest_api_port/);
    const none = await runInferd(['serve', '--rest_api_port=0', '--port=0']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /Both server_options.model_base_path and server_options.model_config_file are empty!/);
    const relative = await runInferd(['serve', '--model_base_path=relative/path']);
    assert.match(relative.stderr, /Expected model default to have an absolute path or URI; got base_path\(\)=relative\/path/);
  });

  it('lists every flag with its default in --help', async () => {
    const help = await runInferd(['serve', '--help']);
    assert.equal(help.code, 0);
    for (const flag of ['--rest_api_port', '--model_name', '--model_base_path', '--file_system_poll_wait_seconds', '--port']) {
      assert.ok(help.stdout.includes(flag), `${flag} in help`);
    }
    assert.match(help.stdout, /default: 1\)/);
  });

  it('serves MODEL_NAME under MODEL_BASE_PATH like the TensorFlow Serving image, and typed models', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-env-'));
    try {
      await twoInTwoOut(path.join(dir, 'pair', '3'));
      const srv = await startServer([], { grpc: false, env: { MODEL_NAME: 'pair', MODEL_BASE_PATH: dir } });
      try {
        const r = await postJson(`${srv.restUrl}/v1/models/pair:predict`, { instances: [{ a: [1, 2], b: [3, 4] }] });
        assert.equal(r.status, 200);
        const [first] = (r.body as { predictions: Record<string, number[]>[] }).predictions;
        assert.deepEqual(first, { sum: [4.0, 6.0], product: [3.0, 8.0] });
        const col = await postJson(`${srv.restUrl}/v1/models/pair:predict`, { inputs: { a: [[1, 1]], b: [[2, 2]] } });
        assert.deepEqual(col.body, { outputs: { sum: [[3.0, 3.0]], product: [[2.0, 2.0]] } });
      } finally {
        await srv.stop();
      }
      await stringIdentity(path.join(dir, 'strings', '1'));
      const s2 = await startServer([`--model_name=strings`, `--model_base_path=${path.join(dir, 'strings')}`], { grpc: false });
      try {
        const r = await postJson(`${s2.restUrl}/v1/models/strings:predict`, { instances: ['hello', { b64: Buffer.from('bytes').toString('base64') }] });
        assert.deepEqual([r.status, r.body], [200, { predictions: ['hello', 'bytes'] }]);
      } finally {
        await s2.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits with TensorFlow Serving\'s message when the only model cannot load', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-bad-'));
    try {
      await corruptModel(path.join(dir, '1'));
      const res = await runInferd(['serve', '--rest_api_port=0', '--port=0', `--model_base_path=${dir}`, '--max_num_load_retries=0']);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /Failed to start server\. Error: UNKNOWN: 1 servable\(s\) did not become available: \{\{name: default version: 1\} due to error: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
