/**
 * inferd as a drop-in for the tensorflow_model_server binary: flags without a subcommand serve, `--version` in its
 * forms prints the two version lines, tensorflow_model_server flags inferd does not act on start up with a
 * warning, and TensorFlow Serving's own testPrometheusEndpoint (tensorflow_model_server_test.py: serve the
 * half_plus_two fixture with the fixture monitoring config, GET the metrics path, expect `# TYPE`) passes.
 * `--enable_model_warmup` / `--num_request_iterations_for_warmup` act: the version's warmup file is replayed, logged
 * and measured in `:tensorflow:serving:model_warmup_latency`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { halfPlusTwo } from '../support/models.ts';
import { floatTensorProto, predictionLog, writeWarmupFile } from '../support/tfrecord.ts';
import { postJson, runInferd, SHARED_FIXTURES, startServer, type RunningServer } from '../support/serve.ts';

describe('inferd --version', () => {
  for (const args of [['--version'], ['--version=true'], ['serve', '--version'], ['--port=8500', '--version']]) {
    it(`inferd ${args.join(' ')} prints tensorflow_model_server's version lines`, async () => {
      const res = await runInferd(args);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^TensorFlow ModelServer: inferd \d+\.\d+\.\d+\nTensorFlow Library: .+\n$/);
    });
  }
});

describe('inferd --port=… --rest_api_port=… --model_name=… --model_base_path=… (no subcommand)', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-tfms-'));
    await halfPlusTwo(path.join(dir, 'm', '1'));
    writeWarmupFile(path.join(dir, 'm', '1'), [predictionLog('predict_log', { model_spec: { name: 'm' }, inputs: { x: floatTensorProto([1, 2], [2]) } })]);
    await writeFile(path.join(dir, 'monitoring.config'), 'prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }\n');
    server = await startServer([
      '--model_name=m', `--model_base_path=${path.join(dir, 'm')}`, `--monitoring_config_file=${path.join(dir, 'monitoring.config')}`,
      '--xla_gpu_compilation_enabled=true', '--platform_config_file=/nonexistent/platform.config', '--tensorflow_session_config_file=/x',
      '--mixed_precision=bfloat16', '--tflite_num_threads=4', '--use_alts_credentials=false', '--enable_model_warmup=true',
      '--num_request_iterations_for_warmup=2', '--enable_batching',
    ], { noSubcommand: true });
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves, and warns once for each flag that has no effect', async () => {
    const res = await postJson(`${server.restUrl}/v1/models/m:predict`, { instances: [1, 2] });
    assert.deepEqual(res.body, { predictions: [2.5, 3] });
    for (const flag of ['xla_gpu_compilation_enabled', 'platform_config_file', 'tensorflow_session_config_file', 'mixed_precision', 'tflite_num_threads', 'use_alts_credentials']) {
      assert.match(server.stderr(), new RegExp(`--${flag} has no effect in inferd`), flag);
    }
    assert.doesNotMatch(server.stderr(), /--(enable_model_warmup|num_request_iterations_for_warmup) has no effect/);
  });

  it('replays the version\'s warmup file before serving, logs it and measures it', async () => {
    assert.match(server.stderr(), /Finished reading warmup data for model at .*tf_serving_warmup_requests\. Number of warmup records read: 1\./);
    assert.match(server.stderr(), /"iterations":2/);
    const metrics = await (await fetch(`${server.restUrl}/monitoring/prometheus/metrics`)).text();
    const modelPath = JSON.stringify(path.join(dir, 'm', '1'));
    assert.ok(metrics.includes(`:tensorflow:serving:model_warmup_latency_count{model_path=${modelPath},status="OK"} 1`), metrics);
    // Warmup runs through the batcher, as TF Serving warms its batching session: 2 iterations of the record, at least.
    const batched = /^:tensorflow:serving:batching_session:input_batch_size_count\{model_name="m"\} (\d+)$/m.exec(metrics);
    assert.ok(Number(batched?.[1]) >= 2, `batched warmup runs: ${batched?.[0]}`);
  });

  it('a damaged warmup file stops start-up naming it; --enable_model_warmup=false does not read it', async () => {
    const base = path.join(dir, 'damaged');
    await halfPlusTwo(path.join(base, '1'));
    const file = writeWarmupFile(path.join(base, '1'), Buffer.from('not a TFRecord file'));
    const failed = await runInferd(['--port=0', '--rest_api_port=0', '--model_name=d', `--model_base_path=${base}`, '--max_num_load_retries=0']);
    assert.equal(failed.code, 1);
    assert.ok(failed.stderr.includes(`Failed to start server. Error: UNKNOWN: 1 servable(s) did not become available`), failed.stderr);
    assert.ok(failed.stderr.includes(`DATA_LOSS: Warmup file ${file}: record 0: `), failed.stderr);
    const off = await startServer(['--model_name=d', `--model_base_path=${base}`, '--enable_model_warmup=false']);
    try {
      const res = await postJson(`${off.restUrl}/v1/models/d:predict`, { instances: [2] });
      assert.deepEqual(res.body, { predictions: [3] });
      assert.doesNotMatch(off.stderr(), /warmup data/);
    } finally {
      await off.stop();
    }
  });

  it('still rejects a flag tensorflow_model_server does not have', async () => {
    const res = await runInferd(['--port=0', '--no_such_flag=1']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /unknown option '--no_such_flag=1'/);
  });
});

const FIXTURE = path.join(SHARED_FIXTURES, 'saved_model_half_plus_two_cpu');
const MONITORING = path.join(SHARED_FIXTURES, 'monitoring_config.txt');
describe('TensorFlow Serving testPrometheusEndpoint', { skip: existsSync(FIXTURE) && existsSync(MONITORING) ? false : 'shared fixtures absent' }, () => {
  it('serves `# TYPE` lines at /monitoring/prometheus/metrics', async () => {
    const server = await startServer(['--model_name=default', `--model_base_path=${FIXTURE}`, `--monitoring_config_file=${MONITORING}`], { noSubcommand: true });
    try {
      const res = await fetch(`${server.restUrl}/monitoring/prometheus/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.ok(text.includes('# TYPE'), 'metric type information');
      assert.ok(text.includes('# TYPE :tensorflow:serving:request_count counter'));
    } finally {
      await server.stop();
    }
  });
});
