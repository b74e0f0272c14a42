import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeMetadata, encodeStatus } from '../../../../src/api/rest/json/status-json.ts';
import { InferdError } from '../../../../src/core/errors.ts';
import type { Signature, TensorSpec } from '../../../../src/core/signature.ts';

const FIXTURE = new URL('../../../../../shared/fixtures/tensorflow-serving/half_plus_two_model_metadata.json', import.meta.url);

const f = (name: string): TensorSpec => ({ name, dtype: 'float32', shape: [-1, 1] });
const examples: TensorSpec = { name: 'tf_example:0', dtype: 'string', shape: null };
const io = (inputs: Record<string, TensorSpec>, outputs: Record<string, TensorSpec>, method: string): Signature => ({
  inputs, outputs, methodName: `tensorflow/serving/${method}`,
});
/** half_plus_two's signatures, built by hand. */
const HALF_PLUS_TWO: Record<string, Signature> = {
  regress_x2_to_y3: io({ inputs: f('x2:0') }, { outputs: f('y3:0') }, 'regress'),
  serving_default: io({ x: f('x:0') }, { y: f('y:0') }, 'predict'),
  classify_x_to_y: io({ inputs: examples }, { scores: f('y:0') }, 'classify'),
  regress_x_to_y2: io({ inputs: examples }, { outputs: f('y2:0') }, 'regress'),
  regress_x_to_y: io({ inputs: examples }, { outputs: f('y:0') }, 'regress'),
};

describe('status and metadata JSON', () => {
  it('status: versions descending, version as string, error code names', () => {
    const text = encodeStatus([
      { version: 1, state: 'END' },
      { version: 3, state: 'END', error: InferdError.notFound('gone') },
      { version: 2, state: 'AVAILABLE' },
    ]);
    assert.deepEqual(JSON.parse(text), {
      model_version_status: [
        { version: '3', state: 'END', status: { error_code: 'NOT_FOUND', error_message: 'gone' } },
        { version: '2', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
        { version: '1', state: 'END', status: { error_code: 'OK', error_message: '' } },
      ],
    });
  });

  it('metadata matches half_plus_two_model_metadata.json', (t) => {
    if (!existsSync(FIXTURE)) {
      t.skip('shared/fixtures/tensorflow-serving absent');
      return;
    }
    const expected: unknown = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    assert.deepEqual(JSON.parse(encodeMetadata('default', 123, HALF_PLUS_TWO)), expected);
  });

  it('metadata: shapes absent, scalar, named dims, _REF dtypes', () => {
    const sig = io(
      { a: { name: 'a', dtype: 'int64' }, b: { name: 'b', dtype: 'float32', shape: [] } },
      { c: { name: 'c', dtype: 'float32', shape: [-1, 3], dimNames: ['batch', ''], tfDataType: 101 } },
      'predict',
    );
    const body = JSON.parse(encodeMetadata('m', 7, { s: sig })) as {
      model_spec: unknown; metadata: { signature_def: { signature_def: Record<string, unknown> } };
    };
    assert.deepEqual(body.model_spec, { name: 'm', signature_name: '', version: '7' });
    assert.deepEqual(body.metadata.signature_def.signature_def.s, {
      inputs: {
        a: { dtype: 'DT_INT64', name: 'a' },
        b: { dtype: 'DT_FLOAT', tensor_shape: { dim: [], unknown_rank: false }, name: 'b' },
      },
      outputs: {
        c: {
          dtype: 'DT_FLOAT_REF',
          tensor_shape: { dim: [{ size: '-1', name: 'batch' }, { size: '3', name: '' }], unknown_rank: false },
          name: 'c',
        },
      },
      method_name: 'tensorflow/serving/predict',
      defaults: {},
    });
  });
});
