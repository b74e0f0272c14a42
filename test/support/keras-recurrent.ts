/**
 * Recurrent test models shaped like TensorFlow 2 Keras exports (written with kerasExport): LSTM, GRU and
 * Bidirectional(LSTM/GRU), each with a plain-loop reference (reference-nets.ts) over the same seeded weights.
 *
 * One recurrent layer is traced as Keras' `standard_lstm` / `standard_gru` (reset_after) via `backend.rnn`: the input
 * transposed to time-major (Transpose [1, 0, 2]), reversed along time for `go_backwards` (ReverseV2 axis [0], as the
 * backward half of Bidirectional runs), unstacked into a TensorList, a TensorListReserve for the outputs, zero states
 * sized from the batch (Shape → StridedSlice → Pack → Fill), a While loop whose body reads step `time`
 * (TensorListGetItem), computes the gates (MatMul, Split, Sigmoid, Tanh) and writes h (TensorListSetItem), then
 * TensorListStack and the last step (StridedSlice with shrink_axis_mask). Bidirectional concatenates the two halves'
 * last outputs (ConcatV2 on axis -1, merge_mode="concat").
 */
import { attr, constNode, type FunctionSpec, type NodeSpec } from './savedmodel-builder.ts';
import { kerasExport, type KerasVariable } from './keras-export.ts';
import { f32, seededFloats } from './keras-models.ts';
import { dense, gru, lstm } from './reference-nets.ts';

/** The recurrent models' sizes: input [n, 5, 2]. */
export const RNN = { steps: 5, features: 2, units: 3 } as const;

/** A recurrent cell kind. */
export type RnnKind = 'lstm' | 'gru';

const F = attr.type('DT_FLOAT');
const I32 = attr.type('DT_INT32');
const VARIANT = 'DT_VARIANT';
const op = (name: string, o: string, input: string[], a: Record<string, unknown> = { T: F }): NodeSpec => ({ name, op: o, input, attr: a });

/** The weights of one recurrent layer. */
interface CellWeights {
  readonly kernel: Float32Array;
  readonly recurrent: Float32Array;
  readonly bias: Float32Array;
}

function cellWeights(kind: RnnKind, seed: number): CellWeights {
  const { features, units } = RNN;
  const g = kind === 'lstm' ? 4 : 3;
  return {
    kernel: seededFloats(seed, features * g * units),
    recurrent: seededFloats(seed + 1, units * g * units),
    bias: seededFloats(seed + 2, (kind === 'lstm' ? 1 : 2) * g * units, 0.2),
  };
}

/** The layer's three variables: graph names `<layer>/<kind>_cell/…`, checkpoint keys `<key>/cell/…`. */
function cellVariables(kind: RnnKind, layer: string, key: string, w: CellWeights): KerasVariable[] {
  const { features, units } = RNN;
  const g = kind === 'lstm' ? 4 : 3;
  const cell = `${layer}/${kind}_cell`;
  return [
    { name: `${cell}/kernel`, key: `${key}/cell/kernel`, value: f32([features, g * units], w.kernel) },
    { name: `${cell}/recurrent_kernel`, key: `${key}/cell/recurrent_kernel`, value: f32([units, g * units], w.recurrent) },
    { name: `${cell}/bias`, key: `${key}/cell/bias`, value: f32(kind === 'lstm' ? [g * units] : [2, g * units], w.bias) },
  ];
}

