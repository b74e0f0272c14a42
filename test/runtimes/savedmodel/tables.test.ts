// Hash tables and init ops on SavedModels these tests write themselves: a TF1 export (HashTableV2 +
// InitializeTableFromTextFileV2 over an asset vocabulary, legacy_init_op, assets in the saved_model_assets
// collection) and a TF2 export (__saved_model_init_op calling LookupTableImportV2 from constants, a
// MutableHashTableV2 restored from the checkpoint by __traced_restore, lookups inside StatefulPartitionedCall
// functions). Each model runs in-thread (workers: 0) and on a worker thread (workers: 1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { readTextFileTable } from '../../../src/runtimes/savedmodel/text-file-table.ts';
import { assetPaths, initOpNames } from '../../../src/runtimes/savedmodel/assets.ts';
import { readSavedModel, selectMetaGraph } from '../../../src/runtimes/savedmodel/reader.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { attr, constNode, strings, writeSavedModel, type FunctionSpec, type SavedModelSpec } from '../../support/savedmodel-builder.ts';

const S = 'DT_STRING';
const I64 = 'DT_INT64';
const R = 'DT_RESOURCE';
const i64 = (shape: number[], values: number[]): Tensor => ({ dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });
const ints = (t: Tensor | undefined): number[] => Array.from(t?.data as BigInt64Array, Number);
const text = (t: Tensor | undefined): string[] => (t?.data as Uint8Array[]).map((b) => Buffer.from(b).toString());
const table = (name: string, key: string, value: string, op = 'HashTableV2') => ({
  name, op, attr: { key_dtype: attr.type(key), value_dtype: attr.type(value), shared_name: attr.s(`${name}_shared`), use_node_name_sharing: attr.b(false) },
});

