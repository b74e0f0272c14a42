/**
 * The contenders of the batching bench (issue 6), each measured with the load generator of `inferd bench`
 * (src/loadgen) from this same process: inferd REST with several batching parameter sets and without batching,
 * inferd gRPC tensor_content, the express + onnxruntime-node baseline, the bare node:http canned-response ceiling,
 * and the in-process onnxruntime-node ceiling. Servers run as child processes on 127.0.0.1, one at a time.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBench, type BenchReport, type Load, type MeasureOptions } from '../../src/loadgen/index.ts';
import { inProcessCeiling, type InProcessResult } from '../in-process.ts';
import { startBaseline, startInferd, type InferdServer } from '../processes.ts';

/** One batching parameter set (TensorFlow Serving text-format fields). */
export interface ParamSet {
  readonly maxBatchSize: number;
  readonly batchTimeoutMicros: number;
  readonly numBatchThreads: number;
}

/** `max_batch_size 32, timeout 1000 µs, 2 threads`. */
export const paramLabel = (p: ParamSet): string => `mbs ${p.maxBatchSize}, timeout ${p.batchTimeoutMicros} µs, ${p.numBatchThreads} thread${p.numBatchThreads > 1 ? 's' : ''}`;

/** The text of a `--batching_parameters_file`. */
export const paramText = (p: ParamSet): string =>
  `max_batch_size { value: ${p.maxBatchSize} }\nbatch_timeout_micros { value: ${p.batchTimeoutMicros} }\nnum_batch_threads { value: ${p.numBatchThreads} }\n`;

/** One measured row of the results table. */
export interface Row {
  readonly contender: string;
  readonly group: 'batching' | 'inferd' | 'baseline' | 'ceiling' | 'grpc';
  /** Requests (one row each) per second; rows/s for the in-process ceiling. */
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly stable: boolean;
  /** How to reproduce it (server command + load command). */
  readonly commands: readonly string[];
  readonly params?: ParamSet;
}

/** Everything the contenders need. */
export interface Setup {
  readonly dir: string;
  readonly configFile: string;
  readonly modelFile: string;
  /** The REST request file (one 784-value row, row format). */
  readonly bodyFile: string;
  readonly measure: MeasureOptions;
  readonly concurrency: number;
  readonly log: (line: string) => void;
}

const loadsOf = (cs: readonly number[]): Load[] => cs.map((concurrency) => ({ kind: 'concurrency', concurrency }));
const errorCount = (r: BenchReport): number => r.steps.reduce((a, s) => a + Object.values(s.errors).reduce((x, y) => x + y, 0), 0);

/** The `inferd bench` command line equivalent to a REST measurement. */
export function benchCommand(setup: Setup, endpoint: string, concurrency: readonly number[], extra = ''): string {
  const m = setup.measure;
  return `inferd bench ${endpoint} --model mlp --input ${setup.bodyFile}${extra} --concurrency ${concurrency.join(',')} --warmup-seconds ${m.warmupSeconds} --window-seconds ${m.windowSeconds} --max-windows ${m.maxWindows} --stability ${m.stability * 100}`;
}

/** Measure REST at `concurrency` list against `url`. */
export async function restReport(setup: Setup, url: string, concurrency: readonly number[], measure = setup.measure): Promise<BenchReport> {
  return runBench({ protocol: 'rest', endpoint: url, model: 'mlp', inputFile: setup.bodyFile, loads: loadsOf(concurrency), measure });
}

function row(report: BenchReport, contender: string, group: Row['group'], commands: string[], params?: ParamSet): Row {
  const s = report.steps.at(-1)!;
  return { contender, group, throughput: s.throughput, p50: s.latency.p50, p99: s.latency.p99, errors: errorCount(report), stable: s.stable, commands, ...(params ? { params } : {}) };
}

/** Start `inferd serve` on the MLP, batching with `params` (or not); `profileDir` adds node --cpu-prof. */
export async function startMlpServer(setup: Setup, params: ParamSet | null, profileDir?: string): Promise<{ server: InferdServer; command: string }> {
  const args = [`--model_config_file=${setup.configFile}`];
  if (params) {
    const file = join(setup.dir, `batching-${params.maxBatchSize}-${params.batchTimeoutMicros}-${params.numBatchThreads}.txt`);
    await writeFile(file, paramText(params));
    args.push('--enable_batching', `--batching_parameters_file=${file}`);
  }
  const server = await startInferd({ args, ...(profileDir ? { profileDir } : {}) });
  return { server, command: `inferd serve --rest_api_port=P --port=G ${args.join(' ')}` };
}

