/**
 * The image's entrypoint (deploy/docker/tf_serving_entrypoint.sh) run directly in a simulated /models layout, with
 * tensorflow/serving's conventions: MODEL_NAME + MODEL_BASE_PATH pick the model, extra arguments are appended (a later
 * flag wins, as the tests' own ports show), --model_config_file replaces the single model, and SIGTERM to the
 * process the script exec'd drains and exits 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { halfPlusTwo } from '../support/models.ts';
import { freePort, getJson, postJson, REPO_ROOT } from '../support/serve.ts';

const ENTRYPOINT = path.join(REPO_ROOT, 'deploy', 'docker', 'tf_serving_entrypoint.sh');

async function runEntrypoint(env: Record<string, string>, extra: string[]): Promise<{ rest: number; stop: () => Promise<number | null>; stderr: () => string }> {
  const [rest, grpc] = [await freePort(), await freePort()];
  const child = spawn('sh', [ENTRYPOINT, '--processes=1', '--host=127.0.0.1', `--port=${grpc}`, `--rest_api_port=${rest}`, ...extra], {
    env: { ...process.env, INFERD_RUN_SOURCES: '1', INFERD_BIN: path.join(REPO_ROOT, 'bin', 'inferd.js'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"event":"listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`entrypoint exited ${code}: ${stderr}`)));
  });
  return {
    rest,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM'); // the script exec'd node: this is the server itself
      return exited;
    },
  };
}

describe('tf_serving_entrypoint.sh (the image entrypoint) in a simulated /models', () => {
  let models: string;
  before(async () => {
    models = await mkdtemp(path.join(os.tmpdir(), 'inferd-models-'));
    await halfPlusTwo(path.join(models, 'model', '1'));
    await halfPlusTwo(path.join(models, 'half_plus_two', '1'));
    await writeFile(path.join(models, 'models.config'), `model_config_list { config { name: "a" base_path: "${path.join(models, 'half_plus_two')}" } config { name: "b" base_path: "${path.join(models, 'model')}" } }\n`);
  });
  after(() => rm(models, { recursive: true, force: true }));

  it('serves ${MODEL_BASE_PATH}/${MODEL_NAME}, MODEL_NAME defaulting to model; SIGTERM exits 0', async () => {
    for (const env of [{ MODEL_BASE_PATH: models, MODEL_NAME: 'half_plus_two' }, { MODEL_BASE_PATH: models }]) {
      const name = env.MODEL_NAME ?? 'model';
      const s = await runEntrypoint(env, []);
      try {
        const res = await postJson(`http://127.0.0.1:${s.rest}/v1/models/${name}:predict`, { instances: [1, 2, 5] });
        assert.deepEqual(res.body, { predictions: [2.5, 3, 4.5] });
        assert.equal((await getJson(`http://127.0.0.1:${s.rest}/v2/health/ready`)).status, 200);
      } finally {
        assert.equal(await s.stop(), 0, s.stderr());
      }
    }
  });

  it('accepts --model_config_file among the extra arguments instead of the single model', async () => {
    const s = await runEntrypoint({ MODEL_BASE_PATH: models }, [`--model_config_file=${path.join(models, 'models.config')}`]);
    try {
      for (const name of ['a', 'b']) {
        const res = await postJson(`http://127.0.0.1:${s.rest}/v1/models/${name}:predict`, { instances: [2] });
        assert.deepEqual(res.body, { predictions: [3] });
      }
    } finally {
      assert.equal(await s.stop(), 0, s.stderr());
    }
  });
});
