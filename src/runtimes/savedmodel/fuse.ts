/**
 * Kernel fusion on a flattened signature graph, as TensorFlow's grappler remapper does at load: a Conv2D,
 * DepthwiseConv2dNative or MatMul whose only consumer is a BiasAdd (NHWC), optionally followed by that BiasAdd's
 * only consumer Relu or Relu6, becomes one `_FusedConv2D` / `FusedDepthwiseConv2dNative` / `_FusedMatMul` node with
 * `fused_ops` ["BiasAdd"(, activation)], which tfjs runs as one kernel (bias and activation applied in the
 * convolution's output loop instead of two extra passes over the activations). The fused node takes the name of
 * the chain's last node, so every consumer and fetch keeps its reference; the chain's other nodes disappear. Nodes
 * whose intermediate outputs are fetched or used elsewhere are left alone, so results are unchanged.
 */
import { parseTensorName } from './graph-util.ts';
import type { AttrObj, NodeObj } from './proto.ts';

const FUSED: Readonly<Record<string, string>> = { Conv2D: '_FusedConv2D', DepthwiseConv2dNative: 'FusedDepthwiseConv2dNative', MatMul: '_FusedMatMul' };
const ACTIVATIONS = new Set(['Relu', 'Relu6']);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (a: AttrObj | undefined): string => (a?.s ? new TextDecoder().decode(a.s) : '');

/** Data inputs (no control edges) as `node:index` references. */
function dataInputs(n: NodeObj): { node: string; index: number }[] {
  return n.input.filter((i) => !i.startsWith('^')).map(parseTensorName);
}

/**
 * The nodes with convolution/matmul + BiasAdd (+ Relu/Relu6) chains fused. `fetched` are the tensors the signature
 * returns (`node:i`); nodes producing them are never removed.
 */
export function fuseBiasActivations(nodes: readonly NodeObj[], fetched: readonly string[]): NodeObj[] {
  const consumers = new Map<string, number>();
  const count = (node: string): void => {
    consumers.set(node, (consumers.get(node) ?? 0) + 1);
  };
  for (const n of nodes) for (const i of n.input) count(i.startsWith('^') ? i.slice(1) : parseTensorName(i).node);
  for (const f of fetched) count(parseTensorName(f).node);
  const onlyConsumer = new Map<string, NodeObj>();
  for (const n of nodes) for (const i of dataInputs(n)) if (consumers.get(i.node) === 1 && i.index === 0) onlyConsumer.set(i.node, n);

  const removed = new Set<string>();
  const replaced = new Map<string, NodeObj>();
  for (const n of nodes) {
    const fusedOp = FUSED[n.op];
    if (!fusedOp || removed.has(n.name) || n.attr['T']?.type !== 'DT_FLOAT') continue;
    if (n.op !== 'MatMul' && text(n.attr['data_format']) !== 'NHWC') continue;
    const bias = onlyConsumer.get(n.name);
    if (!bias || bias.op !== 'BiasAdd' || text(bias.attr['data_format']) !== 'NHWC' || dataInputs(bias)[0]?.node !== n.name) continue;
    if (bias.input.some((i) => i.startsWith('^')) || n.input.some((i) => i.startsWith('^'))) continue;
    const act = onlyConsumer.get(bias.name);
    const activation = act && ACTIVATIONS.has(act.op) && !act.input.some((i) => i.startsWith('^')) ? act : undefined;
    const last = activation ?? bias;
    const fused: NodeObj = {
      name: last.name,
      op: fusedOp,
      input: [...n.input, bias.input[1] as string],
      attr: {
        ...n.attr,
        num_args: { i: '1' },
        fused_ops: { list: { s: [bytes('BiasAdd'), ...(activation ? [bytes(activation.op)] : [])] } },
        epsilon: { f: 0 },
        leakyrelu_alpha: { f: 0.2 },
      },
    };
    removed.add(n.name);
    if (activation) removed.add(bias.name);
    replaced.set(last.name, fused);
  }
  if (replaced.size === 0) return [...nodes];
  return nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n);
}
