/**
 * Guards around tfjs kernels that, left alone, answer with memory nobody wrote (issues 9 D1 and 17). On
 * tfjs-backend-wasm an output buffer is `malloc`ed from a heap that earlier requests used, so a kernel that returns
 * without writing leaks a previous request's values:
 * - reductions (Sum, Mean, Max, Min, Prod, All, Any) skip the kernel when the input has no elements, even when the
 *   output has some (`reduce_mean` of shape [2,0] over axis 1 is [2]); on cpu they answer 0 where TensorFlow gives
 *   NaN or -inf, and ArgMax/ArgMin answer 0 where TensorFlow fails;
 * - XNNPACK binary ops (Add, Mul, ...) and Pad accept at most 6 dimensions and silently do nothing beyond;
 * - XNNPACK MatMul with an empty inner dimension fails to set up and does nothing.
 * Each guard answers what TensorFlow answers (its reduction identities; `Reduction axis N is empty in shape [...]`
 * for ArgMax/ArgMin), merges broadcast-equivalent dimensions so any rank runs when the shapes allow it, or fails with
 * INVALID_ARGUMENT naming the limit. As a net for kernels nobody has found yet, every wasm output buffer is filled
 * with UNWRITTEN_BYTE before its kernel runs, so an unwritten float is a recognisable NaN that the server's output
 * check (core/output-check.ts) refuses, never a stale value.
 *
 * Shared by the two runtimes that run TensorFlow.js kernels (savedmodel, tfjs): this folder is kernel plumbing, not a
 * runtime, and imports only core and tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InferdError } from '../../core/errors.ts';
import { UNWRITTEN_BYTE } from '../../core/output-check.ts';

/** XNNPACK's XNN_MAX_TENSOR_DIMS: the most dimensions its elementwise and pad operators accept. */
export const XNNPACK_MAX_RANK = 6;

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info | undefined>; attrs: Record<string, unknown>; backend: tf.KernelBackend };
type KernelFn = (args: KernelArgs) => Info | Info[];

/** The tfjs backend surface the guards use: wasm's makeOutput/disposeData or cpu's makeTensorInfo/disposeData. */
interface OutputBackend {
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): Info;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): Info;
  disposeData(dataId: object, force?: boolean): boolean;
}

function makeInfo(backend: tf.KernelBackend, shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): Info {
  const b = backend as unknown as OutputBackend;
  // cpu has both, and its makeOutput takes (values, shape, dtype): prefer makeTensorInfo, which wasm lacks.
  if (b.makeTensorInfo) return b.makeTensorInfo(shape, dtype, values);
  if (b.makeOutput) return b.makeOutput(shape, dtype, undefined, values);
  throw InferdError.internal('tfjs backend can make no tensors');
}

function filled(dtype: tf.DataType, count: number, value: number): tf.backend_util.BackendValues {
  if (dtype === 'int32') return new Int32Array(count).fill(value);
  if (dtype === 'bool') return new Uint8Array(count).fill(value);
  return new Float32Array(count).fill(value);
}

function wrap(kernelName: string, backendName: string, guard: (original: KernelFn) => KernelFn): void {
  const config = tf.getKernel(kernelName, backendName);
  if (!config || (config as { guarded?: boolean }).guarded) return;
  const original = config.kernelFunc as unknown as KernelFn;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ ...config, kernelFunc: guard(original) as unknown as tf.KernelFunc, guarded: true } as tf.KernelConfig);
}

// ---- empty reductions ----

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** TensorFlow's value for a reduction over no elements (reduction_ops.h identities), by kernel and dtype. */
function reductionIdentity(kernel: string, dtype: tf.DataType): number {
  const int = dtype === 'int32';
  switch (kernel) {
    case 'Sum': case 'Any': return 0;
    case 'Prod': case 'All': return 1;
    case 'Mean': return int ? 0 : NaN;
    case 'Max': return int ? INT32_MIN : -Infinity;
    case 'Min': return int ? INT32_MAX : Infinity;
  }
  throw InferdError.internal(`no identity for ${kernel}`);
}

function normalizeAxes(axis: unknown, rank: number): number[] {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))];
}

