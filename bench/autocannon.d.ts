/**
 * The slice of autocannon's programmatic API (v8) the bench uses; autocannon ships no type declarations.
 * See node_modules/autocannon/README.md ("API").
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** Options of one autocannon run (only the ones the bench sets). */
  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string | Buffer;
    pipelining?: number;
    timeout?: number;
    /** Skip autocannon's own result aggregation (the bench keeps its own histogram). */
    skipAggregateResult?: boolean;
  }

  /** Latency and counter summary of a finished run (milliseconds for latency, autocannon's integer histogram). */
  export interface Result {
    requests: { average: number; total: number; sent: number };
    latency: { p50: number; p99: number; average: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
  }

  /** A running load: emits 'response' (client, statusCode, resBytes, responseTimeMs) and 'done'. */
  export interface Instance extends EventEmitter {
    stop(): void;
  }

  /** Start a run; `cb` gets the aggregated result. */
  function autocannon(opts: Options, cb: (err: Error | null, result: Result) => void): Instance;
  export default autocannon;
}
