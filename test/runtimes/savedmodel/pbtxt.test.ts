// saved_model.pbtxt through core's one text-format parser: a hand-written SavedModel (y = x + c, c from a Const
// whose tensor_content holds non-UTF-8 bytes as octal escapes; comments, `<>` braces, a list value, an expanded
// Any and a field unknown to inferd's protos) decodes to exactly what the binary encoding of the same object
// decodes to, loads in the SavedModel runtime and answers; malformed text names the file, line and column.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import { parsePbtxt } from '../../../src/runtimes/savedmodel/pbtxt.ts';
import { decodeMessage, encodeMessage } from '../../../src/runtimes/savedmodel/proto.ts';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';

const PBTXT = String.raw`# y = x + c, written by hand
saved_model_schema_version: 1
meta_graphs {
  meta_info_def {
    tags: "serve"
    meta_graph_version: 'inferd-' "pbtxt"  # adjacent strings concatenate
    any_info { [type.googleapis.com/tensorflow.SomethingNew] { whatever: 1 } }
  }
  graph_def {
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape { unknown_rank: true } } } }
    node {
      name: "c" op: "Const"
      attr { key: "dtype" value { type: DT_FLOAT } }
      attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } tensor_content: "\000\000\200?\000\000\000@" } } }
    }
    node { name: "y" op: "AddV2" input: ["x", "c"] attr { key: "T" value { type: DT_FLOAT } } }
    versions { producer: 1 }
    a_field_from_the_future: 42
  }
  signature_def {
    key: "serving_default"
    value <
      inputs { key: "x" value { name: "x:0" dtype: DT_FLOAT tensor_shape { dim { size: -1 } dim { size: 2 } } } }
      outputs { key: "y" value { name: "y:0" dtype: DT_FLOAT tensor_shape { dim { size: -1 } dim { size: 2 } } } }
      method_name: "tensorflow/serving/predict"
    >
  }
}
`;

/** The same SavedModel as a plain object, for the binary oracle. */
const floatAttr = { type: 'DT_FLOAT' };
const shape2 = { dim: [{ size: -1 }, { size: 2 }] };
const OBJECT = {
  savedModelSchemaVersion: 1,
  metaGraphs: [{
    metaInfoDef: { tags: ['serve'], metaGraphVersion: 'inferd-pbtxt', anyInfo: {} },
    graphDef: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: floatAttr, shape: { shape: { unknownRank: true } } } },
        {
          name: 'c', op: 'Const',
          attr: { dtype: floatAttr, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: 2 }] }, tensorContent: Buffer.from(Float32Array.of(1, 2).buffer) } } },
        },
        { name: 'y', op: 'AddV2', input: ['x', 'c'], attr: { T: floatAttr } },
      ],
      versions: { producer: 1 },
    },
    signatureDef: {
      serving_default: {
        inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: shape2 } },
        outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT', tensorShape: shape2 } },
        methodName: 'tensorflow/serving/predict',
      },
    },
  }],
};

describe('saved_model.pbtxt', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-pbtxt-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes to what the binary encoding of the same SavedModel decodes to', () => {
    const fromText = parsePbtxt<Record<string, unknown>>('tensorflow.SavedModel', PBTXT, 'saved_model.pbtxt');
    const fromBinary = decodeMessage<Record<string, unknown>>('tensorflow.SavedModel', encodeMessage('tensorflow.SavedModel', OBJECT));
    // Bytes compare as byte lists (protobufjs decodes them as Buffers, the text path yields Uint8Arrays).
    const plain = (v: unknown): unknown => {
      if (v instanceof Uint8Array) return [...v];
      if (Array.isArray(v)) return v.map(plain);
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
      return v;
    };
    assert.deepEqual(plain(fromText), plain(fromBinary));
  });

  it('loads and serves in the SavedModel runtime', async () => {
    const version = path.join(dir, '1');
    await mkdir(version, { recursive: true });
    await writeFile(path.join(version, 'saved_model.pbtxt'), PBTXT);
    const runtime = await SavedModelRuntime.create({ workers: 0 });
    try {
      const model = await runtime.load({ modelName: 'm', version: 1, path: version });
      const out = await model.run({ signatureName: 'serving_default', inputs: { x: { dtype: 'float32', shape: [1, 2], data: Float32Array.of(10, 20) } } });
      assert.deepEqual([...(out.y?.data as Float32Array)], [11, 22]);
      await model.close();
    } finally {
      await runtime.close();
    }
  });

  it('names the file, line and column of a syntax error or a bad value', () => {
    const bad = (text: string, pattern: RegExp): void => {
      assert.throws(() => parsePbtxt('tensorflow.SavedModel', text, 'x/saved_model.pbtxt'),
        (err: unknown) => err instanceof InferdError && err.code === 'INVALID_ARGUMENT' && pattern.test(err.message));
    };
    bad('meta_graphs {\n  meta_info_def { tags: "serve" \n', /^x\/saved_model\.pbtxt:3:1: Expected "}", found ""\.$/);
    bad('meta_graphs { graph_def { node { attr { key: "T" value { type: DT_NOPE } } } } }', /^x\/saved_model\.pbtxt:1:\d+: unknown enum value DT_NOPE for DataType$/);
    bad('saved_model_schema_version: "one"', /^x\/saved_model\.pbtxt:1:1: expected a number/);
  });
});
