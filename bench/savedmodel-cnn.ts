/**
 * Benchmark (not a test): rows/s of a MobileNetV2-sized CNN (224×224×3 input, the MobileNetV2 block layout with
 * batch norm folded into the convolutions: 3.5 M parameters, ~300 M multiply-adds per image) on the SavedModel
 * runtime (tfjs-backend-wasm, in-thread) beside the same network as ONNX on onnxruntime-node, in the same process
 * and run. Weights are seeded random; only speed is measured.
 *
 *   npx tsx bench/savedmodel-cnn.ts [--seconds=5]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SavedModelRuntime } from '../src/runtimes/savedmodel/runtime.ts';
import { OnnxRuntime } from '../src/runtimes/onnx/onnx-runtime.ts';
import type { LoadedModel } from '../src/core/runtime.ts';
import type { Tensor } from '../src/core/tensor.ts';
import { attr, constNode, type NodeSpec as TfNode, writeSavedModel } from '../test/support/savedmodel-builder.ts';
import { encodeModel, type InitializerSpec, type NodeSpec as OnnxNode } from '../test/support/onnx-builder.ts';
import { seededFloats } from '../test/support/keras-models.ts';

/** One convolution of the network: kernel size, stride, output channels, depthwise or not, ReLU6 or linear. */
interface Conv { k: number; s: number; out: number; depthwise: boolean; relu6: boolean; residualFrom?: number }

/** MobileNetV2's layers (expansion t, channels c, repeats n, stride s), then the 1×1 1280 conv. */
function mobilenetV2(): Conv[] {
  const convs: Conv[] = [{ k: 3, s: 2, out: 32, depthwise: false, relu6: true }];
  let channels = 32;
  for (const [t, c, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]] as const) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const blockInput = convs.length - 1;
      if (t !== 1) convs.push({ k: 1, s: 1, out: channels * t, depthwise: false, relu6: true });
      convs.push({ k: 3, s: stride, out: channels * t, depthwise: true, relu6: true });
      const residual = stride === 1 && channels === c;
      convs.push({ k: 1, s: 1, out: c, depthwise: false, relu6: false, ...(residual ? { residualFrom: blockInput } : {}) });
      channels = c;
    }
  }
  convs.push({ k: 1, s: 1, out: 1280, depthwise: false, relu6: true });
  return convs;
}

const CLASSES = 1000;

function weightsOf(convs: Conv[]): { w: Float32Array; b: Float32Array; inC: number }[] {
  let inC = 3;
  return convs.map((c, i) => {
    const n = c.depthwise ? c.k * c.k * inC : c.k * c.k * inC * c.out;
    const out = { w: seededFloats(1000 + i, n, Math.sqrt(1 / (c.k * c.k * (c.depthwise ? 1 : inC)))), b: seededFloats(2000 + i, c.out, 0.01), inC };
    inC = c.out;
    return out;
  });
}

function writeTf(dir: string, convs: Conv[], ws: ReturnType<typeof weightsOf>, dense: Float32Array): void {
  const F = attr.type('DT_FLOAT');
  const nodes: TfNode[] = [{ name: 'x', op: 'Placeholder', attr: { dtype: F, shape: attr.shape([-1, 224, 224, 3]) } }];
  const outputs: string[] = [];
  let cur = 'x';
  convs.forEach((c, i) => {
    const { w, b, inC } = ws[i] as { w: Float32Array; b: Float32Array; inC: number };
    nodes.push(constNode(`w${i}`, { dtype: 'float32', shape: c.depthwise ? [c.k, c.k, inC, 1] : [c.k, c.k, inC, c.out], data: w }));
    nodes.push(constNode(`b${i}`, { dtype: 'float32', shape: [c.out], data: b }));
    const strides = { list: { i: [1, c.s, c.s, 1] } };
    nodes.push({ name: `conv${i}`, op: c.depthwise ? 'DepthwiseConv2dNative' : 'Conv2D', input: [cur, `w${i}`], attr: { T: F, strides, padding: attr.s('SAME') } });
    nodes.push({ name: `bias${i}`, op: 'BiasAdd', input: [`conv${i}`, `b${i}`], attr: { T: F } });
    cur = `bias${i}`;
    if (c.relu6) {
      nodes.push({ name: `relu${i}`, op: 'Relu6', input: [cur], attr: { T: F } });
      cur = `relu${i}`;
    }
    if (c.residualFrom !== undefined) {
      nodes.push({ name: `add${i}`, op: 'AddV2', input: [outputs[c.residualFrom] as string, cur], attr: { T: F } });
      cur = `add${i}`;
    }
    outputs.push(cur);
  });
  nodes.push(constNode('hw', { dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) }));
  nodes.push({ name: 'pool', op: 'Mean', input: [cur, 'hw'], attr: { T: F } });
  nodes.push(constNode('dense', { dtype: 'float32', shape: [1280, CLASSES], data: dense }));
  nodes.push({ name: 'logits', op: 'MatMul', input: ['pool', 'dense'], attr: { T: F } });
  nodes.push({ name: 'y', op: 'Softmax', input: ['logits'], attr: { T: F } });
  writeSavedModel(dir, {
    nodes,
    signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', shape: [-1, 224, 224, 3] } }, outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT', shape: [-1, CLASSES] } } } },
  });
}

