/**
 * Text test models shaped like TensorFlow 2 Keras exports (written with kerasExport), each with a plain-JavaScript
 * reference that tokenizes and looks words up itself:
 * - TextVectorization(standardize="lower_and_strip_punctuation", split="whitespace", output_mode="int",
 *   output_sequence_length=L) → Embedding → GlobalAveragePooling1D → Dense(1, sigmoid). Traced as Keras does:
 *   Squeeze of the [n, 1] input, StringLower, StaticRegexReplace with Keras' DEFAULT_STRIP_REGEX, StringSplitV2
 *   (tf.strings.split → RaggedTensor.from_value_rowids: StridedSlice of the indices' first column, the dense
 *   shape's first element), the StringLookup on the flat values (LookupTableFindV2 with the OOV index as default,
 *   Equal/SelectV2 for the mask token ""), then RaggedTensorToTensor (FIRST_DIM_SIZE + VALUE_ROWIDS, shape [-1, L],
 *   default 0) and ResourceGather with int64 ids;
 * - StringLookup(vocabulary, num_oov_indices=1, mask_token=None) on a dense [n, 3] string input → Embedding →
 *   GlobalAveragePooling1D → Dense(1).
 * The vocabulary is a StaticHashTable (HashTableV2 + InitializeTableV2 in the init op), token indices after the
 * mask and OOV indices as Keras assigns them.
 */
import type { Tensor } from '../../src/core/tensor.ts';
import { attr, constNode, strings, type NodeSpec } from './savedmodel-builder.ts';
import { kerasExport } from './keras-export.ts';
import { f32, seededFloats } from './keras-models.ts';
import { dense } from './reference-nets.ts';

/** Keras' DEFAULT_STRIP_REGEX (keras/layers/preprocessing/text_vectorization.py). */
export const KERAS_STRIP_REGEX = '[!"#$%&()\\*\\+,-\\./:;<=>?@\\[\\\\\\]^_`{|}~\\\']';
const PUNCTUATION = new Set('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\'');

/** The text model's sizes and vocabulary. */
export const TEXT = { length: 5, dims: 4, vocab: ['the', 'movie', 'was', 'great', 'bad', 'not', 'plot', 'acting'] } as const;

const F = attr.type('DT_FLOAT');
const I64 = attr.type('DT_INT64');
const S = attr.type('DT_STRING');
const I32 = attr.type('DT_INT32');
const i64 = (shape: number[], values: number[]): Tensor => ({ dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });
const i32c = (name: string, values: number[]): NodeSpec => constNode(name, { dtype: 'int32', shape: [values.length], data: Int32Array.from(values) });

/** The vocabulary table: tokens → Keras indices (0 mask, 1 OOV, tokens from 2; no mask for StringLookup → from 1). */
function vocabTable(name: string, vocab: readonly string[], start: number) {
  return { name, keys: strings([vocab.length], [...vocab]), values: i64([vocab.length], vocab.map((_, i) => i + start)) };
}

/** Embedding (ResourceGather) → mean over axis 1 → Dense(1) [→ sigmoid] nodes on int64 ids `ids`. */
function embedPoolDense(ids: string, handle: string, read: (v: string) => string, sigmoid: boolean): { nodes: NodeSpec[]; output: string } {
  const nodes: NodeSpec[] = [
    { name: 'embedding/embedding_lookup', op: 'ResourceGather', input: [handle, ids], attr: { dtype: F, Tindices: I64, validate_indices: attr.b(true) } },
    { name: 'embedding/embedding_lookup/Identity', op: 'Identity', input: ['embedding/embedding_lookup:output:0'], attr: { T: F } },
    constNode('global_average_pooling1d/Mean/reduction_indices', { dtype: 'int32', shape: [], data: Int32Array.from([1]) }),
    { name: 'global_average_pooling1d/Mean', op: 'Mean', input: ['embedding/embedding_lookup/Identity:output:0', 'global_average_pooling1d/Mean/reduction_indices:output:0'], attr: { T: F } },
    { name: 'dense/MatMul', op: 'MatMul', input: ['global_average_pooling1d/Mean:output:0', read('dense/kernel')], attr: { T: F } },
    { name: 'dense/BiasAdd', op: 'BiasAdd', input: ['dense/MatMul:product:0', read('dense/bias')], attr: { T: F } },
  ];
  if (!sigmoid) return { nodes, output: 'dense/BiasAdd:output:0' };
  nodes.push({ name: 'dense/Sigmoid', op: 'Sigmoid', input: ['dense/BiasAdd:output:0'], attr: { T: F } });
  return { nodes, output: 'dense/Sigmoid:y:0' };
}