/** The While body and cond of one layer (library functions, named per layer as TF numbers them). */
function loopFunctions(kind: RnnKind, id: number): { body: FunctionSpec; cond: FunctionSpec; types: string[] } {
  const { features } = RNN;
  const types = ['DT_INT32', 'DT_INT32', 'DT_INT32', VARIANT, 'DT_FLOAT', ...(kind === 'lstm' ? ['DT_FLOAT'] : []), VARIANT, 'DT_FLOAT', 'DT_FLOAT', 'DT_FLOAT'];
  const names = ['loop_counter', 'max_iterations', 'time', 'output_list', 'h', ...(kind === 'lstm' ? ['c'] : []), 'input_list', 'kernel', 'recurrent_kernel', 'bias'];
  const args = names.map((name, i) => ({ name, type: types[i] as string }));
  const i32 = (name: string, values: number[]) => constNode(name, { dtype: 'int32', shape: values.length === 1 ? [] : [values.length], data: Int32Array.from(values) });
  const nodes: NodeSpec[] = [
    i32('one', [1]),
    i32('element_shape', [-1, features]),
    op('x_t', 'TensorListGetItem', ['input_list', 'time', 'element_shape:output:0'], { element_dtype: F }),
    op('xw', 'MatMul', ['x_t:item:0', 'kernel']),
    op('hw', 'MatMul', ['h', 'recurrent_kernel']),
    i32('split_dim', [1]),
  ];
  if (kind === 'lstm') {
    nodes.push(
      op('z0', 'AddV2', ['xw:product:0', 'hw:product:0']),
      op('z', 'BiasAdd', ['z0:z:0', 'bias']),
      op('split', 'Split', ['split_dim:output:0', 'z:output:0'], { T: F, num_split: attr.i(4) }),
      op('i', 'Sigmoid', ['split:output:0']), op('f', 'Sigmoid', ['split:output:1']), op('o', 'Sigmoid', ['split:output:3']),
      op('g_tanh', 'Tanh', ['split:output:2']),
      op('fc', 'Mul', ['f:y:0', 'c']), op('ig', 'Mul', ['i:y:0', 'g_tanh:y:0']), op('c_new', 'AddV2', ['fc:z:0', 'ig:z:0']),
      op('c_tanh', 'Tanh', ['c_new:z:0']), op('h_new', 'Mul', ['o:y:0', 'c_tanh:y:0']),
    );
  } else {
    nodes.push(
      op('biases', 'Unpack', ['bias'], { T: F, num: attr.i(2) }),
      op('mx', 'BiasAdd', ['xw:product:0', 'biases:output:0']),
      op('mh', 'BiasAdd', ['hw:product:0', 'biases:output:1']),
      op('sx', 'Split', ['split_dim:output:0', 'mx:output:0'], { T: F, num_split: attr.i(3) }),
      op('sh', 'Split', ['split_dim:output:0', 'mh:output:0'], { T: F, num_split: attr.i(3) }),
      op('z_in', 'AddV2', ['sx:output:0', 'sh:output:0']), op('z', 'Sigmoid', ['z_in:z:0']),
      op('r_in', 'AddV2', ['sx:output:1', 'sh:output:1']), op('r', 'Sigmoid', ['r_in:z:0']),
      op('rh', 'Mul', ['r:y:0', 'sh:output:2']), op('hh_in', 'AddV2', ['sx:output:2', 'rh:z:0']), op('hh', 'Tanh', ['hh_in:z:0']),
      op('zh', 'Mul', ['z:y:0', 'h']),
      constNode('one_f', { dtype: 'float32', shape: [], data: Float32Array.from([1]) }),
      op('one_minus_z', 'Sub', ['one_f:output:0', 'z:y:0']), op('zhh', 'Mul', ['one_minus_z:z:0', 'hh:y:0']),
      op('h_new', 'AddV2', ['zh:z:0', 'zhh:z:0']),
    );
  }
  nodes.push(
    op('set', 'TensorListSetItem', ['output_list', 'time', 'h_new:z:0'], { element_dtype: F }),
    op('time_next', 'AddV2', ['time', 'one:output:0'], { T: I32 }),
    op('counter_next', 'AddV2', ['loop_counter', 'one:output:0'], { T: I32 }),
  );
  const ret: Record<string, string> = {
    loop_counter_out: 'counter_next:z:0', max_iterations_out: 'max_iterations', time_out: 'time_next:z:0', output_list_out: 'set:output_handle:0',
    h_out: 'h_new:z:0', ...(kind === 'lstm' ? { c_out: 'c_new:z:0' } : {}), input_list_out: 'input_list', kernel_out: 'kernel', recurrent_kernel_out: 'recurrent_kernel', bias_out: 'bias',
  };
  const outs = names.map((name, i) => ({ name: `${name}_out`, type: types[i] as string }));
  const body = { name: `__inference_while_body_${id}`, inputs: args, outputs: outs, nodes, ret };
  const cond = {
    name: `__inference_while_cond_${id + 1}`, inputs: args, outputs: [{ name: 'identity', type: 'DT_BOOL' }],
    nodes: [op('less', 'Less', ['loop_counter', 'max_iterations'], { T: I32 }), op('Identity', 'Identity', ['less:z:0'], { T: attr.type('DT_BOOL') })],
    ret: { identity: 'Identity:output:0' },
  };
  return { body, cond, types };
}

