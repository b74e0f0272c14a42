/**
 * State shared by the scenario groups of one run: options, the built models, a log, and every measurement so far
 * (ratios.ts reads them at the end). Groups start and stop their own servers, so only one load target runs at a time.
 */
import type { InProcessResult } from './in-process.ts';
import type { RoundTripResult } from './load-grpc.ts';
import type { BenchModels } from './models.ts';
import type { BenchOptions } from './options.ts';
import type { LoadResult, Ratio } from './results.ts';

/** Contender labels, shared by groups and ratios. */
export const CONTENDERS = {
  inferdRest: 'inferd REST',
  bareHttp: 'bare node:http',
  fastifyCanned: 'fastify, canned',
  expressOrt: 'express + ort',
  inferdRestBatching: 'inferd REST, batching',
  grpcFloatVal: 'inferd gRPC float_val',
  grpcTensorContent: 'inferd gRPC tensor_content',
  grpcCanned: 'grpc-js, canned',
  grpcTensorContentBatching: 'inferd gRPC tensor_content, batching',
  savedModelRest: 'inferd REST, SavedModel',
} as const;

/** The context every group receives. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly models: BenchModels;
  /** Print a progress line (to stderr, so stdout stays the final table). */
  log(line: string): void;
  /** Every load step measured so far. */
  readonly results: LoadResult[];
  /** In-process ceiling measurements. */
  readonly inProcess: InProcessResult[];
  /** The 4 MiB gRPC round trips (typed float_val output, tensor_content output), when measured. */
  readonly roundTrips: { readonly output: string; readonly result: RoundTripResult }[];
  /** Ratios groups compute themselves (issue 11's bodies), listed with the others. */
  readonly extraRatios: Ratio[];
  /** Canned REST responses by model (what inferd answered), for the bare node:http ceiling. */
  cannedResponses: Record<string, string> | null;
}

/** Look up one load step. */
export function findResult(ctx: BenchContext, contender: string, model: string, concurrency: number): ReturnType<BenchContext['results']['find']> {
  return ctx.results.find((r) => r.contender === contender && r.model === model && r.concurrency === concurrency);
}

/** Print one finished step as it completes. */
export function logResult(ctx: BenchContext, r: LoadResult): void {
  const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '—');
  ctx.log(`  ${r.contender.padEnd(38)} ${r.model.padEnd(5)} c=${String(r.concurrency).padStart(2)}  ${Math.round(r.rps).toString().padStart(6)} req/s  p50 ${ms(r.p50)} ms  p99 ${ms(r.p99)} ms  errors ${r.errors}`);
}
