/**
 * The batching bench of issue 6: `npx tsx bench/batching/run.ts [--quick] [--profile] [--no-docs]`.
 * Builds the MLP 784→1024→1024→10, then measures side by side in one run, at concurrency 32 with one-row requests:
 * inferd REST with several batching parameter sets and without batching, gRPC tensor_content, the express +
 * onnxruntime-node baseline, and the two ceilings (in-process ORT at its best batch size; bare node:http with a
 * canned response); then concurrency-1 p50 with batching on vs off, and a concurrency sweep for the chart.
 * Writes bench/batching/results.json, the results section of docs/batching.md and docs/batching-chart.svg.
 * `--quick` shortens every window (a smoke run; numbers are noisy). Loads only 127.0.0.1. About 6 minutes in full.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderChart, reportSeries, type MeasureOptions } from '../../src/loadgen/index.ts';
import { mlp } from '../../test/support/models.ts';
import { REPO_ROOT } from '../../test/support/serve.ts';
import { machineInfo } from '../machine.ts';
import { MLP_OPTIONS } from '../models.ts';
import { REST_BODIES } from '../payloads.ts';
import { startBaseline } from '../processes.ts';
import { summariseProfiles } from '../profile.ts';
import { bareHttpRow, expressRow, inferdRows, inProcessRows, latencyAtOne, paramLabel, restReport, startMlpServer, type ParamSet, type Row, type Setup } from './contenders.ts';
import { markdown, ratios, writeSection, type BatchingResults } from './report.ts';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false }, 'no-docs': { type: 'boolean', default: false } } });
const quick = flags.quick === true;
const started = performance.now();
const loadAtStart = loadavg()[0] ?? 0;
const log = (line: string): void => void process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

/** Parameter sets tried (max_batch_size 32/64, batch_timeout_micros 0/1000/2000, num_batch_threads 1/2). */
const PARAM_SETS: readonly ParamSet[] = quick
  ? [{ maxBatchSize: 32, batchTimeoutMicros: 0, numBatchThreads: 1 }, { maxBatchSize: 32, batchTimeoutMicros: 1000, numBatchThreads: 2 }]
  : [
    { maxBatchSize: 32, batchTimeoutMicros: 0, numBatchThreads: 1 },
    { maxBatchSize: 32, batchTimeoutMicros: 1000, numBatchThreads: 1 },
    { maxBatchSize: 32, batchTimeoutMicros: 2000, numBatchThreads: 1 },
    { maxBatchSize: 64, batchTimeoutMicros: 1000, numBatchThreads: 1 },
    { maxBatchSize: 32, batchTimeoutMicros: 0, numBatchThreads: 2 },
    { maxBatchSize: 32, batchTimeoutMicros: 1000, numBatchThreads: 2 },
    { maxBatchSize: 64, batchTimeoutMicros: 2000, numBatchThreads: 2 },
  ];
const MEASURE: MeasureOptions = quick
  ? { warmupSeconds: 0.3, windowSeconds: 0.5, stability: 0.1, maxWindows: 3 }
  : { warmupSeconds: 1, windowSeconds: 2, stability: 0.1, maxWindows: 6 };
const SWEEP_MEASURE: MeasureOptions = quick
  ? { warmupSeconds: 0.2, windowSeconds: 0.3, stability: 0.2, maxWindows: 3 }
  : { warmupSeconds: 0.5, windowSeconds: 1, stability: 0.1, maxWindows: 4 };
const LATENCY_MEASURE: MeasureOptions = quick
  ? { warmupSeconds: 0.2, windowSeconds: 0.5, stability: 0.1, maxWindows: 3 }
  : { warmupSeconds: 0.5, windowSeconds: 2, stability: 0.1, maxWindows: 4 };
const SWEEP = [1, 4, 16, 32, 64];
const CONCURRENCY = 32;

