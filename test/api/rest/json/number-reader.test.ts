/**
 * The JSON tape's number reader (json-tape.ts + decimal-to-double.ts) against an independent oracle: V8's
 * correctly rounded `Number(text)`, then `Math.fround` for float32 inputs (TF Serving: rapidjson's double, cast).
 * Deterministic seeds; random and constructed hard cases (halfway points of float64 and float32, subnormals,
 * 16–20 digit significands, exponents −330…+310, overflow, malformed tokens).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decimalToDouble } from '../../../../src/api/rest/json/decimal-to-double.ts';
import { parseJsonTape } from '../../../../src/api/rest/json/json-tape.ts';
import { decodePredictInputs, parsePredictRequest } from '../../../../src/api/rest/json/predict-request.ts';
import type { DType } from '../../../../src/core/dtype.ts';
import type { Signature } from '../../../../src/core/signature.ts';
import { prng } from '../../../../src/loadgen/inputs.ts';
import { assertInferdError } from './helpers.ts';

/** Every number of `texts` read by the tape of one JSON list, in order. */
function readAll(texts: readonly string[]): Float64Array {
  const tape = parseJsonTape(`[${texts.join(',')}]`);
  return tape.numbers.subarray(0, texts.length);
}

/** Assert the tape reads each text as Number(text) (bit for bit; integer `-0` reads as 0, as rapidjson). */
function assertReadsAsV8(texts: readonly string[]): void {
  const got = readAll(texts);
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    let expected = Number(text);
    if (!/[.eE]/.test(text) && expected === 0) expected = 0;
    if (!Object.is(got[i], expected)) assert.fail(`${text}: read ${got[i]}, Number() gives ${expected}`);
  }
}

/** A decimal `digits × 10^exp10` written in one of JSON's spellings, chosen by `style` (0–3). */
function spell(digits: string, exp10: number, style: number): string {
  const len = digits.length;
  switch (style) {
    case 0: return `${digits}e${exp10}`;
    case 1: return `${digits[0]}${len > 1 ? `.${digits.slice(1)}` : ''}E${exp10 + len - 1 >= 0 ? '+' : ''}${exp10 + len - 1}`;
    default: {
      const point = len + exp10; // digits before the decimal point
      if (Math.abs(exp10) > 40) return `${digits}e${exp10}`;
      if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
      if (point >= len) return `${digits}${'0'.repeat(point - len)}${style === 3 ? '.0' : ''}`;
      return `${digits.slice(0, point)}.${digits.slice(point)}`;
    }
  }
}

/** `n` random decimal digits, the first non-zero. */
function randomDigits(rand: () => number, n: number): string {
  let s = String(1 + Math.floor(rand() * 9));
  for (let i = 1; i < n; i++) s += String(Math.floor(rand() * 10));
  return s;
}

/** The exact value of `m × 2^e` (m > 0) as decimal digits and a power of ten: m·2^e = digits × 10^exp10. */
function exactDecimal(m: bigint, e: number): { digits: string; exp10: number } {
  if (e >= 0) return { digits: (m << BigInt(e)).toString(), exp10: 0 };
  // m / 2^k = m·5^k / 10^k
  return { digits: (m * 5n ** BigInt(-e)).toString(), exp10: e };
}

/** Decimals within a unit of the `n`-th significant digit of `x` (truncated, one below, one above). */
function nearby({ digits, exp10 }: { digits: string; exp10: number }, n: number): { digits: string; exp10: number }[] {
  if (digits.length <= n) return [{ digits, exp10 }];
  const cut = BigInt(digits.slice(0, n));
  const e = exp10 + digits.length - n;
  return [cut - 1n, cut, cut + 1n].filter((d) => d > 0n).map((d) => ({ digits: d.toString(), exp10: e }));
}

/** Mantissa and binary exponent of a positive finite double: x = m × 2^e with m an integer (53 bits for normals). */
function float64Parts(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const frac = bits & ((1n << 52n) - 1n);
  return biased === 0 ? { m: frac, e: -1074 } : { m: frac | (1n << 52n), e: biased - 1075 };
}