let tmp: string;
const runtimes: { workers: number; rt: SavedModelRuntime }[] = [];
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-tables-'));
  for (const workers of [0, 1]) runtimes.push({ workers, rt: await SavedModelRuntime.create({ workers }) });
});
after(async () => {
  for (const { rt } of runtimes) await rt.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function tf1Spec(vocab: string, vocabSize = -1): SavedModelSpec {
  return {
    nodes: [
      { name: 'words', op: 'Placeholder', attr: { dtype: attr.type(S), shape: attr.shape([-1, -1]) } },
      { name: 'ids_in', op: 'Placeholder', attr: { dtype: attr.type(I64), shape: attr.shape([-1]) } },
      // TF1 records the training-time path; the loader feeds <dir>/assets/vocab.txt instead.
      constNode('asset_filepath', strings([], ['/training/machine/vocab.txt'])),
      constNode('asset_filepath_1', strings([], ['/training/machine/scores.csv'])),
      table('vocab_table', S, I64),
      { name: 'vocab_table/table_init', op: 'InitializeTableFromTextFileV2', input: ['vocab_table', 'asset_filepath'], attr: { key_index: attr.i(-2), value_index: attr.i(-1), vocab_size: attr.i(vocabSize), delimiter: attr.s('\t') } },
      table('scores', S, 'DT_FLOAT'),
      { name: 'scores/table_init', op: 'InitializeTableFromTextFileV2', input: ['scores', 'asset_filepath_1'], attr: { key_index: attr.i(0), value_index: attr.i(2), vocab_size: attr.i(-1), delimiter: attr.s(',;') } },
      table('names', I64, S),
      constNode('names/keys', i64([3], [10, 20, 30])),
      constNode('names/values', strings([3], ['ten', 'twenty', 'thirty'])),
      { name: 'names/table_init', op: 'InitializeTableV2', input: ['names', 'names/keys', 'names/values'], attr: { Tkey: attr.type(I64), Tval: attr.type(S) } },
      { name: 'init_all_tables', op: 'NoOp', input: ['^vocab_table/table_init', '^scores/table_init', '^names/table_init'] },
      { name: 'legacy_init_op', op: 'NoOp', input: ['^init_all_tables'] },
      constNode('default_id', i64([], [-1])),
      { name: 'lookup', op: 'LookupTableFindV2', input: ['vocab_table', 'words', 'default_id'], attr: { Tin: attr.type(S), Tout: attr.type(I64) } },
      { name: 'size', op: 'LookupTableSizeV2', input: ['vocab_table'] },
      constNode('default_score', { dtype: 'float32', shape: [], data: Float32Array.from([0.25]) }),
      { name: 'score', op: 'LookupTableFindV2', input: ['scores', 'words', 'default_score'], attr: { Tin: attr.type(S), Tout: attr.type('DT_FLOAT') } },
      constNode('default_name', strings([], ['UNK'])),
      { name: 'name', op: 'LookupTableFindV2', input: ['names', 'ids_in', 'default_name'], attr: { Tin: attr.type(I64), Tout: attr.type(S) } },
    ],
    nodeCollections: { legacy_init_op: ['legacy_init_op'], table_initializer: ['vocab_table/table_init', 'scores/table_init', 'names/table_init'] },
    assets: { 'asset_filepath:0': 'vocab.txt', 'asset_filepath_1:0': 'scores.csv' },
    assetsIn: 'collection',
    assetFiles: { 'vocab.txt': vocab, 'scores.csv': 'quick,x;1.5\nfox;y,-2\n' },
    signatures: {
      serving_default: {
        inputs: { words: { name: 'words:0', dtype: S, shape: [-1, -1] } },
        outputs: { ids: { name: 'lookup:0', dtype: I64, shape: [-1, -1] }, size: { name: 'size:0', dtype: I64, shape: [] }, score: { name: 'score:0', dtype: 'DT_FLOAT', shape: [-1, -1] } },
      },
      names: { inputs: { ids: { name: 'ids_in:0', dtype: I64, shape: [-1] } }, outputs: { name: { name: 'name:0', dtype: S, shape: [-1] } } },
    },
  };
}

describe('TF1 SavedModel: HashTableV2 + InitializeTableFromTextFileV2 over an asset (legacy_init_op)', () => {
  const dir = (): string => path.join(tmp, 'tf1', '1');
  before(() => writeSavedModel(dir(), tf1Spec('the\nquick\nbrown\r\nfox\n')));

  for (const workers of [0, 1]) {
    it(`maps words to line numbers with default -1, sizes and other tables (workers: ${workers})`, async () => {
      const rt = runtimes.find((r) => r.workers === workers)?.rt as SavedModelRuntime;
      const m = await rt.load({ modelName: 'vocab', version: 1, path: dir() });
      try {
        const out = await m.run({ signatureName: 'serving_default', inputs: { words: strings([2, 3], ['quick', 'fox', 'zebra', 'the', 'brown', '']) } });
        assert.equal(out['ids']?.dtype, 'int64');
        assert.deepEqual(out['ids']?.shape, [2, 3]);
        assert.deepEqual(ints(out['ids']), [1, 3, -1, 0, 2, -1]);
        assert.deepEqual(ints(out['size']), [4]);
        assert.deepEqual(Array.from(out['score']?.data as Float32Array), [1.5, -2, 0.25, 0.25, 0.25, 0.25]);
        const names = await m.run({ signatureName: 'names', inputs: { ids: i64([4], [20, 10, 99, 30]) } });
        assert.deepEqual(text(names['name']), ['twenty', 'ten', 'UNK', 'thirty']);
      } finally {
        await m.close();
      }
    });
  }

  it('finds the init op and the assets of the saved_model_assets collection', () => {
    const mg = selectMetaGraph(readSavedModel(dir()));
    assert.deepEqual(initOpNames(mg), ['legacy_init_op']);
    assert.deepEqual([...assetPaths(mg, dir())], [['asset_filepath:0', path.join(dir(), 'assets', 'vocab.txt')], ['asset_filepath_1:0', path.join(dir(), 'assets', 'scores.csv')]]);
  });

  it('fails the load with the file name when the vocabulary asset is missing', async () => {
    const d = path.join(tmp, 'tf1-missing', '1');
    writeSavedModel(d, { ...tf1Spec('a\n'), assetFiles: { 'scores.csv': 'a,b,1\n' } });
    const rt = runtimes[0]?.rt as SavedModelRuntime;
    await assert.rejects(rt.load({ modelName: 'm', version: 1, path: d }), (e: unknown) => e instanceof InferdError && e.code === 'NOT_FOUND' && /vocab\.txt/.test(e.message));
  });

  it('fails the load when vocab_size does not match the file', async () => {
    const d = path.join(tmp, 'tf1-size', '1');
    writeSavedModel(d, tf1Spec('a\nb\n', 3));
    const rt = runtimes[0]?.rt as SavedModelRuntime;
    await assert.rejects(rt.load({ modelName: 'm', version: 1, path: d }), (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && /expected 3 but got 2/.test(e.message));
  });
});

describe('TF2 SavedModel: __saved_model_init_op with LookupTableImportV2, MutableHashTable restored from the checkpoint', () => {
  const initFn: FunctionSpec = {
    name: '__inference__initializer_11',
    inputs: [{ name: 'table', type: R }, { name: 'keys', type: S }, { name: 'values', type: I64 }],
    outputs: [],
    nodes: [{ name: 'LookupTableImportV2', op: 'LookupTableImportV2', input: ['table', 'keys', 'values'], attr: { Tin: attr.type(S), Tout: attr.type(I64) } }],
    ret: {},
  };
  const call: FunctionSpec = {
    name: '__inference_call_21',
    inputs: [{ name: 'words', type: S }, { name: 'table', type: R }, { name: 'mutable', type: R }],
    outputs: [{ name: 'ids', type: I64 }, { name: 'size', type: I64 }, { name: 'ids2', type: I64 }],
    nodes: [
      constNode('default', i64([], [-1])),
      { name: 'None_Lookup/LookupTableFindV2', op: 'LookupTableFindV2', input: ['table', 'words', 'default:output:0'], attr: { Tin: attr.type(S), Tout: attr.type(I64) } },
      { name: 'None_Size/LookupTableSizeV2', op: 'LookupTableSizeV2', input: ['table'] },
      { name: 'Mutable_Lookup/LookupTableFindV2', op: 'LookupTableFindV2', input: ['mutable', 'words', 'default:output:0'], attr: { Tin: attr.type(S), Tout: attr.type(I64) } },
      { name: 'Identity', op: 'Identity', input: ['None_Lookup/LookupTableFindV2:values:0'], attr: { T: attr.type(I64) } },
    ],
    ret: { ids: 'Identity:output:0', size: 'None_Size/LookupTableSizeV2:size:0', ids2: 'Mutable_Lookup/LookupTableFindV2:values:0' },
  };
  const wrapper: FunctionSpec = {
    name: '__inference_signature_wrapper_31',
    inputs: [{ name: 'words', type: S }, { name: 'unknown', type: R }, { name: 'unknown_0', type: R }],
    outputs: [{ name: 'ids', type: I64 }, { name: 'size', type: I64 }, { name: 'ids2', type: I64 }],
    nodes: [
      { name: 'StatefulPartitionedCall', op: 'StatefulPartitionedCall', input: ['words', 'unknown', 'unknown_0'], attr: { f: attr.func(call.name), Tin: attr.types([S, R, R]), Tout: attr.types([I64, I64, I64]) } },
    ],
    ret: { ids: 'StatefulPartitionedCall:output:0', size: 'StatefulPartitionedCall:output:1', ids2: 'StatefulPartitionedCall:output:2' },
  };
  const restore: FunctionSpec = {
    name: '__inference__traced_restore_41',
    inputs: [{ name: 'file_prefix', type: S }, { name: 'mutable', type: R }],
    outputs: [{ name: 'identity', type: S }],
    nodes: [
      constNode('RestoreV2/tensor_names', strings([2], ['layer/_table/.ATTRIBUTES/table-keys', 'layer/_table/.ATTRIBUTES/table-values'])),
      constNode('RestoreV2/shape_and_slices', strings([2], ['', ''])),
      { name: 'RestoreV2', op: 'RestoreV2', input: ['file_prefix', 'RestoreV2/tensor_names:output:0', 'RestoreV2/shape_and_slices:output:0'], attr: { dtypes: attr.types([S, I64]) } },
      { name: 'MutableHashTable_table_restore/LookupTableImportV2', op: 'LookupTableImportV2', input: ['mutable', 'RestoreV2:tensors:0', 'RestoreV2:tensors:1'], attr: { Tin: attr.type(S), Tout: attr.type(I64) } },
      { name: 'Identity', op: 'Identity', input: ['file_prefix', '^MutableHashTable_table_restore/LookupTableImportV2'], attr: { T: attr.type(S) } },
    ],
    ret: { identity: 'Identity:output:0' },
  };
  const fileInit: FunctionSpec = {
    name: '__inference__initializer_51',
    inputs: [{ name: 'table', type: R }, { name: 'filename', type: S }],
    outputs: [],
    nodes: [{ name: 'text_file_init/InitializeTableFromTextFileV2', op: 'InitializeTableFromTextFileV2', input: ['table', 'filename'], attr: { key_index: attr.i(-2), value_index: attr.i(-1), vocab_size: attr.i(-1), delimiter: attr.s('\t') } }],
    ret: {},
  };
  const dir = (): string => path.join(tmp, 'tf2', '1');
  before(() => writeSavedModel(dir(), {
    nodes: [
      { name: 'serving_default_words', op: 'Placeholder', attr: { dtype: attr.type(S), shape: attr.shape([-1]) } },
      table('hash_table', S, I64),
      table('mutable', S, I64, 'MutableHashTableV2'),
      constNode('Const', strings([3], ['cat', 'dog', 'bird'])),
      constNode('Const_1', i64([3], [7, 8, 9])),
      { name: 'StatefulPartitionedCall', op: 'StatefulPartitionedCall', input: ['hash_table', 'Const', 'Const_1'], attr: { f: attr.func(initFn.name), Tin: attr.types([R, S, I64]), Tout: attr.types([]) } },
      // TF2 asset layout: a string variable assigned from the asset placeholder that the loader feeds.
      { name: 'asset_path_initializer', op: 'Placeholder', attr: { dtype: attr.type(S), shape: attr.shape([]) } },
      { name: 'Variable', op: 'VarHandleOp', attr: { dtype: attr.type(S), shape: attr.shape([]), shared_name: attr.s('Variable') } },
      { name: 'Variable/Assign', op: 'AssignVariableOp', input: ['Variable', 'asset_path_initializer'], attr: { dtype: attr.type(S) } },
      { name: 'Variable/Read/ReadVariableOp', op: 'ReadVariableOp', input: ['Variable'], attr: { dtype: attr.type(S) } },
      table('colors', S, I64),
      { name: 'StatefulPartitionedCall_3', op: 'StatefulPartitionedCall', input: ['colors', 'Variable/Read/ReadVariableOp'], attr: { f: attr.func(fileInit.name), Tin: attr.types([R, S]), Tout: attr.types([]) } },
      { name: 'NoOp', op: 'NoOp', input: ['^StatefulPartitionedCall', '^StatefulPartitionedCall_3', '^Variable/Assign'] },
      constNode('default_color', i64([], [-5])),
      { name: 'color_ids', op: 'LookupTableFindV2', input: ['colors', 'serving_default_words', 'default_color'], attr: { Tin: attr.type(S), Tout: attr.type(I64) } },
      { name: 'StatefulPartitionedCall_1', op: 'StatefulPartitionedCall', input: ['serving_default_words', 'hash_table', 'mutable'], attr: { f: attr.func(wrapper.name), Tin: attr.types([S, R, R]), Tout: attr.types([I64, I64, I64]) } },
      { name: 'saver_filename', op: 'Placeholder', attr: { dtype: attr.type(S), shape: attr.shape([]) } },
      { name: 'StatefulPartitionedCall_2', op: 'StatefulPartitionedCall', input: ['saver_filename', 'mutable'], attr: { f: attr.func(restore.name), Tin: attr.types([S, R]), Tout: attr.types([S]) } },
    ],
    functions: [initFn, call, wrapper, restore, fileInit],
    assets: { 'asset_path_initializer:0': 'tokens.txt' },
    assetFiles: { 'tokens.txt': 'red\ngreen\n' },
    saverDef: { filenameTensorName: 'saver_filename:0', restoreOpName: 'StatefulPartitionedCall_2' },
    nodeCollections: { saved_model_main_op: ['NoOp'] },
    variables: { 'layer/_table/.ATTRIBUTES/table-keys': strings([2], ['dog', 'emu']), 'layer/_table/.ATTRIBUTES/table-values': i64([2], [100, 200]) },
    signatures: {
      __saved_model_init_op: { inputs: {}, outputs: { __saved_model_init_op: { name: 'NoOp', dtype: 'DT_INVALID', shape: null } } },
      serving_default: {
        inputs: { words: { name: 'serving_default_words:0', dtype: S, shape: [-1] } },
        outputs: {
          ids: { name: 'StatefulPartitionedCall_1:0', dtype: I64, shape: [-1] },
          size: { name: 'StatefulPartitionedCall_1:1', dtype: I64, shape: [] },
          ids2: { name: 'StatefulPartitionedCall_1:2', dtype: I64, shape: [-1] },
        },
      },
      colors: {
        inputs: { words: { name: 'serving_default_words:0', dtype: S, shape: [-1] } },
        outputs: { ids: { name: 'color_ids:0', dtype: I64, shape: [-1] }, vocab: { name: 'Variable/Read/ReadVariableOp:0', dtype: S, shape: [] } },
      },
    },
  }));

  for (const workers of [0, 1]) {
    it(`looks words up in both tables inside the signature function (workers: ${workers})`, async () => {
      const rt = runtimes.find((r) => r.workers === workers)?.rt as SavedModelRuntime;
      const m = await rt.load({ modelName: 'tf2', version: 1, path: dir() });
      try {
        const out = await m.run({ signatureName: 'serving_default', inputs: { words: strings([5], ['dog', 'cat', 'emu', 'bird', 'cow']) } });
        assert.deepEqual(ints(out['ids']), [8, 7, -1, 9, -1]);
        assert.deepEqual(ints(out['size']), [3]);
        assert.deepEqual(ints(out['ids2']), [100, -1, 200, -1, -1]);
        const colors = await m.run({ signatureName: 'colors', inputs: { words: strings([3], ['green', 'blue', 'red']) } });
        assert.deepEqual(ints(colors['ids']), [1, -5, 0]);
        assert.equal(text(colors['vocab'])[0], path.join(dir(), 'assets', 'tokens.txt'));
        await assert.rejects(m.run({ signatureName: '__saved_model_init_op', inputs: {} }), (e: unknown) => e instanceof InferdError && e.code === 'UNIMPLEMENTED' && /init op/.test(e.message));
      } finally {
        await m.close();
      }
    });
  }

  it('a static table without initializer fails its signature with FAILED_PRECONDITION', async () => {
    const d = path.join(tmp, 'uninit', '1');
    writeSavedModel(d, {
      nodes: [
        { name: 'w', op: 'Placeholder', attr: { dtype: attr.type(S) } },
        table('t', S, I64),
        constNode('d', i64([], [-1])),
        { name: 'find', op: 'LookupTableFindV2', input: ['t', 'w', 'd'], attr: { Tin: attr.type(S), Tout: attr.type(I64) } },
      ],
      signatures: { serving_default: { inputs: { w: { name: 'w:0', dtype: S } }, outputs: { y: { name: 'find:0', dtype: I64 } } } },
    });
    const m = await (runtimes[0]?.rt as SavedModelRuntime).load({ modelName: 'm', version: 1, path: d });
    try {
      await assert.rejects(m.run({ signatureName: 'serving_default', inputs: { w: strings([1], ['a']) } }), (e: unknown) => e instanceof InferdError && e.code === 'FAILED_PRECONDITION' && /Table not initialized/.test(e.message));
    } finally {
      await m.close();
    }
  });
});

describe('readTextFileTable', () => {
  it('follows key_index/value_index (-1 line number, -2 whole line), delimiters, vocab_size and offset', () => {
    const file = path.join(tmp, 'cols.txt');
    fs.writeFileSync(file, 'a\t1\t0.5\nb c\t2\t-1\r\nlast\t3\t2');
    const whole = readTextFileTable(file, { keyIndex: -2, valueIndex: -1, vocabSize: -1, delimiter: '\t', offset: 10 }, 'string', 'int64');
    assert.deepEqual(whole.keys.map((k) => Buffer.from(k as Uint8Array).toString()), ['a\t1\t0.5', 'b c\t2\t-1', 'last\t3\t2']);
    assert.deepEqual(whole.values, [10n, 11n, 12n]);
    const cols = readTextFileTable(file, { keyIndex: 1, valueIndex: 2, vocabSize: 2, delimiter: '\t', offset: 0 }, 'int64', 'float32');
    assert.deepEqual(cols, { keys: [1n, 2n], values: [0.5, -1] });
    assert.throws(() => readTextFileTable(file, { keyIndex: 1, valueIndex: 0, vocabSize: -1, delimiter: '\t', offset: 0 }, 'string', 'float32'), /not a valid/);
    fs.writeFileSync(file, 'x\ny\n');
    assert.throws(() => readTextFileTable(file, { keyIndex: 0, valueIndex: 1, vocabSize: -1, delimiter: '\t', offset: 0 }, 'string', 'int64'), /Invalid number of columns/);
  });
});
