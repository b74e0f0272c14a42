// inspectSavedModel (saved_model_cli show) on a SavedModel written by the test, and on the fixture when present.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectSavedModel } from '../../../src/runtimes/savedmodel/inspect.ts';
import { InferdError } from '../../../src/core/errors.ts';
import { attr, writeSavedModel } from '../../support/savedmodel-builder.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-inspect-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const dir = path.join(tmp, '1');
writeSavedModel(dir, {
  nodes: [{ name: 'x', op: 'Placeholder', attr: { dtype: attr.type('DT_FLOAT') } }, { name: 'y', op: 'Identity', input: ['x'], attr: { T: attr.type('DT_FLOAT') } }],
  signatures: {
    serving_default: { inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', shape: [-1, 1] } }, outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT', shape: null } } },
    b_sig: { inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT', shape: [] } }, methodName: 'tensorflow/serving/regress' },
  },
});

describe('inspectSavedModel', () => {
  it('lists tag sets, signature keys and one signature like saved_model_cli show', async () => {
    assert.equal(await inspectSavedModel(dir), "The given SavedModel contains the following tag-sets:\n'serve'\n");
    assert.equal(
      await inspectSavedModel(dir, { tagSet: 'serve' }),
      'The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:\nSignatureDef key: "b_sig"\nSignatureDef key: "serving_default"\n',
    );
    assert.equal(await inspectSavedModel(dir, { tagSet: 'serve', signatureDef: 'serving_default' }), [
      'The given SavedModel SignatureDef contains the following input(s):',
      "  inputs['x'] tensor_info:",
      '      dtype: DT_FLOAT',
      '      shape: (-1, 1)',
      '      name: x:0',
      'The given SavedModel SignatureDef contains the following output(s):',
      "  outputs['y'] tensor_info:",
      '      dtype: DT_FLOAT',
      '      shape: unknown_rank',
      '      name: y:0',
      'Method name is: tensorflow/serving/predict',
      '',
    ].join('\n'));
  });

  it('prints --all, --json and errors', async () => {
    const all = await inspectSavedModel(dir, { all: true });
    assert.match(all, /^MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:\n\nsignature_def\['b_sig'\]:/);
    assert.match(all, /Method name is: tensorflow\/serving\/regress/);
    const json = JSON.parse(await inspectSavedModel(dir, { json: true, tagSet: 'serve', signatureDef: 'b_sig' }));
    assert.deepEqual(json.metaGraphs[0].signatures.b_sig.outputs.y, { name: 'y:0', dtype: 'DT_FLOAT', shape: [] });
    await assert.rejects(inspectSavedModel(dir, { tagSet: 'gpu' }), (e: unknown) => e instanceof InferdError && e.code === 'NOT_FOUND');
    await assert.rejects(inspectSavedModel(dir, { tagSet: 'serve', signatureDef: 'nope' }), (e: unknown) => e instanceof InferdError && /b_sig, serving_default/.test(e.message));
  });

  const fixture = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/tensorflow-serving/saved_model_half_plus_two_cpu/00000123');
  it('shows the half_plus_two fixture', { skip: fs.existsSync(fixture) ? false : 'fixtures absent' }, async () => {
    const text = await inspectSavedModel(fixture, { tagSet: 'serve', signatureDef: 'classify_x_to_y' });
    assert.match(text, /inputs\['inputs'\] tensor_info:\n {6}dtype: DT_STRING\n {6}shape: unknown_rank\n {6}name: tf_example:0/);
    assert.match(text, /Method name is: tensorflow\/serving\/classify/);
  });
});