/** Mantissa and binary exponent of a positive finite float32: x = m × 2^e. */
function float32Parts(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  const bits = view.getUint32(0);
  const biased = bits >>> 23;
  const frac = BigInt(bits & 0x7fffff);
  return biased === 0 ? { m: frac, e: -149 } : { m: frac | (1n << 23n), e: biased - 150 };
}

const F32: Signature = { inputs: { x: { name: 'x:0', dtype: 'float32' } }, outputs: {}, methodName: 'tensorflow/serving/predict' };
const F64: Signature = { inputs: { x: { name: 'x:0', dtype: 'float64' } }, outputs: {}, methodName: 'tensorflow/serving/predict' };

/** The float32 (or float64) tensor values a predict body `{"instances": [texts…]}` decodes to. */
function predictValues(texts: readonly string[], dtype: DType): Float32Array | Float64Array {
  const inputs = decodePredictInputs(parsePredictRequest(`{"instances": [${texts.join(', ')}]}`), dtype === 'float32' ? F32 : F64);
  return inputs.x!.data as Float32Array | Float64Array;
}

describe('JSON number reader = Number(text) (then Math.fround for float32)', () => {
  it('random significands of 1–20 digits, exponents −330…+310, every spelling', () => {
    const rand = prng(0x5eed1);
    const texts: string[] = [];
    while (texts.length < 40000) {
      const digits = randomDigits(rand, 1 + Math.floor(rand() * 20));
      const exp10 = rand() < 0.5 ? Math.floor(rand() * 45) - 30 : Math.floor(rand() * 641) - 330;
      const text = `${rand() < 0.3 ? '-' : ''}${spell(digits, exp10, Math.floor(rand() * 4))}`;
      if (Number.isFinite(Number(text))) texts.push(text);
    }
    assertReadsAsV8(texts);
  });

  it("Python's floats: float32 data written with 17 significant digits and shortest, any magnitude", () => {
    const rand = prng(0x5eed2);
    const texts: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const f = Math.fround((rand() - 0.3) * 10 ** (Math.floor(rand() * 24) - 12));
      texts.push(f.toPrecision(17), String(f), f.toExponential(16));
    }
    assertReadsAsV8(texts);
    const values = predictValues(texts, 'float32');
    for (let i = 0; i < texts.length; i++) assert.equal(values[i], Math.fround(Number(texts[i])), texts[i]);
  });

  it('float64 halfway points: exact, and within one unit of the 16th–19th digit', () => {
    const rand = prng(0x5eed3);
    const texts: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const x = rand() < 0.5 ? rand() * 2 ** (Math.floor(rand() * 140) - 70) : Math.floor(rand() * 2 ** 11) * 2 ** 53 + 2 ** 63 * rand();
      if (!(x > 0) || !Number.isFinite(x)) continue;
      const { m, e } = float64Parts(x);
      const half = exactDecimal(2n * m + 1n, e - 1); // the midpoint between x and the next double up
      texts.push(spell(half.digits, half.exp10, 0));
      for (const n of [16, 17, 18, 19]) for (const d of nearby(half, n)) texts.push(spell(d.digits, d.exp10, i % 4));
    }
    assertReadsAsV8(texts);
    const values = predictValues(texts, 'float64');
    for (let i = 0; i < texts.length; i++) assert.equal(values[i], Number(texts[i]), texts[i]);
  });

  it('float32 halfway points (the cast of the correctly rounded double, as TF Serving)', () => {
    const rand = prng(0x5eed4);
    const texts: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const f = Math.fround(rand() * 2 ** (Math.floor(rand() * 60) - 30));
      if (!(f > 0)) continue;
      const { m, e } = float32Parts(f);
      const half = exactDecimal(2n * m + 1n, e - 1);
      texts.push(spell(half.digits, half.exp10, 2));
      for (const n of [8, 9, 10, 15, 16, 17, 18, 19]) for (const d of nearby(half, n)) texts.push(spell(d.digits, d.exp10, i % 4));
    }
    assertReadsAsV8(texts);
    const values = predictValues(texts, 'float32');
    for (let i = 0; i < texts.length; i++) assert.equal(values[i], Math.fround(Number(texts[i])), texts[i]);
  });

  it('named hard cases: 2^53 + 1, subnormals, limits, −0, leading zeros, exponent spellings', () => {
    assertReadsAsV8([
      '9007199254740993', '9007199254740992', '9007199254740995', '-9007199254740993', '9007199254740993.0',
      '18446744073709551615', '18446744073709551616', '9223372036854775807', '-9223372036854775808', '123456789012345678901',
      '5e-324', '4.9406564584124654e-324', '2.4703282292062327e-324', '2.4703282292062328e-324', '1e-400',
      '2.2250738585072011e-308', '2.2250738585072014e-308', '1.7976931348623157e308', '1.7976931348623158e308',
      '0', '-0', '0.0', '-0.0', '0e-5', '-0e+10', '0.000123', '0.0000000000000000000000000001234567890123456789',
      '1e5', '1E+05', '1e-05', '1E5', '1.5e0', '10000000000000000000000', '1e22', '1e23', '1e-22', '1e-23',
      '0.30000001192092896', '0.1', '0.2', '0.3', '1.0000000000000002', '0.99999999999999994', '0.99999999999999995',
      '3.4028235677973366e38', '3.4028234663852886e38', '1.1754943508222875e-38', '1.401298464324817e-45',
      '7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015625e-46',
    ]);
    assert.ok(Object.is(readAll(['-0.0'])[0], -0), '-0.0 reads as -0');
    assert.ok(Object.is(readAll(['-0'])[0], 0), 'the integer -0 reads as 0 (rapidjson)');
    // 16777217 = 2^24 + 1 is a float32 tie: the double is exact, the cast rounds to even.
    assert.deepEqual([...predictValues(['16777217', '16777219', '1e39', '-1e39'], 'float32')], [16777216, 16777220, Infinity, -Infinity]);
  });

  it('undecided values go to V8 (exact halfway points); decided ones do not', () => {
    // 90071992547409930e-1 = 2^53 + 1 is exactly halfway between two doubles: the double-double path must not decide.
    assert.ok(Number.isNaN(decimalToDouble(900719925474099, 30, 2, -1)), 'an exact halfway point is left undecided');
    assert.equal(decimalToDouble(900719925474099, 3, 1, 0), 9007199254740992); // an integer: fl(w) directly
    // Python's 17-digit floats are decided without V8 (the point of the fast path).
    const rand = prng(0x5eed5);
    let decided = 0;
    for (let i = 0; i < 1000; i++) {
      const text = Math.fround(rand()).toPrecision(17); // "0.ddddddddddddddddd"
      const digits = text.slice(2).replace(/^0+/, '');
      const value = decimalToDouble(Number(digits.slice(0, 15)), Number(digits.slice(15) || '0'), digits.length - 15, -(text.length - 2));
      if (!Number.isNaN(value)) {
        decided++;
        assert.equal(value, Number(text), text);
      }
    }
    assert.ok(decided >= 990, `decided ${decided} of 1000`);
  });

  it('out of range: a double overflow is a parse error at the number; rejects malformed numbers as rapidjson', () => {
    const cases: [string, string][] = [
      ['[1, 1e309]', 'JSON Parse error: Number too big to be stored in double. at offset: 4'],
      ['[-1.7976931348623159e308]', 'JSON Parse error: Number too big to be stored in double. at offset: 1'],
      ['[123456789012345678901234567890e290]', 'JSON Parse error: Number too big to be stored in double. at offset: 1'],
      ['[.5]', 'JSON Parse error: Invalid value. at offset: 1'],
      ['[5.]', 'JSON Parse error: Miss fraction part in number. at offset: 3'],
      ['[5.e3]', 'JSON Parse error: Miss fraction part in number. at offset: 3'],
      ['[1e]', 'JSON Parse error: Miss exponent in number. at offset: 3'],
      ['[1e+]', 'JSON Parse error: Miss exponent in number. at offset: 4'],
      ['[-]', 'JSON Parse error: Invalid value. at offset: 2'],
      ['[+1]', 'JSON Parse error: Invalid value. at offset: 1'],
      ['[00.5]', "JSON Parse error: Missing a comma or ']' after an array element. at offset: 2"],
      ['[01]', "JSON Parse error: Missing a comma or ']' after an array element. at offset: 2"],
    ];
    for (const [body, message] of cases) assertInferdError(() => parseJsonTape(body), 'INVALID_ARGUMENT', message);
  });
});
