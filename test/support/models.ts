/**
 * Test and demo ONNX models, built with onnx-builder and written as `<versionDir>/model.onnx`.
 * Every writer takes a version directory (created if missing) and returns the model file's path, so a test
 * lays out `<base>/<version>/model.onnx` as TensorFlow Serving expects. Each model runs on onnxruntime-node
 * (test/runtimes/onnx/models.test.ts proves it).
 */
import { join } from 'node:path';
import type { DType } from '../../src/core/dtype.ts';
import { prng } from '../../src/loadgen/inputs.ts';
import { type ModelSpec, type DimSpec, writeModel } from './onnx-builder.ts';

/** The file name the ONNX runtime looks for inside a version directory. */
export const ONNX_MODEL_FILE = 'model.onnx';

const write = (versionDir: string, spec: ModelSpec): Promise<string> => writeModel(join(versionDir, ONNX_MODEL_FILE), spec);

/** y = 0.5·x + 2 on float32 x of shape ['batch'] (so `{"instances": [1.0, 2.0, 5.0]}` → [2.5, 3.0, 4.5]). */
export function halfPlusTwoSpec(shape: readonly DimSpec[] = ['batch']): ModelSpec {
  return {
    name: 'half_plus_two',
    inputs: [{ name: 'x', dtype: 'float32', shape }],
    outputs: [{ name: 'y', dtype: 'float32', shape }],
    initializers: [
      { name: 'half', dtype: 'float32', dims: [], data: new Float32Array([0.5]) },
      { name: 'two', dtype: 'float32', dims: [], data: new Float32Array([2]) },
    ],
    nodes: [
      { op: 'Mul', inputs: ['x', 'half'], outputs: ['x_half'] },
      { op: 'Add', inputs: ['x_half', 'two'], outputs: ['y'] },
    ],
  };
}

/** Write y = 0.5·x + 2 (float32, input `x`, output `y`, shape ['batch'] unless given). */
export function halfPlusTwo(versionDir: string, shape?: readonly DimSpec[]): Promise<string> {
  return write(versionDir, halfPlusTwoSpec(shape));
}

/** Write a two-input/two-output model: a, b float32 ['batch', 2] → sum = a + b, product = a · b. */
export function twoInTwoOut(versionDir: string): Promise<string> {
  const shape = ['batch', 2];
  return write(versionDir, {
    name: 'two_in_two_out',
    inputs: [{ name: 'a', dtype: 'float32', shape }, { name: 'b', dtype: 'float32', shape }],
    outputs: [{ name: 'sum', dtype: 'float32', shape }, { name: 'product', dtype: 'float32', shape }],
    nodes: [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['sum'] },
      { op: 'Mul', inputs: ['a', 'b'], outputs: ['product'] },
    ],
  });
}

/** Shape of a multi-layer perceptron: Dense(+ReLU) layers of `hidden` sizes, then a linear output layer. */
export interface MlpOptions {
  readonly inputSize: number;
  readonly hidden: readonly number[];
  readonly outputs: number;
  /** Seed of the deterministic weights. Default 42. */
  readonly seed?: number;
}

/** Deterministic weights of an MLP: per layer, W as [in, out] row-major and b as [out]. */
export interface MlpWeights {
  readonly layers: readonly { readonly w: Float32Array; readonly b: Float32Array; readonly in: number; readonly out: number }[];
}


/** The weights `mlp` writes for these options (uniform in ±1/√fan_in, biases in ±0.1). */
export function mlpWeights(opts: MlpOptions): MlpWeights {
  const rand = prng(opts.seed ?? 42);
  const sizes = [opts.inputSize, ...opts.hidden, opts.outputs];
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    const out = sizes[l + 1]!;
    const scale = 1 / Math.sqrt(fanIn);
    const w = new Float32Array(fanIn * out);
    for (let i = 0; i < w.length; i++) w[i] = (rand() * 2 - 1) * scale;
    const b = new Float32Array(out);
    for (let i = 0; i < b.length; i++) b[i] = (rand() * 2 - 1) * 0.1;
    layers.push({ w, b, in: fanIn, out });
  }
  return { layers };
}

