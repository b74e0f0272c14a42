/**
 * Does a TF.js run hold the event loop? (issue 11 item 2.) For the TF.js runtime with runs on the event loop
 * (runThreads 0) and on run threads (runThreads 1): (a) event-loop delay (perf_hooks histogram, max and p99) while
 * a 1.6 M-weight Dense stack (6.4 MB) runs 64-row batches back to back, (b) wall and process CPU per run of the
 * chopstick example's model (1 row, 85 weights), sequential: the hop's cost at c=1. Between the large runs the loop
 * yields to the event loop once (setImmediate), as a server does between requests: without that, a chain of runs
 * settled by microtasks never lets the histogram's timer fire, and the delay would read 0.
 * `npx tsx bench/tfjs-event-loop.ts`; prints a markdown table.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LoadedModel } from '../src/core/runtime.ts';
import { tensor } from '../src/core/tensor.ts';
import { saveToDirectory } from '../src/runtimes/tfjs/model-files.ts';
import { TfjsRuntime } from '../src/runtimes/tfjs/index.ts';
import { readDataset } from '../examples/chopstick/src/dataset.ts';
import { train } from '../examples/chopstick/src/model.ts';
import { writeDenseStack } from '../test/support/tfjs-models.ts';

const SIZES = [512, 1024, 1024, 16];
const BATCH = 64;
const signal = new AbortController().signal;

const root = await mkdtemp(join(tmpdir(), 'inferd-bench-tfjs-'));
try {
  await mkdir(join(root, 'large'));
  await writeDenseStack(join(root, 'large'), SIZES, 7);
  const trained = await train(await readDataset(), { epochs: 2 });
  await mkdir(join(root, 'chopstick'));
  await trained.model.save(saveToDirectory(join(root, 'chopstick')));
  trained.model.dispose();

  const big = tensor('float32', [BATCH, SIZES[0] as number], Float32Array.from({ length: BATCH * (SIZES[0] as number) }, (_, i) => (i % 97) / 97));
  const one = tensor('float32', [1, 1], new Float32Array([240]));
  const runLarge = (m: LoadedModel): Promise<unknown> => m.run({ signatureName: 'serving_default', inputs: { x: big }, signal });
  const runTiny = (m: LoadedModel): Promise<unknown> => m.run({ signatureName: 'serving_default', inputs: { length_mm: one }, signal });

  const lines = ['| TF.js runs | event-loop delay max ms (64-row runs of the 6.4 MB Dense stack, back to back) | p99 ms | 64-row run ms | chopstick 1-row run wall µs | process CPU µs |', '|---|---:|---:|---:|---:|---:|'];
  for (const runThreads of [0, 1]) {
    const rt = await TfjsRuntime.create({ runThreads });
    const large = await rt.load({ modelName: 'large', version: 1, path: join(root, 'large') });
    for (let i = 0; i < 5; i++) await runLarge(large);
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = performance.now();
    const n = 30;
    for (let i = 0; i < n; i++) {
      await runLarge(large);
      await new Promise((resolve) => setImmediate(resolve)); // as between requests: back to the event loop
    }
    const runMs = (performance.now() - t0) / n;
    h.disable();
    await large.close();

    const tiny = await rt.load({ modelName: 'chopstick', version: 1, path: join(root, 'chopstick') });
    for (let i = 0; i < 2000; i++) await runTiny(tiny);
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const k = 3000;
    for (let i = 0; i < k; i++) await runTiny(tiny);
    const cpu = process.cpuUsage(cpu0);
    const wallUs = ((performance.now() - w0) * 1000) / k;
    await tiny.close();
    lines.push(`| ${runThreads === 0 ? 'on the event loop' : 'run thread'} | ${(h.max / 1e6).toFixed(1)} | ${(h.percentile(99) / 1e6).toFixed(1)} | ${runMs.toFixed(1)} | ${wallUs.toFixed(0)} | ${((cpu.user + cpu.system) / k).toFixed(0)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
