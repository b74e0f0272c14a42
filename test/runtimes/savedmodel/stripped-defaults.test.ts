// SavedModels whose nodes carry none of their default-valued attributes and no stripped_op_list, as TensorFlow
// writes a graph saved with strip_default_attrs when the op list is lost: every result then depends on
// REGISTRY_DEFAULTS (op-defaults.ts) holding TensorFlow's registered defaults (checked op by op, see docs/runtimes.md).
// Each op is compared with a plain-loop reference written from TensorFlow's op documentation. The first four tests
// fail when the table's value for LRN, Max, Cumprod, BatchMatMulV2, ResizeNearestNeighbor is changed or removed; the
// last three cover ops whose tfjs kernels read none of the defaulted attributes (the answer must not depend on them;
// the TensorArray graph failed with "returned a promise" before flatten.ts listed TensorArray/TensorList ops as async).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { attr, constNode, type NodeSpec, writeSavedModel } from '../../support/savedmodel-builder.ts';

const F = 'DT_FLOAT';
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });
const i32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'int32', shape, data: Int32Array.from(values) });
const ints = (v: number[]) => ({ list: { i: v } });
const values = (t: Tensor | undefined): number[] => Array.from(t?.data as Float32Array | Int32Array, Number);

function assertClose(actual: Tensor | undefined, shape: number[], expected: number[]): void {
  assert.deepEqual(actual?.shape, shape);
  const got = values(actual);
  assert.equal(got.length, expected.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= 1e-5 * Math.max(1, Math.abs(expected[i] as number)), `[${i}] ${v} ≠ ${expected[i]}`));
}

