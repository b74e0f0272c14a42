/** The load generator behind `inferd bench` (a client tool: imports core types, never server or runtimes). */
export { runBench, reportSeries, writeReportFiles, type BenchOptions } from './bench.ts';
export { renderChart, type ChartPoint, type ChartSeries } from './chart.ts';
export { formatTable, formatErrors, progressLine, stepTag, totalErrors, type BenchReport } from './report.ts';
export { runStep, stepResult, type Load, type MeasureOptions, type StepResult, type StepProgress, type WindowReport } from './runner.ts';
export { isStable, percentile, summarize, type LatencySummary, type WindowSample } from './stats.ts';
export { generateInputs, selectSignature, tensorsFromPredictBody, type InputSpec, type RequestTensor, type SignatureInfo } from './inputs.ts';
export { restPredictBody, tensorProtoObject, type RestFormat } from './encode.ts';
export { RestTarget } from './rest-target.ts';
export { GrpcTarget } from './grpc-target.ts';
export type { Target, Outcome, ModelRef } from './target.ts';
