// Open Inference Protocol requests reach the request recorder on both transports, end to end through
// `inferd serve --monitoring_config_file`: Prometheus counters and latency histograms move by exactly the OIP traffic
// sent (gRPC ModelInfer under entrypoint GRPC / API ModelInfer, REST infer under REST / infer; failures under their
// canonical status, an unknown model under model_name=""), OIP carries no tf.Examples so the example counts stay
// put, every request gets one access-log line with its request id (x-request-id kept, else traceparent's trace id;
// echoed in gRPC response metadata and REST headers), and the dashboard's live stats count the inferences.
// The gRPC client is generated from the official open_inference_grpc.proto; metrics are parsed with the
// Prometheus project's parser.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { waitUntil } from '../server/helpers.ts';
import { halfPlusTwo } from '../support/models.ts';
import { parsePrometheus, PROMETHEUS_PARSER_SKIP, sampleValue, type Family } from '../support/prometheus.ts';
import { getJson, postJson, startServer, type RunningServer } from '../support/serve.ts';
import { OFFICIAL_PROTO } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = Record<string, any>;

const METRICS_PATH = '/monitoring/prometheus/metrics';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

interface AccessLine { access?: boolean; requestId?: string; transport?: string; api?: string; model?: string; version?: number; signature?: string; status?: string; requestBytes?: number; responseBytes?: number; error?: string }

function accessLines(stderr: string): AccessLine[] {
  return stderr.split('\n').filter((l) => l.includes('"access":true')).map((l) => JSON.parse(l) as AccessLine);
}