/** The plain reference of embed → mean → dense over id rows of equal length. */
function referenceHead(rows: number[][], emb: Float32Array, k: Float32Array, b: Float32Array, sigmoid: boolean): Float32Array {
  const { dims } = TEXT;
  const pooled = new Float32Array(rows.length * dims);
  rows.forEach((ids, r) => {
    for (const id of ids) for (let d = 0; d < dims; d++) pooled[r * dims + d] = (pooled[r * dims + d] as number) + (emb[id * dims + d] as number) / ids.length;
  });
  const y = dense(pooled, rows.length, k, b);
  return sigmoid ? y.map((v) => 1 / (1 + Math.exp(-v))) : y;
}

/**
 * The TextVectorization sentiment model (input `text` string [n, 1], output `dense` [n, 1]). Returns the reference:
 * ASCII lowercase, punctuation removed, whitespace split, Keras indices, padded/truncated to L.
 */
export function writeKerasTextVectorization(dir: string): (texts: string[]) => Float32Array {
  const { length: L, dims, vocab } = TEXT;
  const rows = vocab.length + 2;
  const w = { emb: seededFloats(71, rows * dims), k: seededFloats(72, dims), b: seededFloats(73, 1, 0.1) };
  const tv = 'text_vectorization';
  kerasExport(dir, {
    input: { name: 'text', dtype: 'DT_STRING', shape: [-1, 1] },
    output: { name: 'dense', dtype: 'DT_FLOAT', shape: [-1, 1] },
    variables: [
      { name: 'embedding/embeddings', key: 'layer_with_weights-1/embeddings', value: f32([rows, dims], w.emb) },
      { name: 'dense/kernel', key: 'layer_with_weights-2/kernel', value: f32([dims, 1], w.k) },
      { name: 'dense/bias', key: 'layer_with_weights-2/bias', value: f32([1], w.b) },
    ],
    tables: [vocabTable('hash_table', vocab, 2)],
    body: ({ input, read, handle, table }) => {
      const head = embedPoolDense(`${tv}/RaggedToTensor/RaggedTensorToTensor:result:0`, handle('embedding/embeddings'), read, true);
      const nodes: NodeSpec[] = [
        { name: `${tv}/Squeeze`, op: 'Squeeze', input: [input], attr: { T: S, squeeze_dims: { list: { i: [-1] } } } },
        { name: `${tv}/StringLower`, op: 'StringLower', input: [`${tv}/Squeeze:output:0`] },
        { name: `${tv}/StaticRegexReplace`, op: 'StaticRegexReplace', input: [`${tv}/StringLower:output:0`], attr: { pattern: attr.s(KERAS_STRIP_REGEX), rewrite: attr.s('') } },
        constNode(`${tv}/StringSplit/Const`, strings([], [''])),
        { name: `${tv}/StringSplit/StringSplitV2`, op: 'StringSplitV2', input: [`${tv}/StaticRegexReplace:output:0`, `${tv}/StringSplit/Const:output:0`] },
        i32c(`${tv}/StringSplit/strided_slice/stack`, [0, 0]), i32c(`${tv}/StringSplit/strided_slice/stack_1`, [0, 1]), i32c(`${tv}/StringSplit/strided_slice/stack_2`, [1, 1]),
        {
          name: `${tv}/StringSplit/strided_slice`, op: 'StridedSlice',
          input: [`${tv}/StringSplit/StringSplitV2:indices:0`, `${tv}/StringSplit/strided_slice/stack:output:0`, `${tv}/StringSplit/strided_slice/stack_1:output:0`, `${tv}/StringSplit/strided_slice/stack_2:output:0`],
          attr: { T: I64, Index: I32, begin_mask: attr.i(1), end_mask: attr.i(1), shrink_axis_mask: attr.i(2) },
        },
        i32c(`${tv}/StringSplit/strided_slice_1/stack`, [0]), i32c(`${tv}/StringSplit/strided_slice_1/stack_1`, [1]), i32c(`${tv}/StringSplit/strided_slice_1/stack_2`, [1]),
        {
          name: `${tv}/StringSplit/strided_slice_1`, op: 'StridedSlice',
          input: [`${tv}/StringSplit/StringSplitV2:shape:0`, `${tv}/StringSplit/strided_slice_1/stack:output:0`, `${tv}/StringSplit/strided_slice_1/stack_1:output:0`, `${tv}/StringSplit/strided_slice_1/stack_2:output:0`],
          attr: { T: I64, Index: I32, shrink_axis_mask: attr.i(1) },
        },
        // RowPartition.from_value_rowids also derives row_splits (Cast → DenseBincount → Cumsum → ConcatV2); to_tensor
        // below uses the value_rowids, so these stay unused as in TensorFlow's graph.
        { name: `${tv}/RaggedFromValueRowIds/Cast`, op: 'Cast', input: [`${tv}/StringSplit/strided_slice:output:0`], attr: { SrcT: I64, DstT: I32 } },
        constNode(`${tv}/string_lookup/Const`, i64([], [1])),
        {
          name: `${tv}/string_lookup/None_Lookup/LookupTableFindV2`, op: 'LookupTableFindV2',
          input: [table('hash_table'), `${tv}/StringSplit/StringSplitV2:values:0`, `${tv}/string_lookup/Const:output:0`], attr: { Tin: S, Tout: I64 },
        },
        constNode(`${tv}/string_lookup/Equal/y`, strings([], [''])),
        { name: `${tv}/string_lookup/Equal`, op: 'Equal', input: [`${tv}/StringSplit/StringSplitV2:values:0`, `${tv}/string_lookup/Equal/y:output:0`], attr: { T: S, incompatible_shape_error: attr.b(true) } },
        constNode(`${tv}/string_lookup/SelectV2/t`, i64([], [0])),
        {
          name: `${tv}/string_lookup/SelectV2`, op: 'SelectV2',
          input: [`${tv}/string_lookup/Equal:z:0`, `${tv}/string_lookup/SelectV2/t:output:0`, `${tv}/string_lookup/None_Lookup/LookupTableFindV2:values:0`], attr: { T: I64 },
        },
        { name: `${tv}/string_lookup/Identity`, op: 'Identity', input: [`${tv}/string_lookup/SelectV2:output:0`], attr: { T: I64 } },
        constNode(`${tv}/RaggedToTensor/Const`, i64([2], [-1, L])),
        constNode(`${tv}/RaggedToTensor/default_value`, i64([], [0])),
        {
          name: `${tv}/RaggedToTensor/RaggedTensorToTensor`, op: 'RaggedTensorToTensor',
          input: [`${tv}/RaggedToTensor/Const:output:0`, `${tv}/string_lookup/Identity:output:0`, `${tv}/RaggedToTensor/default_value:output:0`,
            `${tv}/StringSplit/strided_slice_1:output:0`, `${tv}/StringSplit/strided_slice:output:0`],
          attr: { T: I64, Tindex: I64, Tshape: I64, num_row_partition_tensors: attr.i(2), row_partition_types: { list: { s: [Buffer.from('FIRST_DIM_SIZE'), Buffer.from('VALUE_ROWIDS')] } } },
        },
        ...head.nodes,
      ];
      return { nodes, output: head.output };
    },
  });
  const index = new Map<string, number>(vocab.map((t, i) => [t, i + 2]));
  return (texts) => {
    const ids = texts.map((text) => {
      let s = '';
      for (const ch of text) s += PUNCTUATION.has(ch) ? '' : ch >= 'A' && ch <= 'Z' ? ch.toLowerCase() : ch;
      const tokens = s.split(/[ \t\n\v\f\r]+/).filter((t) => t.length > 0);
      const row = tokens.slice(0, L).map((t) => index.get(t) ?? 1);
      while (row.length < L) row.push(0);
      return row;
    });
    return referenceHead(ids, w.emb, w.k, w.b, true);
  };
}

