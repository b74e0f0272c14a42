/**
 * The bench report: its JSON shape (what `--json` writes), the terminal table, and the one-line progress bar.
 * Formatting only; numbers come from runner.ts.
 */
import type { StepProgress, StepResult } from './runner.ts';
import { errorTotal } from './stats.ts';

/** Everything one `inferd bench` run measured. Times in ms, throughput in successful requests per second. */
export interface BenchReport {
  readonly tool: 'inferd bench';
  /** ISO date of the start of the run. */
  readonly date: string;
  readonly target: {
    readonly protocol: 'rest' | 'grpc';
    /** REST base URL or gRPC `host:port`. */
    readonly endpoint: string;
    readonly model: string;
    readonly version?: number;
    readonly signature: string;
  };
  readonly request: {
    /** `generated` from metadata, or the path of the `--input` file. */
    readonly source: string;
    readonly batch: number;
    /** Encoded request size, bytes. */
    readonly bytes: number;
    /** REST body layout, or gRPC float encoding. */
    readonly encoding: string;
    readonly shapes: Readonly<Record<string, readonly number[]>>;
  };
  readonly measure: {
    readonly warmupSeconds: number;
    readonly windowSeconds: number;
    readonly stability: number;
    readonly maxWindows: number;
  };
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly platform: string };
  readonly steps: readonly StepResult[];
}

const n = (v: number, digits = 2): string => v.toFixed(digits);

/** `c=8` or `r=500/s`. */
export function stepTag(step: Pick<StepResult, 'load'>): string {
  return step.load.kind === 'concurrency' ? `c=${step.load.concurrency}` : `r=${step.load.rate}/s`;
}

/** Errors as `429×3 UNAVAILABLE×1`, or `0`. */
export function formatErrors(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).filter(([, v]) => v > 0);
  return entries.length === 0 ? '0' : entries.map(([k, v]) => `${k}×${v}`).join(' ');
}

/** The terminal table of all steps (fixed-width columns). */
export function formatTable(steps: readonly StepResult[]): string {
  const head = [steps[0]?.load.kind === 'rate' ? 'rate/s' : 'concurrency', 'throughput/s', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'errors', 'windows'];
  const rows = steps.map((s) => [
    s.load.kind === 'concurrency' ? String(s.load.concurrency) : String(s.load.rate),
    n(s.throughput, 1),
    n(s.latency.p50, 3),
    n(s.latency.p90, 3),
    n(s.latency.p99, 3),
    n(s.latency.mean, 3),
    formatErrors(s.errors),
    `${s.windows.length}${s.stable ? '' : ' (unstable)'}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 6 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A one-line progress bar for step `index` of `total` (call with `\r` on a TTY). */
export function progressLine(index: number, total: number, tag: string, p: StepProgress, width = 30): string {
  const within = p.phase === 'warmup' ? 0 : p.windowsDone / p.maxWindows;
  const fraction = Math.min(1, (index + within) / Math.max(1, total));
  const filled = Math.round(fraction * width);
  const what = p.phase === 'warmup' ? 'warm-up' : `window ${p.windowsDone}/${p.maxWindows} ${n(p.lastThroughput, 1)} req/s`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] step ${index + 1}/${total} ${tag} ${what}`;
}

/** Total failed requests of a report. */
export function totalErrors(report: Pick<BenchReport, 'steps'>): number {
  return report.steps.reduce((a, s) => a + errorTotal(s.errors), 0);
}