const guardReduction = (kernel: string) => (original: KernelFn): KernelFn => (args) => {
  const x = args.inputs['x'];
  if (!x || tf.util.sizeFromShape(x.shape) !== 0) return original(args);
  // Max names its axes `reductionIndices`, the other reductions `axis`.
  const axes = normalizeAxes(args.attrs['axis'] ?? args.attrs['reductionIndices'], x.shape.length);
  const keepDims = args.attrs['keepDims'] === true;
  const outShape: number[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.includes(i)) outShape.push(d);
    else if (keepDims) outShape.push(1);
  });
  const dtype: tf.DataType = kernel === 'Mean' ? 'float32' : x.dtype;
  const count = tf.util.sizeFromShape(outShape);
  return makeInfo(args.backend, outShape, dtype, filled(dtype, count, reductionIdentity(kernel, x.dtype)));
};

/**
 * ArgMax/ArgMin over an empty axis fail in TensorFlow (ArgOp): so here. An empty input whose axis is not empty
 * answers an empty result (tfjs would divide by zero).
 */
const guardArgReduction = (original: KernelFn): KernelFn => (args) => {
  const x = args.inputs['x'];
  if (!x) return original(args);
  const axes = normalizeAxes(args.attrs['axis'], x.shape.length);
  for (const axis of axes) {
    if (x.shape[axis] === 0) throw InferdError.invalidArgument(`Reduction axis ${axis} is empty in shape [${x.shape.join(',')}]`);
  }
  if (tf.util.sizeFromShape(x.shape) !== 0) return original(args);
  const outShape = x.shape.filter((_, i) => !axes.includes(i));
  return makeInfo(args.backend, outShape, 'int32', new Int32Array(tf.util.sizeFromShape(outShape)));
};

// ---- rank limits (wasm) ----

/**
 * Merge dimensions of a broadcast so XNNPACK's 6-dimension limit is met when possible: size-1 output dims are
 * dropped and neighbouring dims are merged when every operand either spans both or broadcasts over both (the
 * memory layout is the same). Returns the operands' and output's merged shapes, or undefined when still too many.
 */
export function mergeBroadcastDims(shapes: readonly (readonly number[])[], out: readonly number[], maxRank = XNNPACK_MAX_RANK): { operands: number[][]; out: number[] } | undefined {
  const rank = out.length;
  const aligned = shapes.map((s) => [...Array<number>(rank - s.length).fill(1), ...s]);
  const operands: number[][] = shapes.map(() => []);
  const merged: number[] = [];
  let lastPattern = '';
  for (let i = 0; i < rank; i++) {
    const o = out[i] as number;
    if (o === 1) continue;
    const pattern = aligned.map((s) => (s[i] === o ? 'f' : 'b')).join('');
    if (pattern === lastPattern && merged.length > 0) {
      merged[merged.length - 1] = (merged[merged.length - 1] as number) * o;
      aligned.forEach((s, k) => {
        const ops = operands[k] as number[];
        ops[ops.length - 1] = (ops[ops.length - 1] as number) * (s[i] as number);
      });
    } else {
      merged.push(o);
      aligned.forEach((s, k) => (operands[k] as number[]).push(s[i] as number));
      lastPattern = pattern;
    }
  }
  return merged.length <= maxRank ? { operands, out: merged } : undefined;
}

const guardBinaryRank = (kernel: string) => (original: KernelFn): KernelFn => (args) => {
  const a = args.inputs['a'];
  const b = args.inputs['b'];
  if (!a || !b) return original(args);
  const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  if (out.length <= XNNPACK_MAX_RANK || tf.util.sizeFromShape(out) === 0) return original(args);
  const merged = mergeBroadcastDims([a.shape, b.shape], out);
  if (!merged) {
    throw InferdError.invalidArgument(
      `${kernel} of shapes [${a.shape.join(',')}] and [${b.shape.join(',')}]: inferd's SavedModel runtime supports at most ${XNNPACK_MAX_RANK} dimensions ` +
      'for this op after merging dimensions that broadcast alike',
    );
  }
  const [sa, sb] = merged.operands as [number[], number[]];
  const result = original({ ...args, inputs: { ...args.inputs, a: { ...a, shape: sa }, b: { ...b, shape: sb } } }) as Info;
  return { ...result, shape: out };
};

