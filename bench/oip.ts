/**
 * Open Inference Protocol beside TensorFlow Serving's API on the bench MLP (784 → 1024 → 1024 → 10, batch 1), one
 * `inferd serve`, same run, contenders interleaved round by round so machine noise hits them alike:
 * - `TFS REST JSON`: `POST /v1/models/mlp:predict` with the bench's row body (bench/payloads.ts);
 * - `OIP REST JSON`: `POST /v2/models/mlp/infer`, the same numbers as `data`;
 * - `OIP REST binary`: the binary tensor extension both ways (3136 raw bytes in, 40 out);
 * - `TFS gRPC tensor_content`: `PredictionService/Predict`, input as tensor_content;
 * - `OIP gRPC raw`: `GRPCInferenceService/ModelInfer` with raw_input_contents (raw_output_contents back).
 * Clients are closed loops with prebuilt requests (node:http keep-alive; gRPC spoken on node:http2 directly, the
 * cheap client of bench/load-grpc.ts), so the numbers reflect the server. Reports req/s, p50 and the server's CPU
 * per request (/proc), and the ratios. Usage: `tsx bench/oip.ts [--seconds 3] [--rounds 2] [--concurrency 1,8]`.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { protoTypes } from '../src/api/grpc/protos.ts';
import { encodePredict } from './load-grpc.ts';
import { processCpuMicros } from './proc-stat.ts';
import { buildModels, MODEL_NAMES } from './models.ts';
import { mlpRow, mlpRowValues, REST_BODIES } from './payloads.ts';
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

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '3'));
  const rounds = Number(arg('rounds', '2'));
  const levels = arg('concurrency', '1,8').split(',').map(Number);
  const models = await buildModels();
  const server = await startInferd({ args: [`--model_config_file=${models.configFile}`] });
  const pid = server.child.pid!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const session = http2.connect(`http://127.0.0.1:${server.grpcPort}`);
  try {
    const row = mlpRow();
    const raw = Buffer.from(row.buffer, row.byteOffset, row.byteLength);
    const oipJson = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: mlpRowValues() }] }));
    const oipHeader = Buffer.from(JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', parameters: { binary_data_size: raw.length } }], parameters: { binary_data_output: true },
    }));
    const root = protoTypes().root;
    const ModelInferRequest = root.lookupType('inference.ModelInferRequest');
    const modelInfer = Buffer.from(ModelInferRequest.encode({
      model_name: MODEL_NAMES.mlp, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 784] }], raw_input_contents: [raw],
    }).finish());
    const contenders: [string, Send][] = [
      ['TFS REST JSON', restSender(`${server.restUrl}/v1/models/mlp:predict`, Buffer.from(REST_BODIES.mlp), { 'content-type': 'application/json' }, agent)],
      ['OIP REST JSON', restSender(`${server.restUrl}/v2/models/mlp/infer`, oipJson, { 'content-type': 'application/json' }, agent)],
      ['OIP REST binary', restSender(`${server.restUrl}/v2/models/mlp/infer`, Buffer.concat([oipHeader, raw]), {
        'content-type': 'application/octet-stream', 'inference-header-content-length': String(oipHeader.length),
      }, agent)],
      ['TFS gRPC tensor_content', grpcSender(session, '/tensorflow.serving.PredictionService/Predict', encodePredict(MODEL_NAMES.mlp, 'x', row, [1, 784], 'tensor_content'))],
      ['OIP gRPC raw', grpcSender(session, '/inference.GRPCInferenceService/ModelInfer', modelInfer)],
    ];
    for (const [, send] of contenders) await send(); // every path answers 200/OK before measuring
    const load0 = loadavg();
    const results = new Map<string, { ok: number; seconds: number; cpu: number; lat: LatencyRecorder; errors: number }>();
    for (let r = 0; r < rounds; r++) {
      for (const c of levels) {
        for (const [name, send] of contenders) {
          await closedLoop(send, c, 0.5, null);
          const recorder = new LatencyRecorder();
          const cpu0 = processCpuMicros(pid);
          const secs = await closedLoop(send, c, seconds, recorder);
          const cpu = processCpuMicros(pid) - cpu0;
          const res: LoadResult = recorder.result(name, 'mlp', c, secs);
          const key = `${name}@${c}`;
          const acc = results.get(key) ?? { ok: 0, seconds: 0, cpu: 0, lat: new LatencyRecorder(), errors: 0 };
          acc.ok += res.ok;
          acc.seconds += secs;
          acc.cpu += cpu;
          acc.errors += res.errors;
          results.set(key, acc);
          process.stderr.write(`round ${r + 1} c=${c} ${name}: ${res.rps.toFixed(0)} req/s p50 ${res.p50.toFixed(2)} ms cpu ${(cpu / Math.max(1, res.ok)).toFixed(0)} µs/req errors ${res.errors}\n`);
        }
      }
    }
    const load1 = loadavg();
    const rows = [...results.entries()].map(([key, a]) => {
      const [name, c] = key.split('@') as [string, string];
      return { name, c: Number(c), rps: a.ok / a.seconds, cpuUs: a.cpu / Math.max(1, a.ok), errors: a.errors };
    });
    const get = (name: string, c: number) => rows.find((x) => x.name === name && x.c === c)!;
    const lines = ['| contender | c | req/s | server CPU µs/req | errors |', '|---|---|---|---|---|'];
    for (const x of rows) lines.push(`| ${x.name} | ${x.c} | ${x.rps.toFixed(0)} | ${x.cpuUs.toFixed(0)} | ${x.errors} |`);
    lines.push('', '| ratio | c | req/s | CPU/req |', '|---|---|---|---|');
    for (const c of levels) {
      for (const [a, b] of [['OIP REST binary', 'TFS REST JSON'], ['OIP REST JSON', 'TFS REST JSON'], ['OIP gRPC raw', 'TFS gRPC tensor_content'], ['OIP gRPC raw', 'TFS REST JSON']] as const) {
        lines.push(`| ${a} / ${b} | ${c} | ${(get(a, c).rps / get(b, c).rps).toFixed(2)}× | ${(get(a, c).cpuUs / get(b, c).cpuUs).toFixed(2)}× |`);
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
