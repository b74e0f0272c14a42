// inferd's custom ops for TensorFlow ops tfjs-converter lacks (AsString, BoostedTreesBucketize, string Tile and
// SparseToDense, Assert, DecodeJpeg/DecodePng/DecodeImage, ResizeBicubic), each in a SavedModel built by the test
// writer and compared with hand-computed values; and the single load error naming every unsupported op.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { attr, constNode, type NodeSpec, writeSavedModel } from '../../support/savedmodel-builder.ts';

const text = (t: Tensor | undefined): string[] => (t?.data as Uint8Array[]).map((b) => Buffer.from(b).toString());
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });

describe('custom ops', () => {
  let rt: SavedModelRuntime;
  let tmp: string;
  let count = 0;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-ops-'));
  });
  after(async () => {
    await rt?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A one-signature model: placeholders `inputs` (name → dtype), nodes, outputs (alias → tensor, dtype). */
  async function model(inputs: Record<string, string>, nodes: NodeSpec[], outputs: Record<string, [string, string]>) {
    const dir = path.join(tmp, `m${count++}`, '1');
    writeSavedModel(dir, {
      nodes: [...Object.entries(inputs).map(([n, t]) => ({ name: n, op: 'Placeholder', attr: { dtype: attr.type(t) } })), ...nodes],
      signatures: {
        serving_default: {
          inputs: Object.fromEntries(Object.entries(inputs).map(([n, t]) => [n, { name: `${n}:0`, dtype: t }])),
          outputs: Object.fromEntries(Object.entries(outputs).map(([a, [n, t]]) => [a, { name: n, dtype: t }])),
        },
      },
    });
    return rt.load({ modelName: 'm', version: 1, path: dir });
  }

  it('AsString formats ints, floats and bools like TensorFlow', async () => {
    const m = await model({ i: 'DT_INT64', f: 'DT_FLOAT', b: 'DT_BOOL' }, [
      { name: 'si', op: 'AsString', input: ['i'], attr: { T: attr.type('DT_INT64') } },
      { name: 'sw', op: 'AsString', input: ['i'], attr: { T: attr.type('DT_INT64'), width: attr.i(4), fill: attr.s('0') } },
      { name: 'sf', op: 'AsString', input: ['f'], attr: { T: attr.type('DT_FLOAT') } },
      { name: 'sp', op: 'AsString', input: ['f'], attr: { T: attr.type('DT_FLOAT'), precision: attr.i(2) } },
      { name: 'se', op: 'AsString', input: ['f'], attr: { T: attr.type('DT_FLOAT'), scientific: attr.b(true), precision: attr.i(3) } },
      { name: 'sb', op: 'AsString', input: ['b'], attr: { T: attr.type('DT_BOOL') } },
    ], { i: ['si:0', 'DT_STRING'], w: ['sw:0', 'DT_STRING'], f: ['sf:0', 'DT_STRING'], p: ['sp:0', 'DT_STRING'], e: ['se:0', 'DT_STRING'], b: ['sb:0', 'DT_STRING'] });
    const r = await m.run({
      signatureName: 'serving_default',
      inputs: { i: { dtype: 'int64', shape: [2], data: new BigInt64Array([7n, -3n]) }, f: f32([2], [1.5, -0.25]), b: { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) } },
    });
    assert.deepEqual(text(r['i']), ['7', '-3']);
    assert.deepEqual(text(r['w']), ['0007', '-003']);
    assert.deepEqual(text(r['f']), ['1.500000', '-0.250000']);
    assert.deepEqual(text(r['p']), ['1.50', '-0.25']);
    assert.deepEqual(text(r['e']), ['1.500e+00', '-2.500e-01']);
    assert.deepEqual(text(r['b']), ['true', 'false']);
    await m.close();
  });

  it('BoostedTreesBucketize: first boundary >= value, clamped to the last bucket, per feature', async () => {
    const m = await model({ a: 'DT_FLOAT', b: 'DT_FLOAT' }, [
      constNode('ba', f32([3], [1, 2, 3])),
      constNode('bb', f32([1], [0])),
      { name: 'bucket', op: 'BoostedTreesBucketize', input: ['a', 'b', 'ba', 'bb'], attr: { num_features: attr.i(2) } },
    ], { a: ['bucket:0', 'DT_INT32'], b: ['bucket:1', 'DT_INT32'] });
    const r = await m.run({ signatureName: 'serving_default', inputs: { a: f32([6], [0, 1, 1.5, 3, 9, -5]), b: f32([2], [-1, 1]) } });
    assert.deepEqual(Array.from(r['a']?.data as Int32Array), [0, 0, 1, 2, 2, 0]);
    assert.deepEqual(Array.from(r['b']?.data as Int32Array), [0, 0]);
    await m.close();
  });

  it('Tile and SparseToDense on strings; a graph holding an Assert (reached by control edges only) loads and runs', async () => {
    const m = await model({ s: 'DT_STRING', ok: 'DT_BOOL' }, [
      constNode('mult', { dtype: 'int32', shape: [2], data: Int32Array.from([2, 2]) }),
      constNode('idx', { dtype: 'int64', shape: [2, 2], data: new BigInt64Array([0n, 1n, 1n, 0n]) }),
      constNode('dshape', { dtype: 'int64', shape: [2], data: new BigInt64Array([2n, 2n]) }),
      constNode('dflt', { dtype: 'string', shape: [], data: [Buffer.from('-')] }),
      constNode('two', { dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) }),
      { name: 'r', op: 'Reshape', input: ['s', 'two'], attr: { T: attr.type('DT_STRING') } },
      { name: 'tile', op: 'Tile', input: ['r', 'mult'], attr: { T: attr.type('DT_STRING') } },
      { name: 'dense', op: 'SparseToDense', input: ['idx', 'dshape', 's', 'dflt'], attr: { T: attr.type('DT_STRING'), Tindices: attr.type('DT_INT64') } },
      { name: 'check', op: 'Assert', input: ['ok', 's'], attr: { T: attr.types(['DT_STRING']) } },
      { name: 'after', op: 'Identity', input: ['s', '^check'], attr: { T: attr.type('DT_STRING') } },
    ], { tile: ['tile:0', 'DT_STRING'], dense: ['dense:0', 'DT_STRING'] });
    const r = await m.run({ signatureName: 'serving_default', inputs: { s: { dtype: 'string', shape: [2], data: [Buffer.from('a'), Buffer.from('b')] }, ok: { dtype: 'bool', shape: [], data: Uint8Array.from([1]) } } });
    assert.deepEqual(r['tile']?.shape, [2, 4]);
    assert.deepEqual(text(r['tile']), ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    assert.deepEqual(text(r['dense']), ['-', 'a', 'b', '-']);
    await m.close();
  });

  it('DecodeJpeg/DecodePng/DecodeImage decode to uint8 HWC; ResizeBicubic matches TensorFlow\'s kernel', async () => {
    const w = 4;
    const h = 2;
    const rgba = Buffer.alloc(w * h * 4);
    for (let p = 0; p < w * h; p++) rgba.set([p * 30, 255 - p * 30, 100, 255], p * 4);
    const png = new PNG({ width: w, height: h });
    rgba.copy(png.data);
    const pngBytes = PNG.sync.write(png, { colorType: 2 });
    const flat = Buffer.alloc(8 * 8 * 4, 0);
    for (let p = 0; p < 64; p++) flat.set([200, 40, 90, 255], p * 4);
    const jpegBytes = jpeg.encode({ width: 8, height: 8, data: flat }, 95).data;
    const m = await model({ png: 'DT_STRING', jpg: 'DT_STRING', img: 'DT_FLOAT', size: 'DT_INT32' }, [
      { name: 'dp', op: 'DecodePng', input: ['png'], attr: { channels: attr.i(3) } },
      { name: 'dj', op: 'DecodeJpeg', input: ['jpg'], attr: { channels: attr.i(3) } },
      { name: 'di', op: 'DecodeImage', input: ['png'], attr: { channels: attr.i(1) } },
      { name: 'rb', op: 'ResizeBicubic', input: ['img', 'size'], attr: { T: attr.type('DT_FLOAT'), half_pixel_centers: attr.b(true) } },
    ], { png: ['dp:0', 'DT_UINT8'], jpg: ['dj:0', 'DT_UINT8'], gray: ['di:0', 'DT_UINT8'], resized: ['rb:0', 'DT_FLOAT'] });
    const r = await m.run({
      signatureName: 'serving_default',
      inputs: {
        png: { dtype: 'string', shape: [], data: [pngBytes] }, jpg: { dtype: 'string', shape: [], data: [jpegBytes] },
        img: f32([1, 1, 4, 1], [0, 1, 2, 3]), size: { dtype: 'int32', shape: [2], data: Int32Array.from([1, 8]) },
      },
    });
    assert.deepEqual(r['png']?.shape, [h, w, 3]);
    assert.deepEqual(Array.from(r['png']?.data as Uint8Array).slice(0, 6), [0, 255, 100, 30, 225, 100]);
    assert.equal(r['png']?.dtype, 'uint8');
    assert.deepEqual(r['gray']?.shape, [h, w, 1]);
    assert.equal((r['gray']?.data as Uint8Array)[0], Math.round(0.587 * 255 + 0.114 * 100));
    assert.deepEqual(r['jpg']?.shape, [8, 8, 3]);
    for (const [i, v] of Array.from(r['jpg']?.data as Uint8Array).slice(0, 3).entries()) assert.ok(Math.abs(v - ([200, 40, 90][i] as number)) <= 3, `jpeg channel ${i}: ${v}`);
    // Half-pixel bicubic (a = -0.5, taps outside the image dropped and the rest renormalized, as TensorFlow's kernel)
    // upsampling [0, 1, 2, 3] to 8 columns, computed independently (Python, float64).
    const expected = [-0.0882353, 0.1678832, 0.7099237, 1.25, 1.75, 2.2900763, 2.8321168, 3.0882353];
    const got = Array.from(r['resized']?.data as Float32Array);
    got.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-3, `column ${i}: ${v} vs ${expected[i]}`));
    await assert.rejects(
      m.run({ signatureName: 'serving_default', inputs: { png: { dtype: 'string', shape: [], data: [Buffer.from('GIF89a')] }, jpg: { dtype: 'string', shape: [], data: [jpegBytes] }, img: f32([1, 1, 1, 1], [0]), size: { dtype: 'int32', shape: [2], data: Int32Array.from([1, 1]) } } }),
      (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && /Unknown image file format/.test(e.message),
    );
    await m.close();
  });

  it('unsupported ops fail the load with one error naming all of them', async () => {
    await assert.rejects(
      model({ x: 'DT_FLOAT' }, [
        { name: 'a', op: 'Lgamma', input: ['x'], attr: { T: attr.type('DT_FLOAT') } },
        { name: 'b', op: 'Digamma', input: ['a'], attr: { T: attr.type('DT_FLOAT') } },
      ], { y: ['b:0', 'DT_FLOAT'] }),
      (e: unknown) => e instanceof InferdError && e.code === 'UNIMPLEMENTED' && /Digamma/.test(e.message) && /Lgamma/.test(e.message),
    );
  });
});
