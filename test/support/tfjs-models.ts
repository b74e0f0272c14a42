/**
 * TF.js model folders for tests, written the way TensorFlow.js writes them: LayersModels built with tfjs-layers
 * and saved with the runtime's saveToDirectory, and GraphModels written as the converter's model.json (a GraphDef in
 * JSON, Const values in the weight shard, the SignatureDef under `signature`).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { prng } from '../../src/loadgen/inputs.ts';
import { saveToDirectory } from '../../src/runtimes/tfjs/model-files.ts';

/** One node of a GraphDef in the converter's JSON form. */
export interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Record<string, unknown>;
}

/** A Const node's value, stored in the weight shard. */
export interface GraphConst {
  readonly name: string;
  readonly dtype: 'float32' | 'int32' | 'bool';
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/** Signature tensor as the converter writes it. */
export interface SignatureTensor {
  readonly name: string;
  readonly dtype: string;
}

const TF_TYPE = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' } as const;

/** A Placeholder of unknown shape. */
export const placeholder = (name: string, tfType: string): GraphNode => ({
  name, op: 'Placeholder', attr: { dtype: { type: tfType }, shape: { shape: { unknownRank: true } } },
});

/** An op node with attribute T = tfType. */
export const op = (name: string, kind: string, input: readonly string[], tfType: string): GraphNode => ({
  name, op: kind, input, attr: { T: { type: tfType } },
});

/** Write a graph-model folder. */
export async function writeGraphModel(
  dir: string,
  graph: { nodes: readonly GraphNode[]; consts?: readonly GraphConst[]; inputs: Record<string, SignatureTensor>; outputs: Record<string, SignatureTensor> },
): Promise<void> {
  const consts = graph.consts ?? [];
  const constNodes: GraphNode[] = consts.map((c) => ({
    name: c.name,
    op: 'Const',
    attr: {
      dtype: { type: TF_TYPE[c.dtype] },
      value: { tensor: { dtype: TF_TYPE[c.dtype], tensorShape: { dim: c.shape.map((size) => ({ size: String(size) })) } } },
    },
  }));
  const buffers = consts.map((c) => Buffer.from(
    c.dtype === 'float32' ? new Float32Array(c.values).buffer : c.dtype === 'int32' ? new Int32Array(c.values).buffer : new Uint8Array(c.values).buffer,
  ));
  const sigInfo = (list: Record<string, SignatureTensor>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(list).map(([alias, t]) => [alias, { name: t.name, dtype: t.dtype, tensorShape: { unknownRank: true } }]));
  const json = {
    format: 'graph-model',
    generatedBy: 'inferd tests',
    convertedBy: 'inferd tests',
    modelTopology: { node: [...constNodes, ...graph.nodes], library: {}, versions: { producer: 1 } },
    weightsManifest: [{ paths: consts.length > 0 ? ['group1-shard1of1.bin'] : [], weights: consts.map((c) => ({ name: c.name, shape: [...c.shape], dtype: c.dtype })) }],
    signature: { inputs: sigInfo(graph.inputs), outputs: sigInfo(graph.outputs) },
  };
  if (consts.length > 0) await writeFile(path.join(dir, 'group1-shard1of1.bin'), Buffer.concat(buffers));
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
}

/** x float32 (any shape) → y = 0.5x + 2, as a graph-model. */
export function writeHalfPlusTwoGraph(dir: string): Promise<void> {
  return writeGraphModel(dir, {
    consts: [{ name: 'a', dtype: 'float32', shape: [], values: [0.5] }, { name: 'b', dtype: 'float32', shape: [], values: [2] }],
    nodes: [placeholder('x', 'DT_FLOAT'), op('mul', 'Mul', ['x', 'a'], 'DT_FLOAT'), op('add', 'AddV2', ['mul', 'b'], 'DT_FLOAT'), op('y', 'Identity', ['add'], 'DT_FLOAT')],
    inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } },
    outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT' } },
  });
}

/** x dtype [n] → y = x (Identity), as a graph-model. */
export function writeIdentityGraph(dir: string, tfType: string): Promise<void> {
  return writeGraphModel(dir, {
    nodes: [placeholder('x', tfType), op('y', 'Identity', ['x'], tfType)],
    inputs: { x: { name: 'x:0', dtype: tfType } },
    outputs: { y: { name: 'y:0', dtype: tfType } },
  });
}

/** x bool [n] → y = !x, as a graph-model. */
export function writeLogicalNotGraph(dir: string): Promise<void> {
  return writeGraphModel(dir, {
    nodes: [placeholder('x', 'DT_BOOL'), { name: 'y', op: 'LogicalNot', input: ['x'] }],
    inputs: { x: { name: 'x:0', dtype: 'DT_BOOL' } },
    outputs: { y: { name: 'y:0', dtype: 'DT_BOOL' } },
  });
}

