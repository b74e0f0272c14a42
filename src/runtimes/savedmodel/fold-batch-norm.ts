/**
 * Inference batch normalization folded into the preceding convolution, as TensorFlow's grappler does for frozen
 * graphs: Conv2D / DepthwiseConv2dNative (NHWC, float, constant filter) [→ BiasAdd with a constant bias] →
 * FusedBatchNorm(V2/V3) with is_training false and constant scale, offset, mean and variance becomes the convolution
 * with filter W·s and a BiasAdd with bias (b − mean)·s + offset, where s = scale / √(variance + epsilon) per output
 * channel. Keras CNN layers are exported as Conv (no bias) → BatchNormalization → ReLU; after folding, fuse.ts
 * turns each into one fused kernel. The BiasAdd takes the batch norm's name, so consumers keep their references.
 * Folded constants are new weights (`<conv>/inferd_folded_filter`, `<bn>/inferd_folded_bias`); the originals stay for
 * any other user. Chains whose intermediates are fetched or shared, or whose batch norm's statistics outputs are
 * used, are left alone.
 */
import type { Tensor } from '../../core/tensor.ts';
import { parseTensorName } from './graph-util.ts';
import type { NodeObj } from './proto.ts';

const BATCH_NORMS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);
const CONVS = new Set(['Conv2D', 'DepthwiseConv2dNative']);
const text = (s: Uint8Array | undefined): string => (s ? new TextDecoder().decode(s) : '');

/** The constant float32 weight behind `ref` (following Identity nodes), or undefined. */
function constantOf(ref: string, byName: ReadonlyMap<string, NodeObj>, weights: Readonly<Record<string, Tensor>>): Float32Array | undefined {
  const node = byName.get(identityRoot(parseTensorName(ref).node, byName));
  if (!node || node.op !== 'Const') return undefined;
  const t = weights[node.name];
  return t?.dtype === 'float32' ? (t.data as Float32Array) : undefined;
}

/** `nodes` with conv [+ BiasAdd] + inference batch norm chains folded; new constants are added to `weights`. */
export function foldBatchNorms(nodes: readonly NodeObj[], fetched: readonly string[], weights: Record<string, Tensor>): NodeObj[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const uses = new Map<string, string[]>();
  for (const n of nodes) {
    for (const i of n.input) {
      const ref = i.startsWith('^') ? `${i.slice(1)}:ctl` : i.includes(':') ? i : `${i}:0`;
      const node = parseTensorName(i.startsWith('^') ? i.slice(1) : i).node;
      uses.set(node, [...(uses.get(node) ?? []), ref]);
    }
  }
  for (const f of fetched) uses.set(parseTensorName(f).node, [...(uses.get(parseTensorName(f).node) ?? []), 'fetch']);
  const soleConsumer = (name: string): NodeObj | undefined => {
    const u = uses.get(name) ?? [];
    if (u.length !== 1 || u[0] === 'fetch' || !(u[0] as string).endsWith(':0')) return undefined;
    return nodes.find((n) => n.input.some((i) => parseTensorName(i).node === name && !i.startsWith('^')));
  };
  const replaced = new Map<string, NodeObj>();
  const removed = new Set<string>();
  for (const conv of nodes) {
    if (!CONVS.has(conv.op) || conv.attr['T']?.type !== 'DT_FLOAT' || text(conv.attr['data_format']?.s) !== 'NHWC') continue;
    let next = soleConsumer(conv.name);
    let bias: NodeObj | undefined;
    if (next?.op === 'BiasAdd' && text(next.attr['data_format']?.s) === 'NHWC') {
      bias = next;
      next = soleConsumer(bias.name);
    }
    const bn = next;
    if (!bn || !BATCH_NORMS.has(bn.op) || bn.attr['is_training']?.b !== false || text(bn.attr['data_format']?.s) !== 'NHWC') continue;
    if ((uses.get(bn.name) ?? []).some((u) => u !== 'fetch' && !u.endsWith(':0'))) continue;
    if (fetched.some((f) => parseTensorName(f).node === bn.name && parseTensorName(f).index !== 0)) continue;
    const [scale, offset, mean, variance] = bn.input.slice(1, 5).map((r) => constantOf(r, byName, weights));
    const filterRef = conv.input[1] ?? '';
    const filter = constantOf(filterRef, byName, weights);
    const b = bias ? constantOf(bias.input[1] ?? '', byName, weights) : undefined;
    if (!scale || !offset || !mean || !variance || !filter || (bias && !b)) continue;
    const channels = scale.length;
    if (filter.length % channels !== 0 || offset.length !== channels || mean.length !== channels || variance.length !== channels) continue;
    const epsilon = Number(bn.attr['epsilon']?.f ?? 0.0001);
    const s = scale.map((g, c) => g / Math.sqrt((variance[c] as number) + epsilon));
    const folded = filter.map((w, i) => w * (s[i % channels] as number));
    const newBias = s.map((sc, c) => (((b?.[c] ?? 0) - (mean[c] as number)) * sc) + (offset[c] as number));
    const filterName = `${conv.name}/inferd_folded_filter`;
    const biasName = `${bn.name}/inferd_folded_bias`;
    const shape = [...(weights[identityRoot(parseTensorName(filterRef).node, byName)]?.shape ?? [])];
    weights[filterName] = { dtype: 'float32', shape, data: folded };
    weights[biasName] = { dtype: 'float32', shape: [channels], data: newBias };
    const constNode = (name: string): NodeObj => ({ name, op: 'Const', input: [], attr: { dtype: { type: 'DT_FLOAT' } } });
    replaced.set(conv.name, { ...conv, input: [conv.input[0] as string, filterName, ...conv.input.slice(2)] });
    replaced.set(bn.name, { name: bn.name, op: 'BiasAdd', input: [conv.name, biasName], attr: { T: { type: 'DT_FLOAT' }, data_format: { s: new TextEncoder().encode('NHWC') } } });
    if (bias) removed.add(bias.name);
    replaced.set(`${filterName}`, constNode(filterName));
    replaced.set(`${biasName}`, constNode(biasName));
  }
  if (replaced.size === 0) return [...nodes];
  const out = nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n);
  for (const [name, n] of replaced) if (!byName.has(name)) out.push(n);
  return out;
}

/** The Const node name behind a chain of Identity nodes starting at `name`. */
function identityRoot(name: string, byName: ReadonlyMap<string, NodeObj>): string {
  let node = byName.get(name);
  for (let hops = 0; node && node.op === 'Identity' && hops < 8; hops++) node = byName.get(parseTensorName(node.input[0] ?? '').node);
  return node?.name ?? name;
}