/** Same network in ONNX (NCHW; filters transposed from HWIO to OIHW). */
function writeOnnx(dir: string, convs: Conv[], ws: ReturnType<typeof weightsOf>, dense: Float32Array): void {
  const nodes: OnnxNode[] = [];
  const inits: InitializerSpec[] = [];
  const outputs: string[] = [];
  let cur = 'x';
  convs.forEach((c, i) => {
    const { w, b, inC } = ws[i] as { w: Float32Array; b: Float32Array; inC: number };
    const oihw = new Float32Array(w.length);
    if (c.depthwise) {
      for (let y = 0; y < c.k; y++) for (let x = 0; x < c.k; x++) for (let ch = 0; ch < inC; ch++) oihw[(ch * c.k + y) * c.k + x] = w[(y * c.k + x) * inC + ch] as number;
    } else {
      for (let y = 0; y < c.k; y++) for (let x = 0; x < c.k; x++) for (let ci = 0; ci < inC; ci++) for (let co = 0; co < c.out; co++) {
        oihw[((co * inC + ci) * c.k + y) * c.k + x] = w[((y * c.k + x) * inC + ci) * c.out + co] as number;
      }
    }
    inits.push({ name: `w${i}`, dtype: 'float32', dims: c.depthwise ? [inC, 1, c.k, c.k] : [c.out, inC, c.k, c.k], data: oihw });
    inits.push({ name: `b${i}`, dtype: 'float32', dims: [c.out], data: b });
    const pad = c.k === 3 ? (c.s === 2 ? [0, 0, 1, 1] : [1, 1, 1, 1]) : [0, 0, 0, 0];
    nodes.push({ op: 'Conv', inputs: [cur, `w${i}`, `b${i}`], outputs: [`conv${i}`], attributes: { kernel_shape: { ints: [c.k, c.k] }, strides: { ints: [c.s, c.s] }, pads: { ints: pad }, group: { i: c.depthwise ? inC : 1 } } });
    cur = `conv${i}`;
    if (c.relu6) {
      nodes.push({ op: 'Clip', inputs: [cur, 'zero', 'six'], outputs: [`relu${i}`] });
      cur = `relu${i}`;
    }
    if (c.residualFrom !== undefined) {
      nodes.push({ op: 'Add', inputs: [outputs[c.residualFrom] as string, cur], outputs: [`add${i}`] });
      cur = `add${i}`;
    }
    outputs.push(cur);
  });
  inits.push({ name: 'zero', dtype: 'float32', dims: [], data: Float32Array.from([0]) }, { name: 'six', dtype: 'float32', dims: [], data: Float32Array.from([6]) });
  inits.push({ name: 'dense', dtype: 'float32', dims: [1280, CLASSES], data: dense });
  nodes.push({ op: 'GlobalAveragePool', inputs: [cur], outputs: ['pooled'] });
  nodes.push({ op: 'Flatten', inputs: ['pooled'], outputs: ['flat'] });
  nodes.push({ op: 'MatMul', inputs: ['flat', 'dense'], outputs: ['logits'] });
  nodes.push({ op: 'Softmax', inputs: ['logits'], outputs: ['y'], attributes: { axis: { i: -1 } } });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), encodeModel({
    name: 'mobilenetv2-sized', inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', CLASSES] }], nodes, initializers: inits,
  }));
}

async function rowsPerSecond(model: LoadedModel, input: string, shape: number[], seconds: number): Promise<number> {
  const x: Tensor = { dtype: 'float32', shape, data: seededFloats(7, shape.reduce((a, b) => a * b, 1), 1) };
  await model.run({ signatureName: 'serving_default', inputs: { [input]: x } });
  let rows = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await model.run({ signatureName: 'serving_default', inputs: { [input]: x } });
    rows += shape[0] as number;
  }
  return rows / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const seconds = Number(/--seconds=(\d+(\.\d+)?)/.exec(process.argv.join(' '))?.[1] ?? 5);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-cnn-bench-'));
  const convs = mobilenetV2();
  const ws = weightsOf(convs);
  const dense = seededFloats(3000, 1280 * CLASSES, 0.03);
  writeTf(path.join(tmp, 'tf'), convs, ws, dense);
  writeOnnx(path.join(tmp, 'onnx'), convs, ws, dense);
  const tf = await SavedModelRuntime.create({ workers: 0, backend: 'wasm' });
  const onnx = await OnnxRuntime.create({ intraOpNumThreads: 1 });
  const sm = await tf.load({ modelName: 'cnn', version: 1, path: path.join(tmp, 'tf') });
  const ox = await onnx.load({ modelName: 'cnn', version: 1, path: path.join(tmp, 'onnx') });
  console.log(`load average before: ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  console.log('| batch | SavedModel (tfjs wasm) rows/s | ONNX (onnxruntime-node, 1 thread) rows/s | SavedModel / ONNX |');
  console.log('|---|---|---|---|');
  for (const batch of [1, 8]) {
    const a = await rowsPerSecond(sm, 'x', [batch, 224, 224, 3], seconds);
    const b = await rowsPerSecond(ox, 'x', [batch, 3, 224, 224], seconds);
    console.log(`| ${batch} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(2)} |`);
  }
  console.log(`load average after: ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  await sm.close();
  await ox.close();
  await tf.close();
  await onnx.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

void main();