/** a, b float32 [n, 2] → sum = a + b, product = a·b, as a tfjs-layers functional LayersModel. */
export async function writeTwoInTwoOutLayers(dir: string): Promise<void> {
  const a = tfl.input({ shape: [2], name: 'a' });
  const b = tfl.input({ shape: [2], name: 'b' });
  const sum = tfl.layers.add({ name: 'sum' }).apply([a, b]) as tfl.SymbolicTensor;
  const product = tfl.layers.multiply({ name: 'product' }).apply([a, b]) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: [a, b], outputs: [sum, product] });
  await model.save(saveToDirectory(dir));
  model.dispose();
}

/**
 * A small Dense classifier as a LayersModel with known weights: x float32 [n, 3] → probs = softmax(relu(xW1 + b1)W2 + b2).
 * Returns the weights so a test can compute the answer with plain loops.
 */
export async function writeDenseClassifier(dir: string): Promise<{ w1: number[][]; b1: number[]; w2: number[][]; b2: number[] }> {
  const w1 = [[0.5, -1, 0.25, 2], [1.5, 0.5, -0.75, 0], [-1, 0.25, 1, 0.5]];
  const b1 = [0.1, -0.2, 0.3, 0];
  const w2 = [[1, -1], [0.5, 0.5], [-0.25, 1], [2, -2]];
  const b2 = [0.05, -0.05];
  const x = tfl.input({ shape: [3], name: 'x' });
  const hidden = tfl.layers.dense({ units: 4, activation: 'relu', name: 'hidden' }).apply(x) as tfl.SymbolicTensor;
  const probs = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'probs' }).apply(hidden) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: x, outputs: probs });
  model.getLayer('hidden').setWeights([tf.tensor2d(w1), tf.tensor1d(b1)]);
  model.getLayer('probs').setWeights([tf.tensor2d(w2), tf.tensor1d(b2)]);
  await model.save(saveToDirectory(dir));
  model.dispose();
  return { w1, b1, w2, b2 };
}

/** The weights of a dense stack written by writeDenseStack: per layer, W row-major [in, out] and b [out]. */
export interface DenseStack {
  readonly sizes: readonly number[];
  readonly layers: readonly { readonly w: Float32Array; readonly b: Float32Array }[];
}

/**
 * A LayersModel of Dense layers with seeded weights: x float32 [n, sizes[0]] → y float32 [n, sizes.at(-1)], relu
 * between layers, linear output (e.g. sizes [512, 1024, 1024, 16]: 1.6 M weights, 6.4 MB, long runs at large n).
 * Returns the weights, so denseStackReference can compute the answer with plain loops.
 */
export async function writeDenseStack(dir: string, sizes: readonly number[], seed = 1): Promise<DenseStack> {
  const next = prng(seed);
  const x = tfl.input({ shape: [sizes[0] as number], name: 'x' });
  let h: tfl.SymbolicTensor = x;
  const layers: { w: Float32Array; b: Float32Array }[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const [fanIn, units] = [sizes[l - 1] as number, sizes[l] as number];
    const last = l === sizes.length - 1;
    const dense = tfl.layers.dense({ units, activation: last ? 'linear' : 'relu', name: last ? 'y' : `dense${l}` });
    h = dense.apply(h) as tfl.SymbolicTensor;
    const scale = Math.sqrt(2 / fanIn);
    const w = Float32Array.from({ length: fanIn * units }, () => (next() * 2 - 1) * scale);
    const b = Float32Array.from({ length: units }, () => (next() - 0.5) * 0.1);
    dense.setWeights([tf.tensor2d(w, [fanIn, units]), tf.tensor1d(b)]);
    layers.push({ w, b });
  }
  const model = tfl.model({ inputs: x, outputs: h });
  await model.save(saveToDirectory(dir));
  model.dispose();
  return { sizes, layers };
}

/** writeDenseStack's model on `batch` rows of `x`, in float64 plain loops (the oracle). */
export function denseStackReference(stack: DenseStack, x: Float32Array, batch: number): Float64Array {
  let act = Float64Array.from(x);
  stack.layers.forEach(({ w, b }, l) => {
    const [fanIn, units] = [stack.sizes[l] as number, stack.sizes[l + 1] as number];
    const out = new Float64Array(batch * units);
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < units; j++) {
        let s = b[j] as number;
        for (let i = 0; i < fanIn; i++) s += (act[r * fanIn + i] as number) * (w[i * units + j] as number);
        out[r * units + j] = l === stack.layers.length - 1 ? s : Math.max(0, s);
      }
    }
    act = out;
  });
  return act;
}