/**
 * The forward-body nodes of one recurrent layer named `layer` over `input` ([n, steps, features]); `vars` are the
 * references of kernel, recurrent kernel and bias. Returns the nodes and the reference of the last output [n, units].
 */
function layerNodes(kind: RnnKind, layer: string, input: string, vars: [string, string, string], loop: ReturnType<typeof loopFunctions>, goBackwards: boolean): { nodes: NodeSpec[]; output: string } {
  const { steps, features, units } = RNN;
  const p = (s: string): string => `${layer}/${s}`;
  const i32 = (name: string, values: number[], shape: number[] = values.length === 1 ? [] : [values.length]) => constNode(p(name), { dtype: 'int32', shape, data: Int32Array.from(values) });
  const out = (s: string): string => `${p(s)}:output:0`;
  const states = kind === 'lstm' ? [out('zeros'), out('zeros_1')] : [out('zeros')];
  const nodes: NodeSpec[] = [
    op(p('Shape'), 'Shape', [input]),
    i32('strided_slice/stack', [0], [1]), i32('strided_slice/stack_1', [1], [1]), i32('strided_slice/stack_2', [1], [1]),
    op(p('strided_slice'), 'StridedSlice', [out('Shape'), out('strided_slice/stack'), out('strided_slice/stack_1'), out('strided_slice/stack_2')], { T: I32, Index: I32, shrink_axis_mask: attr.i(1) }),
    i32('zeros/packed/1', [units]),
    op(p('zeros/packed'), 'Pack', [out('strided_slice'), out('zeros/packed/1')], { T: I32, N: attr.i(2) }),
    constNode(p('zeros/Const'), { dtype: 'float32', shape: [], data: Float32Array.from([0]) }),
    op(p('zeros'), 'Fill', [out('zeros/packed'), out('zeros/Const')]),
    op(p('zeros_1'), 'Fill', [out('zeros/packed'), out('zeros/Const')]),
    i32('transpose/perm', [1, 0, 2]),
    op(p('transpose'), 'Transpose', [input, out('transpose/perm')], { T: F, Tperm: I32 }),
  ];
  let timeMajor = `${p('transpose')}:y:0`;
  if (goBackwards) {
    nodes.push(i32('ReverseV2/axis', [0], [1]), op(p('ReverseV2'), 'ReverseV2', [timeMajor, out('ReverseV2/axis')]));
    timeMajor = out('ReverseV2');
  }
  nodes.push(
    i32('TensorArrayUnstack/element_shape', [-1, features]),
    op(p('TensorArrayUnstack/TensorListFromTensor'), 'TensorListFromTensor', [timeMajor, out('TensorArrayUnstack/element_shape')], { element_dtype: F, shape_type: I32 }),
    i32('TensorArrayV2/element_shape', [-1, units]),
    i32('TensorArrayV2/num_elements', [steps]),
    op(p('TensorArrayV2'), 'TensorListReserve', [out('TensorArrayV2/element_shape'), out('TensorArrayV2/num_elements')], { element_dtype: F, shape_type: I32 }),
    i32('time', [0]),
    {
      name: p('while'), op: 'While',
      input: [out('time'), out('TensorArrayV2/num_elements'), out('time'), `${p('TensorArrayV2')}:handle:0`, ...states, `${p('TensorArrayUnstack/TensorListFromTensor')}:output_handle:0`, ...vars],
      attr: { T: attr.types(loop.types), body: attr.func(loop.body.name), cond: attr.func(loop.cond.name), parallel_iterations: attr.i(32), _num_original_outputs: attr.i(loop.types.length) },
    },
    op(p('TensorArrayV2Stack/TensorListStack'), 'TensorListStack', [`${p('while')}:output:3`, out('TensorArrayV2/element_shape')], { element_dtype: F, num_elements: attr.i(steps) }),
    i32('strided_slice_2/stack', [-1], [1]), i32('strided_slice_2/stack_1', [0], [1]), i32('strided_slice_2/stack_2', [1], [1]),
    op(p('strided_slice_2'), 'StridedSlice', [`${p('TensorArrayV2Stack/TensorListStack')}:tensor:0`, out('strided_slice_2/stack'), out('strided_slice_2/stack_1'), out('strided_slice_2/stack_2')], { T: F, Index: I32, shrink_axis_mask: attr.i(1) }),
  );
  return { nodes, output: out('strided_slice_2') };
}

