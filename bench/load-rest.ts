/**
 * REST load with autocannon's programmatic API, in the bench's own process: a warm-up window, then a measured
 * window with `concurrency` keep-alive connections, one request in flight each. Latencies come from autocannon's
 * per-response event (float ms), not its integer-millisecond histogram, so sub-millisecond p50s stay visible.
 */
import autocannon, { type Options, type Result } from 'autocannon';
import { treeCpuMicros } from './proc-stat.ts';
import { LatencyRecorder, type LoadResult } from './results.ts';

/** One REST load step. */
export interface RestLoad {
  /** Contender label for the report. */
  readonly contender: string;
  /** Base URL, e.g. `http://127.0.0.1:8501`. */
  readonly url: string;
  /** Model name; the route is `POST /v1/models/<model>:predict`. */
  readonly model: string;
  /** The JSON body (identical for every contender). */
  readonly body: string;
  readonly concurrency: number;
  readonly durationSec: number;
  readonly warmupSec: number;
  /** Server process to charge CPU time to: utime + stime of all its threads and of its descendants (`--processes` > 1 serves from child processes), from /proc. */
  readonly serverPid?: number;
}

function run(opts: Options, recorder: LatencyRecorder | null): Promise<Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (recorder) {
      instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
        if (status >= 200 && status < 300) recorder.ok(ms);
        else recorder.error();
      });
    }
  });
}

/** Drive `POST /v1/models/<model>:predict`; resolves with the measured window's numbers. */
export async function restLoad(load: RestLoad): Promise<LoadResult> {
  const base: Options = {
    url: `${load.url}/v1/models/${load.model}:predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: load.body,
    connections: load.concurrency,
    pipelining: 1,
    timeout: 10,
  };
  if (load.warmupSec > 0) await run({ ...base, duration: load.warmupSec }, null);
  const recorder = new LatencyRecorder();
  const cpuBefore = load.serverPid === undefined ? undefined : treeCpuMicros(load.serverPid);
  const result = await run({ ...base, duration: load.durationSec }, recorder);
  const summary = recorder.result(load.contender, load.model, load.concurrency, result.duration || load.durationSec);
  const cpu = cpuBefore === undefined || load.serverPid === undefined ? {} : { cpuUsPerRequest: (treeCpuMicros(load.serverPid) - cpuBefore) / Math.max(1, summary.ok) };
  return { ...summary, ...cpu, errors: summary.errors + result.errors + result.timeouts };
}
