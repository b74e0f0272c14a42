/**
 * `inferd bench`: a load generator for any TensorFlow Serving-compatible endpoint (REST or gRPC). argv → options
 * for runBench (src/loadgen); prints the table (and a progress bar when stdout is a TTY), writes --json/--chart.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatTable, progressLine, runBench, totalErrors, writeReportFiles, type Load } from '../loadgen/index.ts';
import { intFlag } from './flags.ts';

/** Parsed `bench` options (commander's camelCase of the flags). */
interface BenchFlags {
  url?: string;
  grpc?: string;
  model: string;
  signature?: string;
  version?: number;
  input?: string;
  batch: number;
  shape: Record<string, number[]>;
  format: 'columnar' | 'row';
  tensorContent: boolean;
  concurrency?: number[];
  rate?: number[];
  maxInFlight: number;
  warmupSeconds: number;
  windowSeconds: number;
  stability: number;
  maxWindows: number;
  timeoutMs: number;
  json?: string;
  chart?: string;
}

const positiveList = (what: string) => (value: string): number[] => {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (list.length === 0 || list.some((v) => !(v > 0) || !Number.isFinite(v))) throw new InvalidArgumentError(`expected a comma-separated list of positive ${what}, got "${value}"`);
  return list;
};

const seconds = (value: string): number => {
  const v = Number(value);
  if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`expected seconds ≥ 0, got "${value}"`);
  return v;
};

const percentOrFraction = (value: string): number => {
  const v = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`expected a tolerance such as 10 (%) or 0.1, got "${value}"`);
  return value.endsWith('%') || v >= 1 ? v / 100 : v;
};

const shapeFlag = (value: string, previous: Record<string, number[]>): Record<string, number[]> => {
  const m = /^([^=]+)=(-?\d+(?:,-?\d+)*)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected NAME=d0,d1,..., got "${value}"`);
  return { ...previous, [m[1]!]: m[2] === undefined ? [] : m[2].split(',').map(Number) };
};

/** The `bench` subcommand (registered by main.ts). */
export function benchCommand(): Command {
  return new Command('bench')
    .description('Load a TensorFlow Serving-compatible endpoint and report throughput and latency per step (perf_analyzer-style windows)')
    .option('--url <url>', 'REST base URL, e.g. http://127.0.0.1:8501')
    .option('--grpc <host:port>', 'gRPC address, e.g. 127.0.0.1:8500')
    .requiredOption('--model <name>', 'model name')
    .option('--signature <name>', 'signature key (default serving_default)')
    .option('--version <n>', 'model version (default latest)', intFlag(0))
    .option('--input <file.json>', 'a TF Serving predict body to send (default: random inputs from the model metadata)')
    .option('--batch <n>', 'value of -1 dimensions in generated inputs', intFlag(1), 1)
    .option('--shape <name=dims>', 'shape of a generated input, overriding metadata (repeatable)', shapeFlag, {})
    .addOption(new Option('--format <layout>', 'REST body layout of generated inputs').choices(['columnar', 'row']).default('columnar'))
    .option('--tensor-content', 'gRPC: send numeric inputs as tensor_content', false)
    .option('--concurrency <list>', 'closed-loop sweep: in-flight requests per step (default 1,2,4,8,16,32,64)', positiveList('integers'))
    .option('--rate <list>', 'open-loop: requests per second per step (instead of --concurrency)', positiveList('rates'))
    .option('--max-in-flight <n>', 'open loop: requests beyond this many in flight are dropped and counted', intFlag(1), 1000)
    .option('--warmup-seconds <s>', 'unmeasured load before each step', seconds, 1)
    .option('--window-seconds <s>', 'length of a measurement window', seconds, 2)
    .option('--stability <pct>', 'the last 3 windows must be within this of their mean throughput', percentOrFraction, 0.1)
    .option('--max-windows <n>', 'windows per step at most', intFlag(1), 10)
    .option('--timeout-ms <ms>', 'per-request timeout', intFlag(1), 30_000)
    .option('--json <out.json>', 'write the full report as JSON')
    .option('--chart <out.svg>', 'write an SVG chart of p50/p99 latency against throughput')
    .action(async (flags: BenchFlags) => {
      if ((flags.url === undefined) === (flags.grpc === undefined)) throw new Error('give exactly one of --url or --grpc');
      if (flags.concurrency && flags.rate) throw new Error('give --concurrency or --rate, not both');
      if (flags.windowSeconds <= 0) throw new Error('--window-seconds must be > 0');
      if (flags.concurrency?.some((c) => !Number.isInteger(c))) throw new Error('--concurrency takes integers');
      const loads: Load[] = flags.rate
        ? flags.rate.map((rate) => ({ kind: 'rate', rate, maxInFlight: flags.maxInFlight }))
        : (flags.concurrency ?? [1, 2, 4, 8, 16, 32, 64]).map((concurrency) => ({ kind: 'concurrency', concurrency }));
      const tty = process.stdout.isTTY === true;
      const clear = (): void => { if (tty) process.stdout.write('\r\x1b[2K'); };
      const report = await runBench({
        protocol: flags.url !== undefined ? 'rest' : 'grpc',
        endpoint: flags.url ?? flags.grpc ?? '',
        model: flags.model,
        ...(flags.version === undefined ? {} : { version: flags.version }),
        ...(flags.signature === undefined ? {} : { signature: flags.signature }),
        ...(flags.input === undefined ? {} : { inputFile: flags.input }),
        batch: flags.batch,
        shapes: flags.shape,
        restFormat: flags.format,
        tensorContent: flags.tensorContent,
        loads,
        measure: { warmupSeconds: flags.warmupSeconds, windowSeconds: flags.windowSeconds, stability: flags.stability, maxWindows: flags.maxWindows },
        timeoutMs: flags.timeoutMs,
        onProgress: tty ? (i, total, tag, p) => { clear(); process.stdout.write(progressLine(i, total, tag, p)); } : () => undefined,
        onStep: () => clear(),
      });
      clear();
      const t = report.target;
      process.stdout.write(`${t.protocol} ${t.endpoint} model ${t.model} signature ${t.signature}; request ${report.request.bytes} bytes (${report.request.encoding}, ${report.request.source})\n`);
      process.stdout.write(`${formatTable(report.steps)}\n`);
      await writeReportFiles(report, { ...(flags.json ? { json: flags.json } : {}), ...(flags.chart ? { chart: flags.chart } : {}) });
      if (flags.json) process.stdout.write(`wrote ${flags.json}\n`);
      if (flags.chart) process.stdout.write(`wrote ${flags.chart}\n`);
      if (totalErrors(report) > 0) process.exitCode = 2;
    });
}