function reference(kind: RnnKind, x: Float32Array, n: number, w: CellWeights): Float32Array {
  return kind === 'lstm' ? lstm(x, n, RNN.steps, w, false) : gru(x, n, RNN.steps, w, false);
}

/** x [n, steps, features] with the time axis reversed. */
function reverseTime(x: Float32Array, n: number): Float32Array {
  const { steps, features } = RNN;
  const y = new Float32Array(x.length);
  for (let r = 0; r < n; r++) for (let t = 0; t < steps; t++) y.set(x.subarray((r * steps + t) * features, (r * steps + t + 1) * features), (r * steps + steps - 1 - t) * features);
  return y;
}

/**
 * A Keras LSTM or GRU layer followed by Dense(1) (input `<kind>_input` [n, 5, 2], output `dense` [n, 1]).
 * Returns the plain-loop reference.
 */
export function writeKerasRecurrent(dir: string, kind: RnnKind): (x: Float32Array, n: number) => Float32Array {
  const { units } = RNN;
  const w = cellWeights(kind, 31);
  const head = { kernel: seededFloats(34, units), bias: seededFloats(35, 1, 0.1) };
  const loop = loopFunctions(kind, 2001);
  const variables = [
    ...cellVariables(kind, kind, 'layer_with_weights-0', w),
    { name: 'dense/kernel', key: 'layer_with_weights-1/kernel', value: f32([units, 1], head.kernel) },
    { name: 'dense/bias', key: 'layer_with_weights-1/bias', value: f32([1], head.bias) },
  ];
  kerasExport(dir, {
    input: { name: `${kind}_input`, dtype: 'DT_FLOAT', shape: [-1, RNN.steps, RNN.features] },
    output: { name: 'dense', dtype: 'DT_FLOAT', shape: [-1, 1] },
    variables,
    functions: [loop.body, loop.cond],
    body: ({ input, read }) => {
      const cell = `${kind}/${kind}_cell`;
      const rnn = layerNodes(kind, kind, input, [read(`${cell}/kernel`), read(`${cell}/recurrent_kernel`), read(`${cell}/bias`)], loop, false);
      return {
        nodes: [
          ...rnn.nodes,
          op('dense/MatMul', 'MatMul', [rnn.output, read('dense/kernel')]),
          op('dense/BiasAdd', 'BiasAdd', ['dense/MatMul:product:0', read('dense/bias')]),
        ],
        output: 'dense/BiasAdd:output:0',
      };
    },
  });
  return (x, n) => dense(reference(kind, x, n, w), n, head.kernel, head.bias);
}