const definition = protoLoader.loadSync(OFFICIAL_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Service = (grpc.loadPackageDefinition(definition) as any).inference.GRPCInferenceService as typeof grpc.Client;

describe('OIP requests in metrics, access log and live stats (inferd serve)', { skip: PROMETHEUS_PARSER_SKIP }, () => {
  let dir: string;
  let server: RunningServer;
  let client: grpc.Client;

  /** One unary call with request metadata; resolves with the answer (or the error) and the response metadata. */
  const call = (method: string, request: Msg, headers: Record<string, string> = {}) =>
    new Promise<{ err: grpc.ServiceError | null; res?: Msg; md: grpc.Metadata }>((resolve) => {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(headers)) md.set(k, v);
      let received = new grpc.Metadata();
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const c = (client as any)[method](request, md, (err: grpc.ServiceError | null, res: Msg) => resolve({ err, res, md: received }));
      c.on('metadata', (m: grpc.Metadata) => { received = m; });
    });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-oip-obs-'));
    await halfPlusTwo(path.join(dir, 'half', '3'), ['batch', 1]);
    await writeFile(path.join(dir, 'monitoring.txt'), 'prometheus_config { enable: true }\n');
    server = await startServer(['--model_name=half', `--model_base_path=${path.join(dir, 'half')}`, `--monitoring_config_file=${path.join(dir, 'monitoring.txt')}`]);
    client = new Service(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<Family[]> => {
    const res = await fetch(`${server.restUrl}${METRICS_PATH}`);
    assert.equal(res.status, 200);
    return parsePrometheus(await res.text());
  };
  const liveTotal = async (): Promise<{ requests: number; errors: number }> => {
    const { status, body } = await getJson(`${server.restUrl}/dashboard/api/stats?seconds=120`);
    assert.equal(status, 200);
    const seconds = (body as { models: Record<string, { requests: number; errors: number }[]> }).models['half'] ?? [];
    return { requests: seconds.reduce((n, s) => n + s.requests, 0), errors: seconds.reduce((n, s) => n + s.errors, 0) };
  };

  it('counts OIP gRPC and REST inferences exactly, logs one line per request with its id, feeds the live stats', async () => {
    const before = await scrape();
    const liveBefore = await liveTotal();
    const linesBefore = accessLines(server.stderr()).length;
    const typed = (over: Msg = {}) => ({ model_name: 'half', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], contents: { fp32_contents: [2, 6] } }], ...over });

    // gRPC: three successes (typed with an x-request-id, typed with a traceparent, raw with neither).
    const ok1 = await call('ModelInfer', typed({ id: 'one' }), { 'x-request-id': 'oip-grpc-1' });
    assert.equal(ok1.err, null);
    assert.deepEqual(ok1.res?.outputs[0].contents.fp32_contents, [3, 5]);
    assert.equal(ok1.md.get('x-request-id')[0], 'oip-grpc-1');
    const ok2 = await call('ModelInfer', typed(), { traceparent: TRACEPARENT });
    assert.equal(ok2.err, null);
    assert.equal(ok2.md.get('x-request-id')[0], TRACE_ID);
    assert.equal(ok2.md.get('traceparent')[0], TRACEPARENT);
    const raw = Buffer.alloc(4);
    raw.writeFloatLE(4);
    const ok3 = await call('ModelInfer', { model_name: 'half', model_version: '3', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1] }], raw_input_contents: [raw] });
    assert.equal(ok3.err, null);
    assert.equal(Buffer.from(ok3.res?.raw_output_contents[0]).readFloatLE(0), 4);
    assert.match(String(ok3.md.get('x-request-id')[0]), /^[0-9a-f-]{36}$/);
    // gRPC failures: a wrong datatype (INVALID_ARGUMENT), an unknown model (NOT_FOUND, counted under model_name="").
    const bad = await call('ModelInfer', typed({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 1], contents: { int_contents: [1] } }] }), { 'x-request-id': 'oip-grpc-bad' });
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    const unknown = await call('ModelInfer', typed({ model_name: 'nope' }), { 'x-request-id': 'oip-grpc-nope' });
    assert.equal(unknown.err?.code, grpc.status.NOT_FOUND);
    // A metadata RPC: access-logged, not an inference.
    const md = await call('ModelMetadata', { name: 'half' }, { 'x-request-id': 'oip-grpc-md' });
    assert.equal(md.err, null);
    // REST: one success and one failure.
    const rest = await postJson(`${server.restUrl}/v2/models/half/infer`, { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [8] }] }, { 'x-request-id': 'oip-rest-1' });
    assert.equal(rest.status, 200, rest.text);
    assert.equal(rest.headers.get('x-request-id'), 'oip-rest-1');
    const restBad = await postJson(`${server.restUrl}/v2/models/half/infer`, { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1, 2] }] }, { traceparent: TRACEPARENT });
    assert.equal(restBad.status, 400, restBad.text);
    assert.equal(restBad.headers.get('x-request-id'), TRACE_ID);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    const count = ':tensorflow:serving:request_count_total';
    const latency = ':tensorflow:serving:request_latency_count';
    assert.equal(delta(count, { model_name: 'half', entrypoint: 'GRPC', status: 'OK' }), 3);
    assert.equal(delta(count, { model_name: 'half', entrypoint: 'GRPC', status: 'INVALID_ARGUMENT' }), 1);
    assert.equal(delta(count, { model_name: '', entrypoint: 'GRPC', status: 'NOT_FOUND' }), 1);
    assert.equal(delta(count, { model_name: 'half', entrypoint: 'REST', status: 'OK' }), 1);
    assert.equal(delta(count, { model_name: 'half', entrypoint: 'REST', status: 'INVALID_ARGUMENT' }), 1);
    assert.equal(delta(count, {}), 3 + 1 + 1 + 1 + 1, 'the metadata RPC is not a request_count');
    assert.equal(delta(latency, { model_name: 'half', API: 'ModelInfer', entrypoint: 'GRPC' }), 4);
    assert.equal(delta(latency, { model_name: '', API: 'ModelInfer', entrypoint: 'GRPC' }), 1);
    assert.equal(delta(latency, { model_name: 'half', API: 'infer', entrypoint: 'REST' }), 2);
    // The runtime answered the four successful inferences (the bad REST input was refused before any run).
    assert.equal(delta(':tensorflow:serving:runtime_latency_count', { model_name: 'half', API: 'ModelInfer' }), 3);
    assert.equal(delta(':tensorflow:serving:runtime_latency_count', { model_name: 'half', API: 'infer' }), 1);
    // OIP requests carry tensors, not tf.Examples.
    assert.equal(delta(':tensorflow:serving:request_example_counts_count', {}), 0);
    assert.equal(delta(':tensorflow:serving:request_example_count_total', {}), 0);
    assert.equal(sampleValue(after, 'inferd_requests_in_flight', { model_name: 'half' }), 0);

    // Live stats of `half`: its six inferences (the unknown model's is not `half`'s), two of them failed (the bad gRPC
    // datatype and the bad REST input).
    const live = await liveTotal();
    assert.equal(live.requests - liveBefore.requests, 3 + 1 + 1 + 1);
    assert.equal(live.errors - liveBefore.errors, 2);

    // Access log: one line per request above (5 gRPC infers, 1 gRPC metadata, 2 REST infers).
    const lines = () => accessLines(server.stderr()).slice(linesBefore);
    await waitUntil(() => lines().length >= 8, 'the access lines (stderr is read asynchronously)');
    const all = lines();
    assert.equal(all.length, 8, JSON.stringify(all));
    const byId = (id: string) => {
      const found = all.filter((l) => l.requestId === id);
      assert.equal(found.length, 1, `one line for ${id}`);
      return found[0] as AccessLine;
    };
    const first = byId('oip-grpc-1');
    assert.deepEqual([first.transport, first.api, first.model, first.version, first.signature, first.status], ['GRPC', 'ModelInfer', 'half', 3, 'serving_default', 'OK']);
    assert.ok((first.requestBytes ?? 0) > 0 && (first.responseBytes ?? 0) > 0, 'message sizes');
    assert.deepEqual(all.filter((l) => l.requestId === TRACE_ID).map((l) => [l.transport, l.status]).sort(), [['GRPC', 'OK'], ['REST', 'INVALID_ARGUMENT']]);
    const badLine = byId('oip-grpc-bad');
    assert.deepEqual([badLine.status, badLine.model], ['INVALID_ARGUMENT', 'half']);
    assert.match(badLine.error ?? '', /unexpected datatype INT32/);
    const nope = byId('oip-grpc-nope');
    assert.deepEqual([nope.status, nope.model], ['NOT_FOUND', 'nope']);
    const mdLine = byId('oip-grpc-md');
    assert.deepEqual([mdLine.transport, mdLine.api, mdLine.model, mdLine.status], ['GRPC', 'ModelMetadata', 'half', 'OK']);
    const restLine = byId('oip-rest-1');
    assert.deepEqual([restLine.transport, restLine.api, restLine.model, restLine.version, restLine.signature, restLine.status], ['REST', 'infer', 'half', 3, 'serving_default', 'OK']);
    assert.ok((restLine.responseBytes ?? 0) > 0);
  });
});
