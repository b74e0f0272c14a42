/**
 * The measurement loop of one load step, as Triton's perf_analyzer does it: warm-up (not measured), then
 * measurement windows back to back until the last three windows' throughput agree within the stability tolerance,
 * or the window budget runs out. Closed loop: N workers, each sending its next request when the previous answers.
 * Open loop: requests start on a fixed schedule whatever the answers; latency counts from the scheduled start, so
 * a lagging server (or client) is not hidden (no coordinated omission).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { addErrors, errorTotal, isStable, summarize, windowThroughput, type LatencySummary, type WindowSample } from './stats.ts';
import type { Outcome, Target } from './target.ts';

/** How windows are measured (seconds; tolerance as a fraction). */
export interface MeasureOptions {
  /** Unmeasured load before the first window. Default 1. */
  readonly warmupSeconds: number;
  /** Length of one measurement window. Default 2. */
  readonly windowSeconds: number;
  /** The last `stableWindows` windows must each be within this fraction of their mean throughput. Default 0.1. */
  readonly stability: number;
  /** Give up on stability after this many windows (the step is then reported with `stable: false`). Default 10. */
  readonly maxWindows: number;
  /** How many trailing windows must agree (perf_analyzer uses 3). Default 3. */
  readonly stableWindows?: number;
}

/** The load of one step: N closed-loop workers, or an open-loop arrival rate. */
export type Load =
  | { readonly kind: 'concurrency'; readonly concurrency: number }
  | { readonly kind: 'rate'; readonly rate: number; readonly maxInFlight: number };

/** One window as reported. */
export interface WindowReport {
  readonly durationMs: number;
  /** Successful requests per second. */
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/** The result of one step. Throughput and latency come from the trailing stable windows; errors from all windows. */
export interface StepResult {
  readonly load: Load;
  /** Successful requests per second over the reported windows. */
  readonly throughput: number;
  /** Latency of successful requests over the reported windows, ms. */
  readonly latency: LatencySummary;
  /** Failed requests over all measurement windows, by status. `dropped` = open loop over its in-flight cap. */
  readonly errors: Readonly<Record<string, number>>;
  /** Whether the stability rule was met before `maxWindows`. */
  readonly stable: boolean;
  /** How many trailing windows the throughput and latency are computed from. */
  readonly reportedWindows: number;
  /** Every measurement window, in order. */
  readonly windows: readonly WindowReport[];
}

/** Progress of a step, for a progress bar: after warm-up starts and after each window. */
export interface StepProgress {
  readonly phase: 'warmup' | 'window';
  /** Windows measured so far in this step. */
  readonly windowsDone: number;
  readonly maxWindows: number;
  /** Throughput of the last window (0 during warm-up). */
  readonly lastThroughput: number;
}

class Recorder {
  readonly latencies: number[] = [];
  readonly errors: Record<string, number> = {};
  record(outcome: Outcome, ms: number): void {
    if (outcome === null) this.latencies.push(ms);
    else this.errors[outcome] = (this.errors[outcome] ?? 0) + 1;
  }
}

/** A running load: `current` receives completions (null while warming up); `stop` ends it and waits for in-flight requests. */
interface Driver {
  current: Recorder | null;
  stop(): Promise<void>;
}

function closedLoop(target: Target, concurrency: number): Driver {
  let running = true;
  const driver: Driver = { current: null, stop: async () => { running = false; await Promise.all(workers); } };
  const worker = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      const outcome = await target.send();
      driver.current?.record(outcome, performance.now() - t0);
      // A failing target answers at once; a short pause keeps a worker from spinning on errors.
      if (outcome !== null) await sleep(1);
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return driver;
}

function openLoop(target: Target, rate: number, maxInFlight: number): Driver {
  const interval = 1000 / rate;
  const inFlight = new Set<Promise<void>>();
  let running = true;
  let next = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const driver: Driver = {
    current: null,
    stop: async () => {
      running = false;
      clearTimeout(timer);
      await Promise.all([...inFlight]);
    },
  };
  const fire = (scheduled: number): void => {
    if (inFlight.size >= maxInFlight) {
      driver.current?.record('dropped', 0);
      return;
    }
    const p: Promise<void> = target.send().then((outcome) => {
      inFlight.delete(p);
      driver.current?.record(outcome, performance.now() - scheduled);
    });
    inFlight.add(p);
  };
  const tick = (): void => {
    if (!running) return;
    const now = performance.now();
    while (next <= now) {
      fire(next);
      next += interval;
    }
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
  return driver;
}

/** Run one step against `target` and measure it. `onProgress` is called synchronously and must be cheap. */
export async function runStep(target: Target, load: Load, options: MeasureOptions, onProgress?: (p: StepProgress) => void): Promise<StepResult> {
  const stableCount = options.stableWindows ?? 3;
  const driver = load.kind === 'concurrency' ? closedLoop(target, load.concurrency) : openLoop(target, load.rate, load.maxInFlight);
  const samples: WindowSample[] = [];
  const throughputs: number[] = [];
  let stable = false;
  try {
    onProgress?.({ phase: 'warmup', windowsDone: 0, maxWindows: options.maxWindows, lastThroughput: 0 });
    if (options.warmupSeconds > 0) await sleep(options.warmupSeconds * 1000);
    while (samples.length < options.maxWindows && !stable) {
      const recorder = new Recorder();
      driver.current = recorder;
      const start = performance.now();
      await sleep(options.windowSeconds * 1000);
      driver.current = null;
      const sample: WindowSample = { durationMs: performance.now() - start, latencies: recorder.latencies, errors: recorder.errors };
      samples.push(sample);
      throughputs.push(windowThroughput(sample));
      stable = isStable(throughputs, options.stability, stableCount);
      onProgress?.({ phase: 'window', windowsDone: samples.length, maxWindows: options.maxWindows, lastThroughput: throughputs.at(-1) ?? 0 });
    }
  } finally {
    await driver.stop();
  }
  return stepResult(load, samples, stable, stableCount);
}

/** Fold measured windows into a step result (exported for tests on synthetic windows). */
export function stepResult(load: Load, samples: readonly WindowSample[], stable: boolean, stableCount = 3): StepResult {
  const reported = samples.slice(-stableCount);
  const latencies: number[] = [];
  let durationMs = 0;
  for (const w of reported) {
    for (const l of w.latencies) latencies.push(l);
    durationMs += w.durationMs;
  }
  const errors: Record<string, number> = {};
  for (const w of samples) addErrors(errors, w.errors);
  const windows = samples.map((w): WindowReport => {
    const s = summarize(w.latencies);
    return { durationMs: w.durationMs, throughput: windowThroughput(w), p50: s.p50, p99: s.p99, errors: errorTotal(w.errors) };
  });
  return {
    load,
    throughput: durationMs > 0 ? (latencies.length * 1000) / durationMs : 0,
    latency: summarize(latencies),
    errors,
    stable,
    reportedWindows: reported.length,
    windows,
  };
}