const dir = await mkdtemp(join(tmpdir(), 'inferd-batching-bench-'));
try {
  const date = new Date().toISOString();
  const machine = machineInfo();
  const modelFile = await mlp(join(dir, 'mlp', '1'), MLP_OPTIONS);
  const configFile = join(dir, 'models.config');
  await writeFile(configFile, `model_config_list {\n  config { name: "mlp" base_path: "${join(dir, 'mlp')}" model_platform: "onnx" }\n}\n`);
  const bodyFile = join(dir, 'request.json');
  await writeFile(bodyFile, REST_BODIES.mlp);
  const setup: Setup = { dir, configFile, modelFile, bodyFile, measure: MEASURE, concurrency: CONCURRENCY, log };

  // Ceiling (b) first, while nothing else runs.
  const inProcess = await inProcessRows(setup, [1, 8, 32, 64, 128, 256], quick ? 0.5 : 1.5);
  const rows: Row[] = [];

  // inferd without batching; its answer is the bare-http ceiling's canned response.
  const plain = await startMlpServer(setup, null);
  const canned = await (await fetch(`${plain.server.restUrl}/v1/models/mlp:predict`, { method: 'POST', body: REST_BODIES.mlp })).text();
  await plain.server.stop();
  rows.push(...(await inferdRows(setup, null, true)));
  for (const p of PARAM_SETS) rows.push(...(await inferdRows(setup, p, false)));
  const best = rows.filter((r) => r.group === 'batching').reduce((a, b) => (b.throughput > a.throughput ? b : a));
  const bestParams = best.params!;
  rows.push(...(await inferdRows(setup, bestParams, true)).filter((r) => r.group === 'grpc'));
  rows.push(await expressRow(setup));
  rows.push(await bareHttpRow(setup, canned));
  rows.push(inProcess.best);

  // Concurrency 1: batching off vs on (best parameters), alternating rounds so drift hits both.
  log(`concurrency 1 p50: batching off vs on (${paramLabel(bestParams)})`);
  const off = await startMlpServer(setup, null);
  const on = await startMlpServer(setup, bestParams);
  let c1: { a: number[]; b: number[] };
  try {
    c1 = await latencyAtOne(setup, off.server, on.server, quick ? 1 : 3, LATENCY_MEASURE);
  } finally {
    await off.server.stop();
    await on.server.stop();
  }

  // Sweep for the chart: batching (best), no batching, express.
  log(`sweep ${SWEEP.join(',')} for the chart`);
  const series = [];
  for (const params of [bestParams, null]) {
    const s = await startMlpServer(setup, params);
    try {
      series.push(reportSeries(await restReport(setup, s.server.restUrl, SWEEP, SWEEP_MEASURE), params ? `inferd, batching (${params.maxBatchSize}/${params.batchTimeoutMicros}µs/${params.numBatchThreads})` : 'inferd, no batching'));
    } finally {
      await s.server.stop();
    }
  }
  const express = await startBaseline('express-ort', 'express-ort.ts', [`--model=mlp=${modelFile}`]);
  try {
    series.push(reportSeries(await restReport(setup, express.url, SWEEP, SWEEP_MEASURE), 'express + onnxruntime-node'));
  } finally {
    await express.stop();
  }

  // Optional: where the batching server's time goes at the bench concurrency.
  let profile: string[] = [];
  if (flags.profile) {
    log('profiling the batching server (node --cpu-prof)');
    const profDir = join(dir, 'profile');
    await mkdir(profDir);
    const s = await startMlpServer(setup, bestParams, profDir);
    try {
      await restReport(setup, s.server.restUrl, [CONCURRENCY], { ...MEASURE, maxWindows: 3 });
    } finally {
      await s.server.stop();
    }
    profile = await summariseProfiles(profDir);
  }

  const results: BatchingResults = {
    date, machine, concurrency: CONCURRENCY, measure: MEASURE, rows, inProcess: inProcess.all,
    command: `npx tsx bench/batching/run.ts${quick ? ' --quick' : ''}${flags.profile ? ' --profile' : ''}`,
    latencyAtOne: { off: c1.a, on: c1.b, onLabel: paramLabel(bestParams) },
    profile,
    seconds: (performance.now() - started) / 1000,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  };
  const md = markdown(results);
  process.stdout.write(`${md}\n`);
  const q = ratios(results);
  log(`best batching ${q.bestBatching.throughput.toFixed(0)}/s; ×${q.vsExpress.toFixed(2)} express; ${(q.vsCeiling * 100).toFixed(0)}% of lower ceiling; c=1 overhead ${(q.latencyOverhead * 100).toFixed(1)}%`);
  await writeFile(quick ? join(tmpdir(), 'inferd-batching-results.quick.json') : join(REPO_ROOT, 'bench', 'batching', 'results.json'), `${JSON.stringify({ ...results, series }, null, 2)}\n`);
  if (!flags['no-docs'] && !quick) {
    await writeSection(join(REPO_ROOT, 'docs', 'batching.md'), md);
    await writeFile(join(REPO_ROOT, 'docs', 'batching-chart.svg'), renderChart(series, `MLP 784→1024→1024→10, one row per request (${machine.cores} cores)`));
    log('wrote docs/batching.md (results section) and docs/batching-chart.svg');
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
