/**
 * Child process of test/e2e/memory-cycles.test.ts (run with `node --expose-gc --import tsx`): loads, queries and
 * unloads one model CYCLES times through a ModelServer and prints one JSON line with memory after the first and the
 * last cycle and how many loaded versions were opened and are still open. Arguments: <platform> <base path>.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import type { LoadedModel } from '../../src/core/runtime.ts';
import type { Tensor } from '../../src/core/tensor.ts';
import { createRuntimes } from '../../src/server/compose.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { sleep, waitUntil } from './helpers.ts';

/** Load/unload cycles per run. */
export const CYCLES = 50;
/** The MLP the ONNX run uses (~1.6 MB of weights, so a leaked session per cycle adds ~80 MB). */
export const MLP = { inputSize: 256, hidden: [512, 512], outputs: 10 };

/** What the child prints. */
export interface CycleReport {
  /** After the first cycle's unload. */
  readonly first: NodeJS.MemoryUsage;
  /** After the last cycle's unload, the server still open (the same threads alive as for `first`). */
  readonly lastCycle: NodeJS.MemoryUsage;
  /** After the server and its runtimes closed. */
  readonly last: NodeJS.MemoryUsage;
  readonly opened: number;
  readonly open: number;
  readonly skipped?: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function settleMemory(): Promise<NodeJS.MemoryUsage> {
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 2; i += 1) {
    gc();
    await sleep(10);
  }
  return process.memoryUsage();
}

async function main(platform: string, basePath: string): Promise<CycleReport | { skipped: string }> {
  const runtimes = await createRuntimes();
  if (!runtimes.some((r) => r.platform === platform)) {
    await Promise.all(runtimes.map((r) => r.close()));
    return { skipped: `no ${platform} runtime registered in src/server/compose.ts` };
  }
  const input: Tensor = platform === 'onnx'
    ? { dtype: 'float32', shape: [4, MLP.inputSize], data: new Float32Array(4 * MLP.inputSize).fill(0.5) }
    : { dtype: 'float32', shape: [3, 1], data: new Float32Array([1, 2, 5]) };
  let opened = 0;
  let open = 0;
  const server = await ModelServer.create({
    models: [], runtimes, pollWaitSeconds: 0, maxLoadRetries: 0,
    // Count live versions: the wrapper's close is the manager's unload reaching the runtime's close.
    decorate: (model: LoadedModel): LoadedModel => {
      opened += 1;
      open += 1;
      let closed = false;
      return {
        metadata: model.metadata,
        run: (request) => model.run(request),
        close: async () => {
          if (!closed) open -= 1;
          closed = true;
          await model.close();
        },
      };
    },
  });
  let first: NodeJS.MemoryUsage | undefined;
  let lastCycle: NodeJS.MemoryUsage | undefined;
  try {
    for (let i = 0; i < CYCLES; i += 1) {
      await server.addModel({ name: 'm', basePath, platform });
      await server.whenSettled();
      const res = await server.predict({ spec: { name: 'm' }, decodeInputs: (signature) => ({ [Object.keys(signature.inputs)[0] ?? 'x']: input }) });
      assert.ok(Object.keys(res.outputs).length > 0, 'the model answers');
      await server.removeModel('m');
      await waitUntil(() => server.status('m').every((s) => s.state === 'END'), `unload in cycle ${i + 1}`, 15_000, 2);
      // Collect each cycle's garbage (model bytes read at load, tensors) now, so what is measured is what the
      // server retains, not how far V8 happened to let garbage pile up before its next collection.
      const memory = await settleMemory();
      if (i === 0) first = memory;
      lastCycle = memory;
      if (process.env.INFERD_MEMORY_TRACE) process.stderr.write(`cycle ${i + 1} rss ${(memory.rss / 2 ** 20).toFixed(1)} MB\n`);
    }
  } finally {
    await server.close();
  }
  const last = await settleMemory();
  assert.ok(first && lastCycle);
  return { first, lastCycle, last, opened, open };
}

const [script, platform = 'onnx', basePath = ''] = process.argv.slice(1);
// Run only as a script: the test imports this module for its constants.
if (script !== undefined && import.meta.url === pathToFileURL(script).href) {
  main(platform, basePath).then(
    // Exit explicitly: a runtime that left a handle open must not turn into a hung test.
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