/** The ONNX spec of an MLP: input `x` float32 ['batch', inputSize] → output `y` float32 ['batch', outputs] (logits). */
export function mlpSpec(opts: MlpOptions): ModelSpec {
  const { layers } = mlpWeights(opts);
  const nodes: ModelSpec['nodes'][number][] = [];
  const initializers: NonNullable<ModelSpec['initializers']>[number][] = [];
  let current = 'x';
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    initializers.push({ name: `w${l}`, dtype: 'float32', dims: [layer.in, layer.out], data: layer.w });
    initializers.push({ name: `b${l}`, dtype: 'float32', dims: [layer.out], data: layer.b });
    nodes.push({ op: 'MatMul', inputs: [current, `w${l}`], outputs: [`mm${l}`] });
    const added = last ? 'y' : `pre${l}`;
    nodes.push({ op: 'Add', inputs: [`mm${l}`, `b${l}`], outputs: [added] });
    if (!last) {
      nodes.push({ op: 'Relu', inputs: [added], outputs: [`h${l}`] });
      current = `h${l}`;
    }
  });
  return {
    name: 'mlp',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', opts.inputSize] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', opts.outputs] }],
    initializers,
    nodes,
  };
}

/** Write an MLP (see mlpSpec). The bench uses 784→[1024,1024]→10; tests use small ones. */
export function mlp(versionDir: string, opts: MlpOptions): Promise<string> {
  return write(versionDir, mlpSpec(opts));
}

/** What the MLP computes, in plain JS (float64 accumulation): x is [batch, inputSize] row-major. For test oracles. */
export function mlpReference(opts: MlpOptions, x: Float32Array, batch: number): Float32Array {
  let act: Float64Array = Float64Array.from(x);
  const { layers } = mlpWeights(opts);
  layers.forEach((layer, l) => {
    const next = new Float64Array(batch * layer.out);
    for (let r = 0; r < batch; r++) {
      for (let o = 0; o < layer.out; o++) {
        let s = layer.b[o]!;
        for (let i = 0; i < layer.in; i++) s += act[r * layer.in + i]! * layer.w[i * layer.out + o]!;
        next[r * layer.out + o] = l < layers.length - 1 ? Math.max(0, s) : s;
      }
    }
    act = next;
  });
  return Float32Array.from(act);
}

/** Numeric dtypes addOne supports (those onnxruntime's CPU Add kernel implements). */
export type AddOneDType = 'float32' | 'float64' | 'int32' | 'int64';

/** Write y = x + 1 for x of `dtype` with shape ['batch'] (int64 is the canonical int64 test model). */
export function addOne(versionDir: string, dtype: AddOneDType = 'int64'): Promise<string> {
  const one = {
    float32: new Float32Array([1]), float64: new Float64Array([1]), int32: new Int32Array([1]), int64: new BigInt64Array([1n]),
  }[dtype];
  return write(versionDir, {
    name: `add_one_${dtype}`,
    inputs: [{ name: 'x', dtype, shape: ['batch'] }],
    outputs: [{ name: 'y', dtype, shape: ['batch'] }],
    initializers: [{ name: 'one', dtype, dims: [], data: one }],
    nodes: [{ op: 'Add', inputs: ['x', 'one'], outputs: ['y'] }],
  });
}

/** Write y = not x, bool ['batch']. */
export function logicalNot(versionDir: string): Promise<string> {
  return write(versionDir, {
    name: 'logical_not',
    inputs: [{ name: 'x', dtype: 'bool', shape: ['batch'] }],
    outputs: [{ name: 'y', dtype: 'bool', shape: ['batch'] }],
    nodes: [{ op: 'Not', inputs: ['x'], outputs: ['y'] }],
  });
}

/**
 * Write y = Identity(x) for any dtype ONNX carries (string, uint8, int8, uint16, ..., float16), shape given
 * (default ['batch']). `shape: null` declares no shape at all (unknown rank).
 */
export function identity(versionDir: string, dtype: DType = 'string', shape: readonly DimSpec[] | null = ['batch']): Promise<string> {
  return write(versionDir, {
    name: `identity_${dtype}`,
    inputs: [{ name: 'x', dtype, shape }],
    outputs: [{ name: 'y', dtype, shape }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
}

/** Write the string model: y = Identity(x), string ['batch']. */
export function stringIdentity(versionDir: string): Promise<string> {
  return identity(versionDir, 'string');
}

/** Write a model whose file is not an ONNX model at all (for load-error tests). */
export async function corruptModel(versionDir: string): Promise<string> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(versionDir, { recursive: true });
  const file = join(versionDir, ONNX_MODEL_FILE);
  await writeFile(file, 'this is not a protobuf model \u0000\u0001\u0002');
  return file;
}
