/**
 * Bench options from flags (`npm run bench -- --duration=2`) and environment variables (BENCH_DURATION=2), flags
 * winning. Defaults give a full run of about 5 minutes on 2 cores; `--quick` is a smoke run of well under a minute.
 */
import { parseArgs } from 'node:util';

/** Every scenario group the bench knows; `--only`/`--skip` take a comma-separated subset. */
export const SCENARIO_GROUPS = ['bodies', 'rest', 'express', 'inprocess', 'grpc', 'batching', 'savedmodel', 'ocr'] as const;
/** One scenario group. */
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

/** Resolved options of one bench run. */
export interface BenchOptions {
  /** Measured seconds per load step. Default 5 (`--duration`, BENCH_DURATION). */
  readonly durationSec: number;
  /** Warm-up seconds before each load step, not measured. Default 1 (`--warmup`, BENCH_WARMUP). */
  readonly warmupSec: number;
  /** REST concurrencies (connections). Default 1,8,32,64 (`--concurrency`, BENCH_CONCURRENCY). */
  readonly concurrency: readonly number[];
  /** gRPC concurrencies (calls in flight on one channel). Default 1,8,32 (`--grpc_concurrency`). */
  readonly grpcConcurrency: readonly number[];
  /** In-process batch sizes. Default 1,8,32 (`--batch_sizes`). */
  readonly batchSizes: readonly number[];
  /** Groups to run. Default all (`--only`, `--skip`, BENCH_ONLY). */
  readonly groups: ReadonlySet<ScenarioGroup>;
  /** Markdown report path, or null to print only. Default docs/benchmarks.md, none with --quick (`--out`, `--no-write`). */
  readonly out: string | null;
  /** Write a CPU profile of the inferd server child into this folder (`--profile=DIR`). Default none. */
  readonly profileDir: string | null;
  /** The command line as typed, for the report. */
  readonly commandLine: string;
}

const list = (text: string, what: string): number[] => {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${what}: expected positive integers separated by commas, got "${text}"`);
  return values;
};

const seconds = (text: string, what: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${what}: expected seconds >= 0, got "${text}"`);
  return n;
};

const groups = (text: string, what: string): ScenarioGroup[] => {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) {
    if (!(SCENARIO_GROUPS as readonly string[]).includes(name)) throw new Error(`--${what}: unknown group "${name}" (known: ${SCENARIO_GROUPS.join(', ')})`);
  }
  return names as ScenarioGroup[];
};

/** Parse argv (without node and script) and env into options; throws a one-line Error on a bad value. */
export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      grpc_concurrency: { type: 'string' },
      batch_sizes: { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string' },
      out: { type: 'string' },
      'no-write': { type: 'boolean' },
      quick: { type: 'boolean' },
      profile: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true || env['BENCH_QUICK'] === '1';
  const pick = (flag: string | undefined, envName: string, fallback: string): string => flag ?? env[envName] ?? fallback;
  const only = pick(values.only, 'BENCH_ONLY', '');
  const selected = new Set<ScenarioGroup>(only === '' ? SCENARIO_GROUPS : groups(only, 'only'));
  for (const g of groups(values.skip ?? env['BENCH_SKIP'] ?? '', 'skip')) selected.delete(g);
  return {
    durationSec: seconds(pick(values.duration, 'BENCH_DURATION', quick ? '1' : '5'), 'duration'),
    warmupSec: seconds(pick(values.warmup, 'BENCH_WARMUP', quick ? '0.5' : '1'), 'warmup'),
    concurrency: list(pick(values.concurrency, 'BENCH_CONCURRENCY', '1,8,32,64'), 'concurrency'),
    grpcConcurrency: list(pick(values.grpc_concurrency, 'BENCH_GRPC_CONCURRENCY', '1,8,32'), 'grpc_concurrency'),
    batchSizes: list(pick(values.batch_sizes, 'BENCH_BATCH_SIZES', '1,8,32'), 'batch_sizes'),
    groups: selected,
    out: values['no-write'] === true ? null : (values.out ?? env['BENCH_OUT'] ?? (quick ? null : 'docs/benchmarks.md')),
    profileDir: values.profile ?? env['BENCH_PROFILE'] ?? null,
    commandLine: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
  };
}