/** inferd REST (batching with `params`, or not) at the bench concurrency; with `grpc`, also gRPC tensor_content. */
export async function inferdRows(setup: Setup, params: ParamSet | null, grpc: boolean): Promise<Row[]> {
  const name = params ? `inferd REST, batching (${paramLabel(params)})` : 'inferd REST, no batching';
  setup.log(`measuring ${name}`);
  const { server, command } = await startMlpServer(setup, params);
  try {
    const rest = await restReport(setup, server.restUrl, [setup.concurrency]);
    const rows = [row(rest, name, params ? 'batching' : 'inferd', [command, benchCommand(setup, '--url http://127.0.0.1:P', [setup.concurrency])], params ?? undefined)];
    if (grpc) {
      setup.log(`measuring inferd gRPC tensor_content${params ? ' with batching' : ''}`);
      const report = await runBench({
        protocol: 'grpc', endpoint: `127.0.0.1:${server.grpcPort}`, model: 'mlp', inputFile: setup.bodyFile, tensorContent: true,
        loads: loadsOf([setup.concurrency]), measure: setup.measure,
      });
      const gname = params ? `inferd gRPC tensor_content, batching (${paramLabel(params)})` : 'inferd gRPC tensor_content, no batching';
      rows.push(row(report, gname, 'grpc', [command, benchCommand(setup, '--grpc 127.0.0.1:G', [setup.concurrency], ' --tensor-content')], params ?? undefined));
    }
    return rows;
  } finally {
    await server.stop();
  }
}

/** The express + onnxruntime-node baseline (bench/baseline/express-ort.ts): one session.run per request. */
export async function expressRow(setup: Setup): Promise<Row> {
  setup.log('measuring express + onnxruntime-node');
  const server = await startBaseline('express-ort', 'express-ort.ts', [`--model=mlp=${setup.modelFile}`]);
  try {
    const report = await restReport(setup, server.url, [setup.concurrency]);
    return row(report, 'express + onnxruntime-node (one run per request)', 'baseline', [`node --import tsx bench/baseline/express-ort.ts --model=mlp=${setup.modelFile}`, benchCommand(setup, '--url http://127.0.0.1:P', [setup.concurrency])]);
  } finally {
    await server.stop();
  }
}

/** The bare node:http ceiling (bench/baseline/bare-http.ts) answering inferd's own response bytes. */
export async function bareHttpRow(setup: Setup, cannedResponse: string): Promise<Row> {
  setup.log('measuring bare node:http canned response');
  const responses = join(setup.dir, 'canned.json');
  await writeFile(responses, JSON.stringify({ mlp: cannedResponse }));
  const server = await startBaseline('bare-http', 'bare-http.ts', [`--responses=${responses}`]);
  try {
    const report = await restReport(setup, server.url, [setup.concurrency]);
    return row(report, 'ceiling: bare node:http, canned response', 'ceiling', [`node --import tsx bench/baseline/bare-http.ts --responses=${responses}`, benchCommand(setup, '--url http://127.0.0.1:P', [setup.concurrency])]);
  } finally {
    await server.stop();
  }
}

/** The in-process onnxruntime-node ceiling at each batch size; the row is the best (threads, batch). */
export async function inProcessRows(setup: Setup, batches: readonly number[], seconds: number): Promise<{ best: Row; all: InProcessResult[] }> {
  setup.log('measuring in-process onnxruntime-node');
  const all = await inProcessCeiling(setup.modelFile, batches, seconds, Math.min(0.5, seconds));
  const top = all.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
  return {
    best: {
      contender: `ceiling: in-process onnxruntime-node (batch ${top.batch}, ${top.intraOpThreads} intra-op thread${top.intraOpThreads > 1 ? 's' : ''}), rows/s`,
      group: 'ceiling', throughput: top.rowsPerSec, p50: top.p50, p99: top.p99, errors: 0, stable: true,
      commands: ['bench/in-process.ts inProcessCeiling (session.run in a loop, no HTTP)'],
    },
    all,
  };
}

/** Alternate c=1 measurements of `a` and `b` servers `rounds` times; returns each one's p50 per round. */
export async function latencyAtOne(setup: Setup, a: InferdServer, b: InferdServer, rounds: number, measure: MeasureOptions): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    for (const [key, server] of [['a', a], ['b', b]] as const) {
      const report = await restReport(setup, server.restUrl, [1], measure);
      out[key].push(report.steps[0]!.latency.p50);
    }
  }
  return out;
}
