/**
 * Open Inference Protocol beside TensorFlow Serving's API, one `inferd serve`, same run, contenders interleaved round
 * by round so machine noise hits them alike, on two models built here:
 * - `mlp`: the bench MLP (784 → 1024 → 1024 → 10, batch 1), where the model's compute dominates;
 * - `image`: a payload-bound model, a 1×224×224×3 float32 image in, its per-channel mean out (one ReduceMean: the
 *   request's 150528 floats are almost all the work), as an image classifier's request would be.
 * Contenders per model:
 * - `TFS REST JSON`: `POST /v1/models/<m>:predict`, `{"instances": …}` as a Python client writes it
 *   (`json.dumps(x.tolist())` of float32 data: 17-digit floats);
 * - `OIP REST JSON`: `POST /v2/models/<m>/infer`, the same floats as flat `data` (what tritonclient's JSON mode sends);
 * - `OIP REST binary`: the binary tensor extension both ways;
 * - `TFS gRPC tensor_content`: `PredictionService/Predict`, input as tensor_content;
 * - `OIP gRPC raw`: `GRPCInferenceService/ModelInfer` with raw_input_contents (raw_output_contents back).
 * Clients are closed loops with prebuilt requests (node:http keep-alive; gRPC spoken on node:http2 directly, the
 * cheap client of bench/load-grpc.ts), so the numbers reflect the server. Reports req/s, p50 and the server's CPU
 * per request (/proc), and the ratios.
 * Usage: `tsx bench/oip.ts [--seconds 3] [--rounds 2] [--concurrency 1,8] [--models mlp,image]`.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { writeModel } from '../test/support/onnx-builder.ts';
import { protoTypes } from '../src/api/grpc/protos.ts';
import { encodePredict } from './load-grpc.ts';
import { treeCpuMicros } from './proc-stat.ts';
import { buildModels, MODEL_NAMES } from './models.ts';
import { mlpRow, pythonList } from './payloads.ts';
import { startInferd } from './processes.ts';
import { LatencyRecorder, type LoadResult } from './results.ts';

type Send = () => Promise<void>;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function restSender(url: string, body: Buffer, headers: Record<string, string>, agent: http.Agent): Send {
  const u = new URL(url);
  return () => new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function grpcSender(session: http2.ClientHttp2Session, path: string, message: Buffer): Send {
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return () => new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('data', () => {});
    let status: string | undefined;
    stream.on('trailers', (t) => (status = String(t['grpc-status'])));
    stream.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    stream.on('end', () => (status === '0' ? resolve() : reject(new Error(`grpc-status ${status}`))));
    stream.on('error', reject);
    stream.end(framed);
  });
}

async function closedLoop(send: Send, concurrency: number, seconds: number, recorder: LatencyRecorder | null): Promise<number> {
  const start = performance.now();
  const until = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await send();
        recorder?.ok(performance.now() - t0);
      } catch {
        recorder?.error();
      }
    }
  }));
  return (performance.now() - start) / 1000;
}

/** The payload-bound model's input shape (one 224×224 RGB image, float32). */
const IMAGE_SHAPE: readonly number[] = [1, 224, 224, 3];

/** Write the `image` model (x [batch, 224, 224, 3] → y = ReduceMean over H and W, [batch, 3]) under `root`. */
async function buildImageModel(root: string): Promise<string> {
  const base = join(root, 'image');
  await writeModel(join(base, '1', 'model.onnx'), {
    name: 'image_channel_mean',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 224, 224, 3] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 3] }],
    nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attributes: { axes: { ints: [1, 2] }, keepdims: { i: 0 } } }],
  });
  return base;
}

/** Deterministic pixel values k/255 as float32 (k cycling through 0..255 in a scrambled order). */
function imageValues(): Float32Array {
  const n = IMAGE_SHAPE.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 7919) % 256) / 255;
  return out;
}

/** Python's `json.dumps(x.tolist())` of float32 data of `shape` (nested lists, `, ` separators, 17-digit floats). */
function pythonNested(values: Float32Array, shape: readonly number[]): string {
  if (shape.length <= 1) return pythonList(values);
  const [outer, ...inner] = shape as [number, ...number[]];
  const step = values.length / outer;
  const parts: string[] = [];
  for (let i = 0; i < outer; i++) parts.push(pythonNested(values.subarray(i * step, (i + 1) * step), inner));
  return `[${parts.join(', ')}]`;
}

/** The five contenders' prebuilt requests for one model with one float32 input `x`. */
function contendersFor(
  model: string, values: Float32Array, shape: readonly number[], restUrl: string, agent: http.Agent, session: http2.ClientHttp2Session,
): [string, Send][] {
  const raw = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const tfsJson = Buffer.from(`{"instances": ${pythonNested(values, shape)}}`);
  const oipJson = Buffer.from(`{"inputs": [{"name": "x", "shape": ${JSON.stringify(shape).replaceAll(',', ', ')}, "datatype": "FP32", "data": ${pythonList(values)}}]}`);
  const oipHeader = Buffer.from(JSON.stringify({
    inputs: [{ name: 'x', shape, datatype: 'FP32', parameters: { binary_data_size: raw.length } }], parameters: { binary_data_output: true },
  }));
  const ModelInferRequest = protoTypes().root.lookupType('inference.ModelInferRequest');
  const modelInfer = Buffer.from(ModelInferRequest.encode({
    model_name: model, inputs: [{ name: 'x', datatype: 'FP32', shape: [...shape] }], raw_input_contents: [raw],
  }).finish());
  const json = { 'content-type': 'application/json' };
  return [
    ['TFS REST JSON', restSender(`${restUrl}/v1/models/${model}:predict`, tfsJson, json, agent)],
    ['OIP REST JSON', restSender(`${restUrl}/v2/models/${model}/infer`, oipJson, json, agent)],
    ['OIP REST binary', restSender(`${restUrl}/v2/models/${model}/infer`, Buffer.concat([oipHeader, raw]), {
      'content-type': 'application/octet-stream', 'inference-header-content-length': String(oipHeader.length),
    }, agent)],
    ['TFS gRPC tensor_content', grpcSender(session, '/tensorflow.serving.PredictionService/Predict', encodePredict(model, 'x', values, shape, 'tensor_content'))],
    ['OIP gRPC raw', grpcSender(session, '/inference.GRPCInferenceService/ModelInfer', modelInfer)],
  ];
}