describe('registry defaults for stripped attributes', () => {
  let rt: SavedModelRuntime;
  let tmp: string;
  let count = 0;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-defaults-'));
  });
  after(async () => {
    await rt?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * Runs a graph fed with `x` whose nodes carry only the attributes that have no registry default; `outputs` maps an
   * output alias to [tensor, dtype], by default y = `y:0` float.
   */
  async function run(x: Tensor, nodes: NodeSpec[], outputs: Record<string, [string, string]> = { y: ['y:0', F] }): Promise<Record<string, Tensor>> {
    const dir = path.join(tmp, `m${count++}`, '1');
    const xType = x.dtype === 'int32' ? 'DT_INT32' : F;
    writeSavedModel(dir, {
      nodes: [{ name: 'x', op: 'Placeholder', attr: { dtype: attr.type(xType) } }, ...nodes],
      signatures: {
        serving_default: {
          inputs: { x: { name: 'x:0', dtype: xType } },
          outputs: Object.fromEntries(Object.entries(outputs).map(([alias, [name, dtype]]) => [alias, { name, dtype }])),
        },
      },
    });
    const m = await rt.load({ modelName: 'm', version: 1, path: dir });
    try {
      return await m.run({ signatureName: 'serving_default', inputs: { x } });
    } finally {
      await m.close();
    }
  }

  it('LRN: depth_radius 5, bias 1, alpha 1, beta 0.5', async () => {
    const c = 13;
    const input = Array.from({ length: 2 * c }, (_, i) => ((i * 7) % 11) / 5 - 1);
    const r = await run(f32([1, 1, 2, c], input), [{ name: 'y', op: 'LRN', input: ['x'] }]);
    const expected = input.map((v, i) => {
      const base = i - (i % c);
      let sq = 0;
      for (let d = Math.max(0, (i % c) - 5); d <= Math.min(c - 1, (i % c) + 5); d++) sq += (input[base + d] as number) ** 2;
      return v / (1 + sq) ** 0.5;
    });
    assertClose(r['y'], [1, 1, 2, c], expected);
  });

  it('Max without keep_dims, Cumprod neither exclusive nor reverse, ReverseV2', async () => {
    const r = await run(f32([2, 3], [1, 5, 2, -3, 4, 0.5]), [
      constNode('axis1', i32([], [1])),
      constNode('axes', i32([1], [1])),
      { name: 'y', op: 'Max', input: ['x', 'axis1'], attr: { T: attr.type(F) } },
      { name: 'cp', op: 'Cumprod', input: ['x', 'axis1'], attr: { T: attr.type(F) } },
      { name: 'rev', op: 'ReverseV2', input: ['x', 'axes'], attr: { T: attr.type(F) } },
    ], { y: ['y:0', F], cp: ['cp:0', F], rev: ['rev:0', F] });
    assertClose(r['y'], [2], [5, 4]);
    assertClose(r['cp'], [2, 3], [1, 5, 10, -3, -12, -6]);
    assertClose(r['rev'], [2, 3], [2, 5, 1, 0.5, 4, -3]);
  });

  it('BatchMatMulV2 and MatMul without adjoint/transpose', async () => {
    const a = [1, 2, 3, 4, 5, 6, -1, 0, 2, 1, 1, 1]; // [2, 2, 3]
    const b = [1, 0, 2, 1, -1, 3]; // [3, 2]
    const r = await run(f32([2, 2, 3], a), [
      constNode('b', f32([3, 2], b)),
      constNode('m', f32([3, 1], [1, 2, 3])),
      constNode('shape2', i32([2], [4, 3])),
      { name: 'y', op: 'BatchMatMulV2', input: ['x', 'b'], attr: { T: attr.type(F) } },
      { name: 'flat', op: 'Reshape', input: ['x', 'shape2'], attr: { T: attr.type(F) } },
      { name: 'mm', op: 'MatMul', input: ['flat', 'm'], attr: { T: attr.type(F) } },
    ], { y: ['y:0', F], mm: ['mm:0', F] });
    const expected: number[] = [];
    for (let row = 0; row < 4; row++) for (let col = 0; col < 2; col++) expected.push([0, 1, 2].reduce((s, k) => s + (a[row * 3 + k] as number) * (b[k * 2 + col] as number), 0));
    assertClose(r['y'], [2, 2, 2], expected);
    assertClose(r['mm'], [4, 1], [0, 1, 2, 3].map((row) => [0, 1, 2].reduce((s, k) => s + (a[row * 3 + k] as number) * (k + 1), 0)));
  });

  it('DepthToSpace in NHWC, ResizeNearestNeighbor without align_corners or half-pixel centers', async () => {
    const input = Array.from({ length: 8 }, (_, i) => i + 1); // [1, 1, 2, 4]
    const r = await run(f32([1, 1, 2, 4], input), [
      { name: 'y', op: 'DepthToSpace', input: ['x'], attr: { T: attr.type(F), block_size: attr.i(2) } },
      constNode('size', i32([2], [3, 5])),
      { name: 'rs', op: 'ResizeNearestNeighbor', input: ['y', 'size'], attr: { T: attr.type(F) } },
    ], { y: ['y:0', F], rs: ['rs:0', F] });
    // DepthToSpace: out[h*2+bh, w*2+bw] = in[h, w, bh*2+bw] (one output channel).
    const d2s: number[] = [];
    for (let oh = 0; oh < 2; oh++) for (let ow = 0; ow < 4; ow++) d2s.push(input[Math.floor(ow / 2) * 4 + (oh % 2) * 2 + (ow % 2)] as number);
    assertClose(r['y'], [1, 2, 4, 1], d2s);
    // Legacy nearest neighbour: source = min(floor(dst * in / out), in - 1).
    const rs: number[] = [];
    for (let oh = 0; oh < 3; oh++) for (let ow = 0; ow < 5; ow++) rs.push(d2s[Math.min(Math.floor((oh * 2) / 3), 1) * 4 + Math.min(Math.floor((ow * 4) / 5), 3)] as number);
    assertClose(r['rs'], [1, 3, 5, 1], rs);
  });

  it('TensorArrayV3 scatter then gather outside a loop runs (tfjs executes TensorArray ops asynchronously)', async () => {
    const input = [1, 2, 3, 4, 5, 6]; // [3, 2]
    const r = await run(f32([3, 2], input), [
      constNode('size', i32([], [3])),
      { name: 'ta', op: 'TensorArrayV3', input: ['size'], attr: { dtype: attr.type(F) } },
      constNode('order', i32([3], [2, 0, 1])),
      { name: 'scatter', op: 'TensorArrayScatterV3', input: ['ta', 'order', 'x', 'ta:1'], attr: { T: attr.type(F) } },
      constNode('all', i32([3], [0, 1, 2])),
      { name: 'y', op: 'TensorArrayGatherV3', input: ['ta', 'all', 'scatter'], attr: { dtype: attr.type(F) } },
    ]);
    // Row i of x is written at order[i]; reading 0..2 back gives x's rows 1, 2, 0.
    assertClose(r['y'], [3, 2], [3, 4, 5, 6, 1, 2]);
  });

  it('MaxPool3D and AvgPool3D in NDHWC (tfjs assumes NDHWC itself)', async () => {
    const input = [3, -1, 7, 2, 0.5, 4, -2, 6]; // [1, 2, 2, 2, 1]
    const window = { ksize: ints([1, 2, 2, 2, 1]), strides: ints([1, 2, 2, 2, 1]), padding: attr.s('VALID') };
    const r = await run(f32([1, 2, 2, 2, 1], input), [
      { name: 'y', op: 'MaxPool3D', input: ['x'], attr: { T: attr.type(F), ...window } },
      { name: 'avg', op: 'AvgPool3D', input: ['x'], attr: { T: attr.type(F), ...window } },
    ], { y: ['y:0', F], avg: ['avg:0', F] });
    assertClose(r['y'], [1, 1, 1, 1, 1], [7]);
    assertClose(r['avg'], [1, 1, 1, 1, 1], [input.reduce((s, v) => s + v, 0) / 8]);
  });

  it('UniqueV2 over an int64 axis answers int32 indices; SparseSegmentSum/Mean (tfjs reads no defaulted attribute)', async () => {
    const r = await run(f32([5, 2], [3, 1, 0, 2, 3, 1, 5, 5, 0, 2]), [
      constNode('axis', { dtype: 'int64', shape: [1], data: new BigInt64Array([0n]) }),
      { name: 'y', op: 'UniqueV2', input: ['x', 'axis'], attr: { T: attr.type(F) } },
      constNode('indices', i32([3], [0, 1, 3])),
      constNode('segments', i32([3], [0, 0, 1])),
      { name: 'ssum', op: 'SparseSegmentSum', input: ['x', 'indices', 'segments'], attr: { T: attr.type(F) } },
      { name: 'smean', op: 'SparseSegmentMean', input: ['x', 'indices', 'segments'], attr: { T: attr.type(F) } },
    ], { y: ['y:0', F], idx: ['y:1', 'DT_INT32'], ssum: ['ssum:0', F], smean: ['smean:0', F] });
    assertClose(r['y'], [3, 2], [3, 1, 0, 2, 5, 5]);
    assert.equal(r['idx']?.dtype, 'int32');
    assert.deepEqual(values(r['idx']), [0, 1, 0, 2, 1]);
    assertClose(r['ssum'], [2, 2], [3, 3, 5, 5]);
    assertClose(r['smean'], [2, 2], [1.5, 1.5, 5, 5]);
  });
});
