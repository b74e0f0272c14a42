/**
 * Prometheus metrics end to end: `inferd serve --monitoring_config_file` with batching, scraped before and after
 * known traffic (REST and gRPC predicts, a request for an unknown model, a bad input, a burst against a tiny batch
 * queue that rejects some requests with 429), parsed with the Prometheus project's own text-format parser. Counts
 * must match the traffic exactly; histograms must have TensorFlow Serving's buckets, cumulative, +Inf = count.
 * The access log is checked on the same traffic: one line per request, request ids kept and echoed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LATENCY_BUCKETS_MICROS } from '../../src/observability/metrics.ts';
import { connect, floatTensor, type TestClients } from '../api/grpc/client.ts';
import { waitUntil } from '../server/helpers.ts';
import { mlpSavedModel } from '../support/savedmodel-models.ts';
import { parsePrometheus, PROMETHEUS_PARSER_SKIP, sampleValue, type Family } from '../support/prometheus.ts';
import { postJson, startServer, type RunningServer } from '../support/serve.ts';

// A SavedModel MLP: it runs on worker threads, so requests keep arriving (and queueing) while a batch runs, and a
// run of ~1 M multiply-adds outlasts a burst's arrival.
const MLP = { inputSize: 64, hidden: [1024, 1024], outputs: 4 };
const METRICS_PATH = '/monitoring/prometheus/metrics';
const row = (seed: number): number[] => Array.from({ length: MLP.inputSize }, (_, i) => ((seed * 31 + i * 7) % 17) / 17);

interface AccessLine { access?: boolean; requestId?: string; transport?: string; api?: string; model?: string; version?: number; signature?: string; status?: string; latencyMs?: number; requestBytes?: number; responseBytes?: number; batchSize?: number; error?: string }

function accessLines(stderr: string): AccessLine[] {
  return stderr.split('\n').filter((l) => l.includes('"access":true')).map((l) => JSON.parse(l) as AccessLine);
}

describe('metrics and access log (inferd serve --monitoring_config_file --enable_batching)', { skip: PROMETHEUS_PARSER_SKIP }, () => {
  let dir: string;
  let server: RunningServer;
  let client: TestClients;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-metrics-'));
    await mlpSavedModel(path.join(dir, 'mlp', '1'), MLP);
    await writeFile(path.join(dir, 'monitoring.txt'), 'prometheus_config { enable: true }\n');
    await writeFile(path.join(dir, 'batching.txt'), 'max_batch_size { value: 2 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 1 }\nnum_batch_threads { value: 1 }\n');
    server = await startServer([
      '--model_name=mlp', `--model_base_path=${path.join(dir, 'mlp')}`, `--monitoring_config_file=${path.join(dir, 'monitoring.txt')}`,
      '--saved_model_workers=1', '--enable_batching', `--batching_parameters_file=${path.join(dir, 'batching.txt')}`,
    ]);
    client = connect(server.grpcPort);
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<{ families: Family[]; contentType: string }> => {
    const res = await fetch(`${server.restUrl}${METRICS_PATH}`);
    assert.equal(res.status, 200);
    return { families: parsePrometheus(await res.text()), contentType: res.headers.get('content-type') ?? '' };
  };

  it('counts REST, gRPC, failed, rejected and batched requests exactly, and logs one access line each', async () => {
    const before = (await scrape()).families;
    const linesBefore = accessLines(server.stderr()).length;
    const url = `${server.restUrl}/v1/models/mlp:predict`;
    // 3 sequential REST predicts, one with an x-request-id and one with a traceparent.
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const r1 = await postJson(url, { instances: [row(1)] }, { 'x-request-id': 'req-abc-123' });
    const r2 = await postJson(url, { instances: [row(2)] }, { traceparent });
    const r3 = await postJson(url, { instances: [row(3)] });
    for (const r of [r1, r2, r3]) assert.equal(r.status, 200, r.text);
    assert.equal(r1.headers.get('x-request-id'), 'req-abc-123');
    assert.equal(r2.headers.get('x-request-id'), '0af7651916cd43dd8448eb211c80319c');
    assert.equal(r2.headers.get('traceparent'), traceparent);
    assert.match(r3.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    // 2 gRPC predicts.
    for (let i = 0; i < 2; i++) {
      await client.prediction.Predict({ model_spec: { name: 'mlp' }, inputs: { x: floatTensor(row(10 + i), [1, MLP.inputSize]) } });
    }
    // Failures: an unknown model (NOT_FOUND, counted under model_name="") and a bad input (INVALID_ARGUMENT).
    assert.equal((await postJson(`${server.restUrl}/v1/models/nope:predict`, { instances: [row(4)] })).status, 404);
    assert.equal((await postJson(url, { instances: [[1, 2]] })).status, 400);
    // A burst against a queue of 2 rows with one batch thread: some answers are 200, the others 429.
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => postJson(url, { instances: [row(100 + i)] })));
    const ok = burst.filter((r) => r.status === 200).length;
    const rejected = burst.filter((r) => r.status === 429).length;
    assert.equal(ok + rejected, 40, `unexpected statuses: ${burst.map((r) => r.status).join(',')}`);
    console.log(`# burst: ${ok} answered, ${rejected} rejected with 429`);

    const { families: after, contentType } = await scrape();
    assert.match(contentType, /^text\/plain/);
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    const count = ':tensorflow:serving:request_count_total';
    const okTotal = 3 + 2 + ok;
    assert.equal(delta(count, { model_name: 'mlp', entrypoint: 'REST', status: 'OK' }), 3 + ok);
    assert.equal(delta(count, { model_name: 'mlp', entrypoint: 'GRPC', status: 'OK' }), 2);
    assert.equal(delta(count, { model_name: '', entrypoint: 'REST', status: 'NOT_FOUND' }), 1);
    assert.equal(delta(count, { model_name: 'mlp', entrypoint: 'REST', status: 'INVALID_ARGUMENT' }), 1);
    assert.equal(delta(count, { model_name: 'mlp', entrypoint: 'REST', status: 'RESOURCE_EXHAUSTED' }), rejected);
    assert.equal(delta('inferd_requests_rejected_total', { model_name: 'mlp', entrypoint: 'REST' }), rejected);
    // Latency: every REST predict of mlp (ok, bad input, burst) and both gRPC ones.
    assert.equal(delta(':tensorflow:serving:request_latency_count', { model_name: 'mlp', API: 'predict', entrypoint: 'REST' }), 3 + 1 + 40);
    assert.equal(delta(':tensorflow:serving:request_latency_count', { model_name: 'mlp', API: 'Predict', entrypoint: 'GRPC' }), 2);
    // The runtime answered exactly the successful requests. Every request that reached the model went through the
    // batcher (1 row each, no padding): the successful ones and the bad input, which the runtime refused.
    assert.equal(delta(':tensorflow:serving:runtime_latency_count', { model_name: 'mlp' }), okTotal);
    const queued = okTotal + 1;
    assert.equal(delta(':tensorflow:serving:batching_session:input_batch_size_count', { model_name: 'mlp' }), queued);
    assert.equal(delta(':tensorflow:serving:batching_session:input_batch_size_sum', { model_name: 'mlp' }), queued);
    assert.equal(delta(':tensorflow:serving:batching_session:queuing_latency_count', { model_name: 'mlp' }), queued);
    const batches = delta(':tensorflow:serving:batching_session:processed_batch_size_count', { model_name: 'mlp' });
    assert.ok(batches >= Math.ceil(queued / 2) && batches <= queued, `batches ${batches} for ${queued} requests`);
    assert.equal(delta(':tensorflow:serving:batching_session:processed_batch_size_sum', { model_name: 'mlp' }), queued);
    assert.equal(delta('inferd_batches_total', { model_name: 'mlp' }), batches);
    assert.equal(sampleValue(after, 'inferd_requests_in_flight', { model_name: 'mlp' }), 0);
    assert.equal(sampleValue(after, 'inferd_model_version_state', { model_name: 'mlp', version: '1', state: 'AVAILABLE' }), 1);
    assert.equal(sampleValue(after, 'inferd_model_version_state', { model_name: 'mlp', version: '1', state: 'LOADING' }), 0);
    assert.equal(sampleValue(after, 'inferd_model_load_duration_seconds_count', { model_name: 'mlp' }), 1);
    assert.ok(after.some((f) => f.name === 'process_cpu_seconds'), 'process metrics');

    // Every histogram: TF Serving's buckets for latencies, cumulative, +Inf equal to _count.
    for (const family of after.filter((f) => f.type === 'histogram')) {
      const series = new Map<string, { les: number[]; values: number[]; count?: number }>();
      for (const s of family.samples) {
        const { le, ...rest } = s.labels;
        const key = JSON.stringify(rest);
        const entry = series.get(key) ?? { les: [], values: [] };
        series.set(key, entry);
        if (s.name.endsWith('_bucket')) {
          entry.les.push(le === '+Inf' ? Infinity : Number(le));
          entry.values.push(Number(s.value));
        } else if (s.name.endsWith('_count')) entry.count = Number(s.value);
      }
      for (const [key, e] of series) {
        assert.equal(e.les.at(-1), Infinity, `${family.name}${key}: last bucket is +Inf`);
        for (let i = 1; i < e.values.length; i++) {
          assert.ok((e.les[i] ?? 0) > (e.les[i - 1] ?? 0), `${family.name}${key}: le increasing`);
          assert.ok((e.values[i] ?? 0) >= (e.values[i - 1] ?? 0), `${family.name}${key}: cumulative`);
        }
        assert.equal(e.values.at(-1), e.count, `${family.name}${key}: +Inf bucket = count`);
        if (family.name.startsWith(':tensorflow:serving:') && family.name.endsWith('latency')) {
          assert.deepEqual(e.les.slice(0, -1), LATENCY_BUCKETS_MICROS.map((b) => Number(String(b))), `${family.name}: TF buckets`);
        }
      }
    }

    // Access log: one line per request above (3 + 2 + 2 + 40), with the ids, and no tensor values.
    const predictLines = () => accessLines(server.stderr()).slice(linesBefore).filter((l) => l.api === 'predict' || l.api === 'Predict');
    await waitUntil(() => predictLines().length >= 3 + 2 + 2 + 40, 'the access lines (stderr is read asynchronously)');
    const lines = predictLines();
    assert.equal(lines.length, 3 + 2 + 2 + 40);
    const first = lines.find((l) => l.requestId === 'req-abc-123');
    assert.ok(first, 'the x-request-id is logged');
    assert.equal(first.transport, 'REST');
    assert.equal(first.model, 'mlp');
    assert.equal(first.version, 1);
    assert.equal(first.signature, 'serving_default');
    assert.equal(first.status, 'OK');
    assert.equal(first.batchSize, 1);
    assert.ok(typeof first.latencyMs === 'number' && first.latencyMs >= 0);
    assert.ok((first.requestBytes ?? 0) > 0 && (first.responseBytes ?? 0) > 0);
    assert.ok(lines.some((l) => l.requestId === '0af7651916cd43dd8448eb211c80319c'), 'the traceparent trace id is logged');
    assert.equal(lines.filter((l) => l.transport === 'GRPC' && l.status === 'OK' && l.model === 'mlp' && l.version === 1).length, 2);
    assert.equal(lines.filter((l) => l.status === 'RESOURCE_EXHAUSTED' && /queue/.test(l.error ?? '')).length, rejected);
    assert.ok(lines.some((l) => l.status === 'NOT_FOUND' && l.model === 'nope' && /nope/.test(l.error ?? '')));
    const text = accessLines(server.stderr()).map((l) => JSON.stringify(l)).join('\n');
    assert.ok(!text.includes(String(row(1)[1])), 'no tensor values in the access log');
  });

  it('names REST status and metadata calls in the access log as gRPC names them', async () => {
    for (const [path, id] of [['/v1/models/mlp', 'rest-status-1'], ['/v1/models/mlp/metadata', 'rest-metadata-1']] as const) {
      const res = await fetch(`${server.restUrl}${path}`, { headers: { 'x-request-id': id } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    await waitUntil(() => ['rest-status-1', 'rest-metadata-1'].every((id) => accessLines(server.stderr()).some((l) => l.requestId === id)), 'the REST access lines');
    const byId = (id: string) => accessLines(server.stderr()).find((l) => l.requestId === id);
    assert.equal(byId('rest-status-1')?.api, 'GetModelStatus');
    assert.equal(byId('rest-metadata-1')?.api, 'GetModelMetadata');
    assert.equal(byId('rest-status-1')?.transport, 'REST');
  });

  it('keeps and echoes x-request-id over gRPC', async () => {
    const { Metadata } = await import('@grpc/grpc-js');
    const md = new Metadata();
    md.set('x-request-id', 'grpc-id-42');
    const echoed = await new Promise<string>((resolve, reject) => {
      const raw = client.prediction.raw as unknown as {
        GetModelMetadata: (req: unknown, md: unknown, cb: (err: Error | null) => void) => { on: (e: string, f: (m: { get: (k: string) => unknown[] }) => void) => void };
      };
      let id = '';
      const call = raw.GetModelMetadata({ model_spec: { name: 'mlp' }, metadata_field: ['signature_def'] }, md, (err) => (err ? reject(err) : resolve(id)));
      call.on('metadata', (m) => { id = String(m.get('x-request-id')[0]); });
    });
    await waitUntil(() => accessLines(server.stderr()).some((l) => l.requestId === 'grpc-id-42'), 'the gRPC access line');
    assert.equal(echoed, 'grpc-id-42');
    const line = accessLines(server.stderr()).find((l) => l.requestId === 'grpc-id-42');
    assert.ok(line, 'logged');
    assert.equal(line.transport, 'GRPC');
    assert.equal(line.api, 'GetModelMetadata');
    assert.equal(line.version, 1);
  });
});
