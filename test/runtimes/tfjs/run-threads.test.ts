/**
 * TF.js run threads (issue 11 item 2): a TF.js model's runs leave the event loop free, concurrent runs on several
 * threads each answer their own request, a thread that dies fails its run with INTERNAL and is replaced, and
 * unloading lets runs in flight finish, then ends every thread. Oracle: the Dense stack computed in float64 plain
 * loops from the weights the test wrote (denseStackReference). No timing is asserted: only completion order.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoadedModel } from '../../../src/core/runtime.ts';
import { tensor, type Tensor } from '../../../src/core/tensor.ts';
import type { PoolThread } from '../../../src/core/thread-pool.ts';
import { TfjsRuntime } from '../../../src/runtimes/tfjs/index.ts';
import { TfjsRunThreads } from '../../../src/runtimes/tfjs/run-threads.ts';
import { TfjsLoadedModel } from '../../../src/runtimes/tfjs/tfjs-model.ts';
import { type DenseStack, denseStackReference, writeDenseStack } from '../../support/tfjs-models.ts';
import { rejectsWithCode } from '../conformance.ts';

/** Large: 1.6 M weights (6.4 MB); a 128-row run is hundreds of milliseconds of JavaScript kernels. */
const LARGE = [512, 1024, 1024, 16];
const LONG_BATCH = 128;
const SMALL = [8, 32, 4];

let root: string;
let large: DenseStack;
let small: DenseStack;
const open: LoadedModel[] = [];
const runtimes: TfjsRuntime[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'inferd-tfjs-threads-'));
  await mkdir(join(root, 'large'));
  await mkdir(join(root, 'small'));
  large = await writeDenseStack(join(root, 'large'), LARGE, 11);
  small = await writeDenseStack(join(root, 'small'), SMALL, 12);
});
after(async () => {
  await Promise.all(open.map((m) => m.close()));
  await Promise.all(runtimes.map((r) => r.close()));
  await rm(root, { recursive: true, force: true });
});

async function load(name: 'large' | 'small', runThreads: number, runtime?: TfjsRuntime): Promise<LoadedModel> {
  const rt = runtime ?? (await TfjsRuntime.create({ runThreads }));
  if (!runtime) runtimes.push(rt);
  const m = await rt.load({ modelName: name, version: 1, path: join(root, name) });
  open.push(m);
  return m;
}

function rows(width: number, batch: number, seed: number): Float32Array {
  return Float32Array.from({ length: width * batch }, (_, i) => Math.sin(seed * 31 + i));
}

function run(m: LoadedModel, x: Float32Array, batch: number, width: number): Promise<Readonly<Record<string, Tensor>>> {
  return m.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [batch, width], x) } });
}

function assertReference(stack: DenseStack, x: Float32Array, batch: number, out: Tensor | undefined): void {
  assert.ok(out);
  const want = denseStackReference(stack, x, batch);
  assert.deepEqual(out.shape, [batch, stack.sizes.at(-1)]);
  const got = out.data as Float32Array;
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-3 * (1 + Math.abs(want[i]!)), `element ${i}: ${got[i]} vs ${want[i]}`);
  }
}

function poolOf(m: LoadedModel): TfjsRunThreads {
  assert.ok(m instanceof TfjsLoadedModel && m.engine instanceof TfjsRunThreads, 'the model runs on run threads');
  return m.engine;
}

/** Start a long run of the large model, then three short runs of the small one; the order they complete in. */
async function completionOrder(runThreads: number): Promise<string[]> {
  const [big, little] = [await load('large', runThreads), await load('small', runThreads)];
  const x = rows(LARGE[0]!, LONG_BATCH, 1);
  const order: string[] = [];
  const long = run(big, x, LONG_BATCH, LARGE[0]!).then((out) => {
    order.push('long');
    assertReference(large, x, LONG_BATCH, out['y']);
  });
  const short = (async () => {
    for (let i = 0; i < 3; i++) {
      const xs = rows(SMALL[0]!, 1, 100 + i);
      assertReference(small, xs, 1, (await run(little, xs, 1, SMALL[0]!))['y']);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`short ${i}`);
    }
  })();
  await Promise.all([long, short]);
  return order;
}

