/**
 * Does an ONNX run hold the event loop? (issue 11 item 3.) Loads the bench MLP with the run on the event loop
 * (runThreads 0) and on a run thread (runThreads 1), and for each: (a) event-loop delay (perf_hooks histogram, max
 * and p99) while 64-row runs execute back to back, (b) wall and process CPU per 1-row run, sequential (the hop's
 * cost at c=1). `npx tsx bench/onnx-event-loop.ts`; prints a markdown table.
 */
import { rm } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tensor } from '../src/core/tensor.ts';
import type { LoadedModel } from '../src/core/runtime.ts';
import { OnnxRuntime } from '../src/runtimes/onnx/index.ts';
import { buildModels, MLP_OPTIONS } from './models.ts';

const signal = new AbortController().signal;
const input = (batch: number): Float32Array => Float32Array.from({ length: batch * MLP_OPTIONS.inputSize }, (_, i) => (i % 97) / 97);
const run = (m: LoadedModel, x: Float32Array, batch: number): Promise<unknown> =>
  m.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [batch, MLP_OPTIONS.inputSize], x) }, signal });

async function measure(m: LoadedModel): Promise<{ delayMaxMs: number; delayP99Ms: number; batchRunMs: number; oneRowWallUs: number; oneRowCpuUs: number }> {
  const big = input(64);
  for (let i = 0; i < 20; i++) await run(m, big, 64);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const n = 200;
  for (let i = 0; i < n; i++) await run(m, big, 64);
  const batchRunMs = (performance.now() - t0) / n;
  h.disable();
  const one = input(1);
  for (let i = 0; i < 200; i++) await run(m, one, 1);
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  const k = 3000;
  for (let i = 0; i < k; i++) await run(m, one, 1);
  const cpu = process.cpuUsage(cpu0);
  return { delayMaxMs: h.max / 1e6, delayP99Ms: h.percentile(99) / 1e6, batchRunMs, oneRowWallUs: ((performance.now() - w0) * 1000) / k, oneRowCpuUs: (cpu.user + cpu.system) / k };
}

const models = await buildModels();
try {
  const lines = ['| session | event-loop delay max ms (64-row runs back to back) | p99 ms | 64-row run ms | 1-row run wall µs | 1-row process CPU µs |', '|---|---:|---:|---:|---:|---:|'];
  for (const runThreads of [0, 1]) {
    const rt = await OnnxRuntime.create({ runThreads });
    const m = await rt.load({ modelName: 'mlp', version: 1, path: models.mlpBase + '/1' });
    const r = await measure(m);
    await m.close();
    lines.push(`| ${runThreads === 0 ? 'on the event loop' : 'run thread'} | ${r.delayMaxMs.toFixed(2)} | ${r.delayP99Ms.toFixed(2)} | ${r.batchRunMs.toFixed(2)} | ${r.oneRowWallUs.toFixed(0)} | ${r.oneRowCpuUs.toFixed(0)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(models.root, { recursive: true, force: true });
}
