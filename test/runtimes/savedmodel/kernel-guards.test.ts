// Issues 9 D1 and 17 at the runtime: after "victim" runs that fill the tfjs heap with recognisable values, inputs of
// rank 0-9, zero-size inputs and empty reductions answer what TensorFlow answers (never a victim's value), on
// tfjs-backend-wasm in the calling thread and on tfjs-backend-cpu in a worker. Also the dimension merging that lets
// XNNPACK's 6-dimension ops run higher ranks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import type { LoadedModel } from '../../../src/core/runtime.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { mergeBroadcastDims } from '../../../src/runtimes/tfjs-kernels/kernel-guards.ts';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { writeAffineTf1, writeMatMul, writePooledEmbedding, writeReduction, type ReductionOp } from '../../support/savedmodel-small.ts';

const f32 = (shape: number[], values: ArrayLike<number>): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const victim = (shape = [4096]) => f32(shape, Array.from({ length: count(shape) }, (_, i) => 1000 + i));
const run = async (m: LoadedModel, x: Tensor) => (await m.run({ signatureName: 'serving_default', inputs: { x } }))['y'] as Tensor;

describe('mergeBroadcastDims', () => {
  it('merges dims that broadcast alike, drops size-1 dims, and gives up past the limit', () => {
    assert.deepEqual(mergeBroadcastDims([[1, 1, 1, 1, 1, 1, 1, 3], []], [1, 1, 1, 1, 1, 1, 1, 3]), { operands: [[3], [1]], out: [3] });
    assert.deepEqual(mergeBroadcastDims([[2, 3, 4, 1, 1, 1, 1], [1, 1, 1, 5, 6, 7, 8]], [2, 3, 4, 5, 6, 7, 8]), { operands: [[24, 1], [1, 1680]], out: [24, 1680] });
    assert.equal(mergeBroadcastDims([[2, 1, 2, 1, 2, 1, 2, 1], [1, 2, 1, 2, 1, 2, 1, 2]], [2, 2, 2, 2, 2, 2, 2, 2]), undefined);
  });
});

for (const mode of [{ name: 'wasm, in-thread', workers: 0, backend: 'wasm' as const }, { name: 'cpu, worker', workers: 1, backend: 'cpu' as const }]) {
  describe(`SavedModel kernels answer no stale memory (${mode.name})`, () => {
    let tmp: string;
    let rt: SavedModelRuntime;
    const models = new Map<string, LoadedModel>();
    const load = async (key: string, write: (dir: string) => void) => {
      const dir = path.join(tmp, key, '1');
      write(dir);
      const m = await rt.load({ modelName: key, version: 1, path: dir });
      models.set(key, m);
      return m;
    };
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-guards-'));
      rt = await SavedModelRuntime.create({ workers: mode.workers, backend: mode.backend });
    });
    after(async () => {
      for (const m of models.values()) await m.close();
      await rt?.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('y = 0.5x + 2 for ranks 0-9 (D1: rank >= 7 answered the previous request)', async () => {
      const m = await load('affine', (d) => writeAffineTf1(d, 0.5, 2));
      for (let rank = 0; rank <= 9; rank++) {
        const shape = Array.from({ length: rank }, (_, i) => (i === rank - 1 ? 3 : i % 3 === 0 ? 2 : 1));
        const x = Array.from({ length: count(shape) }, (_, i) => i - 4);
        await run(m, victim());
        const y = await run(m, f32(shape, x));
        assert.deepEqual(y.shape, shape);
        assert.deepEqual(Array.from(y.data as Float32Array), x.map((v) => 0.5 * v + 2), `rank ${rank}`);
      }
      for (const shape of [[0], [2, 0], [0, 3], [1, 0, 1, 1, 1, 1, 1, 1]]) {
        await run(m, victim());
        const y = await run(m, f32(shape, []));
        assert.deepEqual(y.shape, shape);
      }
    });

    const expected: Record<Exclude<ReductionOp, 'ArgMax'>, number> = { Mean: NaN, Sum: 0, Max: -Infinity, Min: Infinity, Prod: 1 };
    // Worker loads are slow (a thread and a tfjs engine each): the cpu worker run covers one reduction.
    for (const [op, value] of Object.entries(expected).filter(([op]) => mode.workers === 0 || op === 'Mean')) {
      it(`${op} over an empty axis is ${value} (TensorFlow's identity)`, async () => {
        const over1 = await load(`${op}-1`, (d) => writeReduction(d, op as ReductionOp, 1));
        const over0 = await load(`${op}-0`, (d) => writeReduction(d, op as ReductionOp, 0));
        for (const [m, shape, want] of [[over1, [2, 0], [2]], [over0, [0, 3], [3]], [over1, [4, 0, 2], [4, 2]]] as const) {
          await run(m, victim([64, 64, 2]));
          const y = await run(m, f32([...shape], []));
          assert.deepEqual(y.shape, want);
          assert.deepEqual(Array.from(y.data as Float32Array), Array<number>(count([...want])).fill(value));
        }
      });
    }

    it('ArgMax over an empty axis is INVALID_ARGUMENT, as in TensorFlow', { skip: mode.workers > 0 && 'covered in-thread' }, async () => {
      const m = await load('argmax', (d) => writeReduction(d, 'ArgMax', 1));
      await run(m, victim([64, 64]));
      await assert.rejects(run(m, f32([2, 0], [])), (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && /Reduction axis 1 is empty in shape \[2,0\]/.test(e.message));
    });

    it('issue 17: an embedding averaged over an empty sequence is NaN, not the previous request\'s row', async () => {
      const m = await load('pooled', writePooledEmbedding);
      const sigmoid = (v: number) => Math.fround(1 / (1 + Math.exp(-v)));
      const first = await run(m, f32([2, 2], [7, 8, 9, 10]));
      assert.deepEqual(first.shape, [2, 1]);
      Array.from(first.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - sigmoid(4 * (i === 0 ? 0.75 : 0.95))) < 1e-6));
      for (const shape of [[2, 0], [1, 0]]) {
        const y = await run(m, f32(shape, []));
        assert.deepEqual(y.shape, [shape[0], 1]);
        assert.ok(Array.from(y.data as Float32Array).every(Number.isNaN), `[${shape.join(',')}] answers NaN: ${Array.from(y.data as Float32Array).join(',')}`);
      }
    });

    it('MatMul with an empty inner dimension is zeros', { skip: mode.workers > 0 && 'covered in-thread' }, async () => {
      const m = await load('matmul', (d) => writeMatMul(d, 0, 3));
      const filler = await load('matmul-filler', (d) => writeMatMul(d, 64, 3));
      await run(filler, victim([64, 64]));
      const y = await run(m, f32([2, 0], []));
      assert.deepEqual(y.shape, [2, 3]);
      assert.deepEqual(Array.from(y.data as Float32Array), [0, 0, 0, 0, 0, 0]);
    });
  });
}