const guardPadRank = (original: KernelFn): KernelFn => (args) => {
  const x = args.inputs['x'];
  const paddings = args.attrs['paddings'] as [number, number][] | undefined;
  if (!x || !paddings || x.shape.length <= XNNPACK_MAX_RANK || tf.util.sizeFromShape(x.shape) === 0) return original(args);
  // Unpadded neighbours merge; unpadded size-1 dims vanish.
  const shape: number[] = [];
  const pads: [number, number][] = [];
  let lastUnpadded = false;
  x.shape.forEach((d, i) => {
    const [before, after] = paddings[i] ?? [0, 0];
    const unpadded = before === 0 && after === 0;
    if (unpadded && d === 1) return;
    if (unpadded && lastUnpadded) shape[shape.length - 1] = (shape[shape.length - 1] as number) * d;
    else {
      shape.push(d);
      pads.push([before, after]);
    }
    lastUnpadded = unpadded;
  });
  if (shape.length > XNNPACK_MAX_RANK) {
    throw InferdError.invalidArgument(`Pad of shape [${x.shape.join(',')}]: inferd's SavedModel runtime supports at most ${XNNPACK_MAX_RANK} dimensions for this op`);
  }
  const outShape = x.shape.map((d, i) => d + (paddings[i]?.[0] ?? 0) + (paddings[i]?.[1] ?? 0));
  if (shape.length === 0) {
    shape.push(1);
    pads.push([0, 0]);
  }
  const result = original({ ...args, inputs: { ...args.inputs, x: { ...x, shape } }, attrs: { ...args.attrs, paddings: pads } }) as Info;
  return { ...result, shape: outShape };
};

/** MatMul with an empty inner dimension is all zeros (then bias and activation): run it with one zero term instead. */
const guardEmptyInnerDim = (original: KernelFn): KernelFn => (args) => {
  const a = args.inputs['a'];
  const b = args.inputs['b'];
  if (!a || !b || a.shape.length < 2 || b.shape.length < 2) return original(args);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = args.attrs['transposeA'] ? a.shape[ra - 2] : a.shape[ra - 1];
  if (k !== 0) return original(args);
  const widen = (t: Info, kAxis: number): Info => {
    const shape = t.shape.map((d, i) => (i === kAxis ? 1 : d));
    return makeInfo(args.backend, shape, t.dtype, filled(t.dtype, tf.util.sizeFromShape(shape), 0));
  };
  const za = widen(a, args.attrs['transposeA'] ? ra - 2 : ra - 1);
  const zb = widen(b, args.attrs['transposeB'] ? rb - 1 : rb - 2);
  try {
    return original({ ...args, inputs: { ...args.inputs, a: za, b: zb } });
  } finally {
    const backend = args.backend as unknown as OutputBackend;
    backend.disposeData(za.dataId);
    backend.disposeData(zb.dataId);
  }
};

// ---- poison (wasm) ----

interface WasmBackendShape {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number | null } | undefined };
  move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
  poisoned?: boolean;
}

function poisonNewBuffers(backend: WasmBackendShape): void {
  if (backend.poisoned) return;
  backend.poisoned = true;
  const move = backend.move.bind(backend);
  backend.move = (dataId, values, shape, dtype, refCount) => {
    move(dataId, values, shape, dtype, refCount);
    if (values != null || dtype === 'string') return;
    const offset = backend.dataIdMap.get(dataId)?.memoryOffset;
    const bytes = tf.util.sizeFromShape(shape) * tf.util.bytesPerElement(dtype);
    if (offset != null && bytes > 0) backend.wasm.HEAPU8.fill(UNWRITTEN_BYTE, offset, offset + bytes);
  };
}

const REDUCTIONS = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'All', 'Any'];
const BINARY = [
  'Add', 'Sub', 'Multiply', 'RealDiv', 'FloorDiv', 'Maximum', 'Minimum', 'Mod', 'Pow', 'SquaredDifference', 'Atan2',
  'Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor', 'BitwiseAnd',
];

/** Register the guards for one backend's kernels (idempotent). Call before tf.setBackend(backendName). */
export function installKernelGuards(backendName: 'wasm' | 'cpu'): void {
  for (const k of REDUCTIONS) wrap(k, backendName, guardReduction(k));
  for (const k of ['ArgMax', 'ArgMin']) wrap(k, backendName, guardArgReduction);
  if (backendName !== 'wasm') return;
  for (const k of BINARY) wrap(k, backendName, guardBinaryRank(k));
  wrap('PadV2', backendName, guardPadRank);
  wrap('BatchMatMul', backendName, guardEmptyInnerDim);
  wrap('_FusedMatMul', backendName, guardEmptyInnerDim);
}

/** Fill every buffer the active wasm backend allocates for an output with UNWRITTEN_BYTE (no-op on cpu). */
export function poisonActiveBackend(): void {
  const backend = tf.backend() as unknown as Partial<WasmBackendShape>;
  if (backend.wasm && backend.dataIdMap && typeof backend.move === 'function') poisonNewBuffers(backend as WasmBackendShape);
}