/** The StringLookup model's vocabulary and width. */
export const LOOKUP = { width: 3, vocab: ['red', 'green', 'blue', 'cyan'] } as const;

/**
 * StringLookup on a dense [n, 3] string input (`colors`), no mask, one OOV index (0), tokens from 1 → Embedding →
 * mean → Dense(1) (output `dense` [n, 1]). Returns the reference.
 */
export function writeKerasStringLookup(dir: string): (rows: string[][]) => Float32Array {
  const { dims } = TEXT;
  const { vocab } = LOOKUP;
  const w = { emb: seededFloats(81, (vocab.length + 1) * dims), k: seededFloats(82, dims), b: seededFloats(83, 1, 0.1) };
  kerasExport(dir, {
    input: { name: 'colors', dtype: 'DT_STRING', shape: [-1, LOOKUP.width] },
    output: { name: 'dense', dtype: 'DT_FLOAT', shape: [-1, 1] },
    variables: [
      { name: 'embedding/embeddings', key: 'layer_with_weights-1/embeddings', value: f32([vocab.length + 1, dims], w.emb) },
      { name: 'dense/kernel', key: 'layer_with_weights-2/kernel', value: f32([dims, 1], w.k) },
      { name: 'dense/bias', key: 'layer_with_weights-2/bias', value: f32([1], w.b) },
    ],
    tables: [vocabTable('hash_table', vocab, 1)],
    body: ({ input, read, handle, table }) => {
      const head = embedPoolDense('string_lookup/Identity:output:0', handle('embedding/embeddings'), read, false);
      return {
        nodes: [
          constNode('string_lookup/Const', i64([], [0])),
          { name: 'string_lookup/None_Lookup/LookupTableFindV2', op: 'LookupTableFindV2', input: [table('hash_table'), input, 'string_lookup/Const:output:0'], attr: { Tin: S, Tout: I64 } },
          { name: 'string_lookup/Identity', op: 'Identity', input: ['string_lookup/None_Lookup/LookupTableFindV2:values:0'], attr: { T: I64 } },
          ...head.nodes,
        ],
        output: head.output,
      };
    },
  });
  const index = new Map<string, number>(vocab.map((t, i) => [t, i + 1]));
  return (rows) => referenceHead(rows.map((r) => r.map((t) => index.get(t) ?? 0)), w.emb, w.k, w.b, false);
}
