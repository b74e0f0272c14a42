/**
 * The ratios issues 2, 3, 4, 6 and 11 (gRPC) ask for, computed from one run's measurements. A side that was not measured
 * makes the ratio "not measured", never a guess.
 */
import { CONTENDERS, findResult, type BenchContext } from './context.ts';
import { MODEL_NAMES } from './models.ts';
import { num } from './report.ts';
import { ratio, type Ratio } from './results.ts';
import { bestInProcess } from './scenarios/inprocess.ts';

/** Concurrency at which the issues state their targets. */
export const TARGET_CONCURRENCY = 32;

/** Every ratio of the run. */
export function computeRatios(ctx: BenchContext): Ratio[] {
  const c = TARGET_CONCURRENCY;
  const rps = (contender: string, model: string, conc = c): number | undefined => findResult(ctx, contender, model, conc)?.rps;
  const p50 = (contender: string, model: string, conc: number): number | undefined => findResult(ctx, contender, model, conc)?.p50;
  const best = bestInProcess(ctx.inProcess);
  const bareMlp = rps(CONTENDERS.bareHttp, MODEL_NAMES.mlp);
  const lowerCeiling = best && bareMlp !== undefined ? Math.min(best.rowsPerSec, bareMlp) : undefined;
  const ceilingText = lowerCeiling === undefined ? 'lower ceiling not measured'
    : `lower ceiling = min(in-process best ${num(best!.rowsPerSec)} rows/s at batch ${best!.batch}, bare node:http mlp c=${c} ${num(bareMlp!)} req/s) = ${num(lowerCeiling)}`;
  const restBatching = rps(CONTENDERS.inferdRestBatching, MODEL_NAMES.mlp);
  const grpcTc = rps(CONTENDERS.grpcTensorContent, MODEL_NAMES.mlp);
  const grpcTcBatching = rps(CONTENDERS.grpcTensorContentBatching, MODEL_NAMES.mlp);
  return [
    ratio('issue 2', 'inferd REST / bare node:http, tiny model, c=32', rps(CONTENDERS.inferdRest, MODEL_NAMES.tiny), rps(CONTENDERS.bareHttp, MODEL_NAMES.tiny), 0.8,
      'req/s, same run, same body `{"instances":[1.0]}`'),
    ratio('issue 2', 'inferd REST mlp c=32 / in-process best (rows/s)', rps(CONTENDERS.inferdRest, MODEL_NAMES.mlp), best?.rowsPerSec, null,
      best ? `in-process best: batch ${best.batch}, ${best.intraOpThreads} intra-op thread(s)` : 'in-process not measured'),
    ratio('issue 3', 'SavedModel / ONNX REST, mlp, c=32', rps(CONTENDERS.savedModelRest, MODEL_NAMES.mlp), rps(CONTENDERS.inferdRest, MODEL_NAMES.mlp), 0.5,
      'same weights, same server flags'),
    ratio('issue 4', 'gRPC tensor_content / REST JSON, mlp 1×784, c=32', grpcTc, rps(CONTENDERS.inferdRest, MODEL_NAMES.mlp), 1.2,
      'both on `inferd serve` without batching'),
    ratio('issue 4', 'grpc-js canned / bare node:http, mlp, c=32 (transport ceilings)', rps(CONTENDERS.grpcCanned, MODEL_NAMES.mlp), bareMlp, null,
      'what grpc-js and node:http can do at all on this machine with these clients'),
    ratio('issue 4', 'gRPC float_val / REST JSON, mlp 1×784, c=32', rps(CONTENDERS.grpcFloatVal, MODEL_NAMES.mlp), rps(CONTENDERS.inferdRest, MODEL_NAMES.mlp), null,
      'both on `inferd serve` without batching'),
    ratio('issue 6', 'inferd REST batching / express + ort, mlp, c=32', restBatching, rps(CONTENDERS.expressOrt, MODEL_NAMES.mlp), 2,
      'express baseline: one session.run per request'),
    ratio('issue 6', 'inferd REST without batching / express + ort, mlp, c=32', rps(CONTENDERS.inferdRest, MODEL_NAMES.mlp), rps(CONTENDERS.expressOrt, MODEL_NAMES.mlp), null,
      'for reference'),
    ratio('issue 6', 'inferd REST batching / lower ceiling, mlp, c=32', restBatching, lowerCeiling, 0.5, ceilingText),
    ratio('issue 6', 'inferd gRPC tensor_content batching / lower ceiling, mlp, c=32', grpcTcBatching, lowerCeiling, 0.7, ceilingText),
    ratio('issue 6', 'p50 at c=1, batching on / off, mlp REST', p50(CONTENDERS.inferdRestBatching, MODEL_NAMES.mlp, 1), p50(CONTENDERS.inferdRest, MODEL_NAMES.mlp, 1), 1.05,
      'latency ratio (lower is better); target: batching adds < 5%', true),
    ratio('issue 11', 'gRPC tensor_content, batching on, c=32 / grpc-js canned, c=32', grpcTcBatching, rps(CONTENDERS.grpcCanned, MODEL_NAMES.mlp), 0.7,
      'req/s, same run; canned = grpc-js answering inferd\'s bytes without decoding (bench/baseline/grpc-canned.ts)'),
  ];
}