/**
 * Keras `Bidirectional(LSTM(3))` or `Bidirectional(GRU(3))` (merge_mode "concat", return_sequences False) followed by
 * Dense(1): a forward layer `bidirectional/forward_<kind>` and a backward layer `bidirectional/backward_<kind>`
 * (go_backwards: ReverseV2 on the time-major input), each its own While loop; their last outputs are concatenated
 * (ConcatV2, axis -1). Checkpoint keys `layer_with_weights-0/forward_layer/…` and `…/backward_layer/…` as Keras
 * writes them. Input `input_1` [n, 5, 2], output `dense` [n, 1]. Returns the plain-loop reference.
 */
export function writeKerasBidirectional(dir: string, kind: RnnKind): (x: Float32Array, n: number) => Float32Array {
  const { units } = RNN;
  const fw = cellWeights(kind, 41);
  const bw = cellWeights(kind, 51);
  const head = { kernel: seededFloats(61, 2 * units), bias: seededFloats(62, 1, 0.1) };
  const fwLayer = `bidirectional/forward_${kind}`;
  const bwLayer = `bidirectional/backward_${kind}`;
  const fwLoop = loopFunctions(kind, 3001);
  const bwLoop = loopFunctions(kind, 3101);
  kerasExport(dir, {
    input: { name: 'input_1', dtype: 'DT_FLOAT', shape: [-1, RNN.steps, RNN.features] },
    output: { name: 'dense', dtype: 'DT_FLOAT', shape: [-1, 1] },
    variables: [
      ...cellVariables(kind, fwLayer, 'layer_with_weights-0/forward_layer', fw),
      ...cellVariables(kind, bwLayer, 'layer_with_weights-0/backward_layer', bw),
      { name: 'dense/kernel', key: 'layer_with_weights-1/kernel', value: f32([2 * units, 1], head.kernel) },
      { name: 'dense/bias', key: 'layer_with_weights-1/bias', value: f32([1], head.bias) },
    ],
    functions: [fwLoop.body, fwLoop.cond, bwLoop.body, bwLoop.cond],
    body: ({ input, read }) => {
      const refs = (layer: string): [string, string, string] => {
        const cell = `${layer}/${kind}_cell`;
        return [read(`${cell}/kernel`), read(`${cell}/recurrent_kernel`), read(`${cell}/bias`)];
      };
      const f = layerNodes(kind, fwLayer, input, refs(fwLayer), fwLoop, false);
      const b = layerNodes(kind, bwLayer, input, refs(bwLayer), bwLoop, true);
      return {
        nodes: [
          ...f.nodes,
          ...b.nodes,
          constNode('bidirectional/concat/axis', { dtype: 'int32', shape: [], data: Int32Array.from([-1]) }),
          op('bidirectional/concat', 'ConcatV2', [f.output, b.output, 'bidirectional/concat/axis:output:0'], { T: F, N: attr.i(2), Tidx: I32 }),
          op('dense/MatMul', 'MatMul', ['bidirectional/concat:output:0', read('dense/kernel')]),
          op('dense/BiasAdd', 'BiasAdd', ['dense/MatMul:product:0', read('dense/bias')]),
        ],
        output: 'dense/BiasAdd:output:0',
      };
    },
  });
  return (x, n) => {
    const hf = reference(kind, x, n, fw);
    const hb = reference(kind, reverseTime(x, n), n, bw);
    const joined = new Float32Array(n * 2 * units);
    for (let r = 0; r < n; r++) {
      joined.set(hf.subarray(r * units, (r + 1) * units), r * 2 * units);
      joined.set(hb.subarray(r * units, (r + 1) * units), r * 2 * units + units);
    }
    return dense(joined, n, head.kernel, head.bias);
  };
}
