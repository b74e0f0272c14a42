// The central output check (core/output-check.ts): malformed tensors and unwritten elements are INTERNAL, never
// answered; an input that itself carries the unwritten pattern turns the scan off for that request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferdError } from '../../src/core/errors.ts';
import { checkOutputs, withOutputCheck } from '../../src/core/output-check.ts';
import type { LoadedModel, RunResult } from '../../src/core/runtime.ts';
import type { Signature } from '../../src/core/signature.ts';
import type { Tensor } from '../../src/core/tensor.ts';

const signature: Signature = {
  inputs: { x: { name: 'x', dtype: 'float32' } },
  outputs: { y: { name: 'y', dtype: 'float32' }, ok: { name: 'ok', dtype: 'bool' } },
  methodName: 'tensorflow/serving/predict',
};
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });
const unwritten = (): Tensor => {
  const data = new Float32Array(2);
  new Uint32Array(data.buffer).fill(0xffffffff);
  return { dtype: 'float32', shape: [2], data };
};
const request = (x: Tensor = f32([1], [0])) => ({ signatureName: 'serving_default', inputs: { x } });
const internal = (e: unknown) => e instanceof InferdError && e.code === 'INTERNAL';
const good: RunResult = { y: f32([2], [1, NaN]), ok: { dtype: 'bool', shape: [1], data: new Uint8Array([1]) } };

describe('checkOutputs', () => {
  it('passes well-formed outputs, canonical NaN included', () => {
    checkOutputs(request(), good, signature);
  });
  it('refuses a missing output, a bad shape, a length mismatch, a wrong dtype and a bool that is neither 0 nor 1', () => {
    assert.throws(() => checkOutputs(request(), { y: good['y'] as Tensor }, signature), internal);
    assert.throws(() => checkOutputs(request(), { ...good, y: f32([-1], [1]) }, signature), internal);
    assert.throws(() => checkOutputs(request(), { ...good, y: f32([3], [1, 2]) }, signature), internal);
    assert.throws(() => checkOutputs(request(), { ...good, y: { dtype: 'int32', shape: [1], data: new Int32Array(1) } }, signature), internal);
    assert.throws(() => checkOutputs(request(), { ...good, ok: { dtype: 'bool', shape: [1], data: new Uint8Array([255]) } }, signature), internal);
  });
  it('refuses an unwritten element unless an input carries the same bits', () => {
    assert.throws(() => checkOutputs(request(), { ...good, y: unwritten() }, signature), (e: unknown) => internal(e) && /unwritten/.test((e as Error).message));
    checkOutputs(request(unwritten()), { ...good, y: unwritten() }, signature);
  });
  it('checks only the filtered outputs', () => {
    checkOutputs({ ...request(), outputFilter: ['y'] }, { y: f32([1], [1]) }, signature);
  });
  it('withOutputCheck wraps run and forwards close', async () => {
    let closed = false;
    const inner: LoadedModel = { metadata: { signatures: { serving_default: signature } }, run: async () => ({ ...good, y: unwritten() }), close: async () => { closed = true; } };
    const checked = withOutputCheck(inner);
    await assert.rejects(checked.run(request()), internal);
    await checked.close();
    assert.ok(closed);
  });
});
