/**
 * `runBench`: the load generator as a library. Resolves the request (a JSON file, or random inputs generated from
 * the model's metadata), checks that one request succeeds, then runs each load step (runner.ts) and returns the
 * report. The CLI (src/cli/bench.ts) and bench/batching/run.ts both call it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { renderChart, type ChartSeries } from './chart.ts';
import { restPredictBody, type RestFormat } from './encode.ts';
import { GrpcTarget } from './grpc-target.ts';
import { generateInputs, selectSignature, tensorsFromPredictBody, type RequestTensor } from './inputs.ts';
import { stepTag, type BenchReport } from './report.ts';
import { RestTarget } from './rest-target.ts';
import { runStep, type Load, type MeasureOptions, type StepProgress, type StepResult } from './runner.ts';
import type { Target } from './target.ts';
import { DEFAULT_SIGNATURE } from '../core/signature.ts';

/** Options of runBench. Defaults are those of `inferd bench`. */
export interface BenchOptions {
  readonly protocol: 'rest' | 'grpc';
  /** REST base URL (`http://127.0.0.1:8501`) or gRPC `host:port`. */
  readonly endpoint: string;
  readonly model: string;
  readonly version?: number;
  /** Signature key; default `serving_default` (or the model's only signature). */
  readonly signature?: string;
  /** A TF Serving predict body to send instead of generated inputs. */
  readonly inputFile?: string;
  /** Value of `-1` dimensions of generated inputs. Default 1. */
  readonly batch?: number;
  /** Shapes of generated inputs by alias, overriding the metadata. */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
  /** REST body layout of generated inputs. Default `columnar`. */
  readonly restFormat?: RestFormat;
  /** gRPC: numeric inputs as tensor_content bytes instead of typed `*_val` fields. Default false. */
  readonly tensorContent?: boolean;
  /** The steps, in order. */
  readonly loads: readonly Load[];
  readonly measure: MeasureOptions;
  /** Per-request timeout, ms. Default 30000. */
  readonly timeoutMs?: number;
  /** Called during each step (step index, step count, tag such as `c=8`, progress). */
  readonly onProgress?: (index: number, total: number, tag: string, progress: StepProgress) => void;
  /** Called when a step is done. */
  readonly onStep?: (step: StepResult) => void;
}

/** The largest number of sockets any step needs. */
function connectionsFor(loads: readonly Load[]): number {
  return Math.max(1, ...loads.map((l) => (l.kind === 'concurrency' ? l.concurrency : Math.min(l.maxInFlight, 256))));
}

const shapesOf = (tensors: readonly RequestTensor[]): Record<string, readonly number[]> => Object.fromEntries(tensors.map((t) => [t.alias, t.shape]));

/** Run every step against the target and return the report. Throws when the first request fails. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const date = new Date().toISOString();
  const model = options.version === undefined ? { name: options.model } : { name: options.model, version: options.version };
  const timeoutMs = options.timeoutMs ?? 30_000;
  let target: Target;
  let signature = options.signature ?? '';
  let bytes: number;
  let encoding: string;
  let shapes: Record<string, readonly number[]> = {};
  const batch = options.batch ?? 1;
  const fileBody = options.inputFile === undefined ? undefined : await readFile(options.inputFile, 'utf8');
  if (options.protocol === 'rest') {
    const rest = await RestTarget.create({ url: options.endpoint, model, connections: connectionsFor(options.loads), timeoutMs });
    target = rest;
    try {
      let body: string;
      if (fileBody !== undefined) {
        const parsed = JSON.parse(fileBody) as Record<string, unknown>;
        if (options.signature !== undefined) parsed['signature_name'] = options.signature;
        body = options.signature !== undefined ? JSON.stringify(parsed) : fileBody;
        signature = typeof parsed['signature_name'] === 'string' ? parsed['signature_name'] : signature;
        encoding = 'instances' in parsed ? 'row' : 'columnar';
      } else {
        const sig = selectSignature(await rest.signatureDefs(), options.signature);
        signature = sig.name;
        const tensors = generateInputs(sig, { batch, ...(options.shapes ? { shapes: options.shapes } : {}) });
        shapes = shapesOf(tensors);
        encoding = options.restFormat ?? 'columnar';
        body = restPredictBody(tensors, options.signature === undefined ? undefined : sig.name, options.restFormat);
      }
      rest.setBody(body);
      bytes = Buffer.byteLength(body);
    } catch (err) {
      await rest.close();
      throw err;
    }
  } else {
    const grpc = await GrpcTarget.create({ address: options.endpoint, model, timeoutMs });
    target = grpc;
    try {
      const sig = selectSignature(await grpc.signatureDefs(), options.signature);
      signature = sig.name;
      const tensors = fileBody !== undefined
        ? tensorsFromPredictBody(JSON.parse(fileBody), sig)
        : generateInputs(sig, { batch, ...(options.shapes ? { shapes: options.shapes } : {}) });
      shapes = shapesOf(tensors);
      encoding = options.tensorContent ? 'tensor_content' : 'typed_val';
      grpc.setRequest(tensors, options.signature === undefined ? undefined : sig.name, options.tensorContent ?? false);
      bytes = grpc.requestBytes;
    } catch (err) {
      await grpc.close();
      throw err;
    }
  }
  const steps: StepResult[] = [];
  try {
    const first = await target.send();
    if (first !== null) throw new Error(`${target.description}: the first request failed with status ${first}`);
    for (const [index, load] of options.loads.entries()) {
      const tag = stepTag({ load });
      const step = await runStep(target, load, options.measure, (p) => options.onProgress?.(index, options.loads.length, tag, p));
      steps.push(step);
      options.onStep?.(step);
    }
  } finally {
    await target.close();
  }
  const cpus = os.cpus();
  return {
    tool: 'inferd bench',
    date,
    target: { protocol: options.protocol, endpoint: options.endpoint, model: options.model, ...(options.version === undefined ? {} : { version: options.version }), signature: signature || DEFAULT_SIGNATURE },
    request: { source: options.inputFile ?? 'generated', batch, bytes, encoding, shapes },
    measure: { warmupSeconds: options.measure.warmupSeconds, windowSeconds: options.measure.windowSeconds, stability: options.measure.stability, maxWindows: options.measure.maxWindows },
    machine: { cpus: os.availableParallelism(), cpuModel: cpus[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` },
    steps,
  };
}

/** The chart series of a report (one line, labelled by protocol and model). */
export function reportSeries(report: BenchReport, label?: string): ChartSeries {
  return {
    label: label ?? `${report.target.protocol} ${report.target.model}`,
    points: report.steps.map((s) => ({ throughput: s.throughput, p50: s.latency.p50, p99: s.latency.p99, tag: stepTag(s) })),
  };
}

/** Write `--json` and `--chart` files (either may be absent). */
export async function writeReportFiles(report: BenchReport, files: { readonly json?: string; readonly chart?: string }): Promise<void> {
  if (files.json) await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  if (files.chart) {
    const title = `inferd bench: ${report.target.protocol} ${report.target.model} (batch ${report.request.batch})`;
    await writeFile(files.chart, renderChart([reportSeries(report)], title));
  }
}
