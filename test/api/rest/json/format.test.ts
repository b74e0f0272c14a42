import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloat32, formatFloat64, formatG } from '../../../../src/api/rest/json/format.ts';

describe('WriteDecimal float formatting', () => {
  const float32: [number, string][] = [
    [3, '3.0'], [2.5, '2.5'], [9000000, '9e+06'], [0.00003, '3e-05'], [999999, '999999.0'], [555557.5, '555557.5'],
    [0.1, '0.1'], [0.2, '0.2'], [1 / 3, '0.333333343'], [-0, '-0.0'], [0, '0.0'], [123456789, '123456792.0'],
    [1e-45, '1.4013e-45'], [3.4e38, '3.4e+38'], [0.0001, '0.0001'], [1234567, '1234567.0'], [-2.25, '-2.25'],
    [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'],
  ];
  for (const [v, s] of float32) {
    it(`float ${v} → ${s}`, () => assert.equal(formatFloat32(Math.fround(v)), s));
  }
  const float64: [number, string][] = [
    [3, '3.0'], [0.1, '0.1'], [1 / 3, '0.33333333333333331'], [1e100, '1e+100'], [123456789, '123456789.0'],
    [0.00003, '3e-05'], [NaN, 'NaN'], [-Infinity, '-Infinity'],
  ];
  for (const [v, s] of float64) {
    it(`double ${v} → ${s}`, () => assert.equal(formatFloat64(v), s));
  }
  it('formatG follows printf %g', () => {
    assert.equal(formatG(100000, 6), '100000');
    assert.equal(formatG(1000000, 6), '1e+06');
    assert.equal(formatG(999999.5, 6), '1e+06');
    assert.equal(formatG(0.000123456, 6), '0.000123456');
    assert.equal(formatG(0.0000123456, 6), '1.23456e-05');
    assert.equal(formatG(1.5e-300, 6), '1.5e-300');
  });
  it('every formatted float32 parses back to the same float32', () => {
    const buf = new Float32Array(1);
    const bits = new Uint32Array(buf.buffer);
    for (let i = 0; i < 20000; i++) {
      bits[0] = (Math.random() * 2 ** 32) >>> 0;
      const v = buf[0]!;
      if (!Number.isFinite(v)) continue;
      assert.equal(Math.fround(Number(formatFloat32(v))), v, `${v}`);
    }
  });
});