/** Ratios reported per model and concurrency: numerator / denominator. */
const RATIOS = [
  ['OIP REST binary', 'TFS REST JSON'], ['OIP REST binary', 'OIP REST JSON'], ['OIP REST JSON', 'TFS REST JSON'],
  ['OIP gRPC raw', 'TFS gRPC tensor_content'], ['OIP gRPC raw', 'TFS REST JSON'],
] as const;

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '3'));
  const rounds = Number(arg('rounds', '2'));
  const levels = arg('concurrency', '1,8').split(',').map(Number);
  const modelNames = arg('models', 'mlp,image').split(',');
  const models = await buildModels();
  const imageBase = await buildImageModel(models.root);
  const configFile = join(models.root, 'oip-bench.config');
  await writeFile(configFile, `model_config_list {
  config { name: "${MODEL_NAMES.mlp}" base_path: "${models.mlpBase}" model_platform: "onnx" }
  config { name: "image" base_path: "${imageBase}" model_platform: "onnx" }
}
`);
  const server = await startInferd({ args: [`--model_config_file=${configFile}`] });
  const pid = server.child.pid!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const session = http2.connect(`http://127.0.0.1:${server.grpcPort}`);
  try {
    const inputs: Record<string, { values: Float32Array; shape: readonly number[] }> = {
      mlp: { values: mlpRow(), shape: [1, 784] },
      image: { values: imageValues(), shape: IMAGE_SHAPE },
    };
    const contenders: { model: string; name: string; send: Send }[] = [];
    for (const model of modelNames) {
      const input = inputs[model];
      if (!input) throw new Error(`unknown model ${model} (mlp, image)`);
      for (const [name, send] of contendersFor(model, input.values, input.shape, server.restUrl, agent, session)) contenders.push({ model, name, send });
    }
    for (const { send } of contenders) await send(); // every path answers 200/OK before measuring
    const load0 = loadavg();
    const results = new Map<string, { ok: number; seconds: number; cpu: number; errors: number }>();
    for (let r = 0; r < rounds; r++) {
      for (const c of levels) {
        for (const { model, name, send } of contenders) {
          await closedLoop(send, c, 0.5, null);
          const recorder = new LatencyRecorder();
          const cpu0 = treeCpuMicros(pid);
          const secs = await closedLoop(send, c, seconds, recorder);
          const cpu = treeCpuMicros(pid) - cpu0;
          const res: LoadResult = recorder.result(name, model, c, secs);
          const key = `${model}@${name}@${c}`;
          const acc = results.get(key) ?? { ok: 0, seconds: 0, cpu: 0, errors: 0 };
          acc.ok += res.ok;
          acc.seconds += secs;
          acc.cpu += cpu;
          acc.errors += res.errors;
          results.set(key, acc);
          process.stderr.write(`round ${r + 1} ${model} c=${c} ${name}: ${res.rps.toFixed(0)} req/s p50 ${res.p50.toFixed(2)} ms cpu ${(cpu / Math.max(1, res.ok)).toFixed(0)} µs/req errors ${res.errors}\n`);
        }
      }
    }
    const load1 = loadavg();
    const rows = [...results.entries()].map(([key, a]) => {
      const [model, name, c] = key.split('@') as [string, string, string];
      return { model, name, c: Number(c), rps: a.ok / a.seconds, cpuUs: a.cpu / Math.max(1, a.ok), errors: a.errors };
    });
    const get = (model: string, name: string, c: number) => rows.find((x) => x.model === model && x.name === name && x.c === c)!;
    const lines = ['| model | contender | c | req/s | server CPU µs/req | errors |', '|---|---|---|---|---|---|'];
    for (const x of rows) lines.push(`| ${x.model} | ${x.name} | ${x.c} | ${x.rps.toFixed(1)} | ${x.cpuUs.toFixed(0)} | ${x.errors} |`);
    lines.push('', '| model | ratio | c | req/s | CPU/req |', '|---|---|---|---|---|');
    for (const model of modelNames) {
      for (const c of levels) {
        for (const [a, b] of RATIOS) {
          lines.push(`| ${model} | ${a} / ${b} | ${c} | ${(get(model, a, c).rps / get(model, b, c).rps).toFixed(2)}× | ${(get(model, a, c).cpuUs / get(model, b, c).cpuUs).toFixed(2)}× |`);
        }
      }
    }
    lines.push('', `load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}; ${rounds} rounds × ${seconds} s per contender and concurrency`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    session.close();
    agent.destroy();
    await server.stop();
    await rm(models.root, { recursive: true, force: true });
  }
}

await main();