describe('TF.js run threads', () => {
  it('a long run does not hold the event loop: other requests answer while it computes (on the event loop they wait)', async () => {
    assert.deepEqual(await completionOrder(1), ['short 0', 'short 1', 'short 2', 'long']);
    // The same with runs on the event loop (runThreads 0): the long run holds the loop until it is done.
    assert.deepEqual(await completionOrder(0), ['long', 'short 0', 'short 1', 'short 2']);
  });

  it('concurrent runs start threads up to the limit, each answering its own request', async () => {
    const m = await load('small', 3);
    const pool = poolOf(m);
    assert.equal(pool.pool.threadCount, 1, 'one thread at load');
    for (let wave = 0; wave < 3; wave++) {
      const inputs = Array.from({ length: 16 }, (_, i) => rows(SMALL[0]!, 2, wave * 100 + i));
      const outs = await Promise.all(inputs.map((x) => run(m, x, 2, SMALL[0]!)));
      outs.forEach((o, i) => assertReference(small, inputs[i]!, 2, o['y']));
      assert.ok(pool.pool.threadCount >= 1 && pool.pool.threadCount <= 3, `threads: ${pool.pool.threadCount}`);
    }
  });

  it('a thread that dies mid-run fails that run with INTERNAL; the next run gets a new thread', async () => {
    const m = await load('large', 1);
    const pool = poolOf(m);
    const [thread] = pool.pool.threads;
    assert.ok(thread);
    const x = rows(LARGE[0]!, LONG_BATCH, 2);
    const doomed = run(m, x, LONG_BATCH, LARGE[0]!);
    await new Promise((resolve) => setImmediate(resolve));
    await thread.terminate(); // as a crash ends it: the thread's exit while a run is in flight
    const err = await rejectsWithCode(doomed, 'INTERNAL');
    assert.match(err.message, /TF\.js run thread/);
    const xs = rows(LARGE[0]!, 2, 3);
    assertReference(large, xs, 2, (await run(m, xs, 2, LARGE[0]!))['y']);
    assert.equal(pool.pool.threadCount, 1);
    assert.ok(!pool.pool.threads.includes(thread), 'a new thread took the run');
  });

  it('unload lets the run in flight finish and keeps the threads idle for the next load; closing the runtime ends them', async () => {
    const rt = await TfjsRuntime.create({ runThreads: 2 });
    const m = await load('small', 2, rt);
    const pool = poolOf(m);
    await Promise.all(Array.from({ length: 6 }, (_, i) => run(m, rows(SMALL[0]!, 1, i), 1, SMALL[0]!)));
    const threads: readonly PoolThread[] = pool.pool.threads;
    assert.ok(threads.length >= 1);
    const x = rows(SMALL[0]!, 4, 9);
    const inFlight = run(m, x, 4, SMALL[0]!);
    await m.close();
    assertReference(small, x, 4, (await inFlight)['y']);
    assert.equal(pool.pool.threadCount, 0);
    assert.equal(rt.idleThreadCount, threads.length, 'the unloaded version\'s threads wait idle');
    await rejectsWithCode(run(m, x, 4, SMALL[0]!), 'UNAVAILABLE');

    // The next load (another model) opens on an idle thread instead of starting one, and answers its own weights.
    const next = await load('large', 2, rt);
    const reused = poolOf(next).pool.threads[0];
    assert.ok(reused && threads.includes(reused), 'the load reused an idle thread');
    const xs = rows(LARGE[0]!, 2, 4);
    assertReference(large, xs, 2, (await run(next, xs, 2, LARGE[0]!))['y']);
    await next.close();

    assert.equal(rt.idleThreadCount, threads.length);
    const exited = threads.map((t) => new Promise<void>((resolve) => t.on('exit', () => resolve())));
    await rt.close();
    await Promise.all(exited);
    assert.equal(rt.idleThreadCount, 0);
  });
});
