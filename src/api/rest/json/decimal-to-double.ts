/**
 * Decimal → double without strings, for the JSON tape's number reader (json-tape.ts). The result must be the
 * correctly rounded double (round to nearest, ties to even) of the decimal, as rapidjson's full-precision parse in
 * TensorFlow Serving and V8's `Number(text)` give; float32 inputs are then `Math.fround` of that double.
 *
 * Two exact-or-undecided paths, both pure arithmetic on doubles:
 * - Clinger's fast path (clingerFastPath): a significand of ≤ 15 digits is an exact double and so is 10^k for
 *   k ≤ 22, so one IEEE multiplication or division is correctly rounded.
 * - Double-double (decimalToDouble) for significands of 16–19 digits (Python's `repr` of float32 data has 16–17)
 *   and exponents within ±MAX_SCALE: the significand becomes an exact sum hi + lo of two doubles, is scaled by
 *   exact powers of ten with error-free transformations (Dekker's product, Veltkamp's split), which keeps the
 *   result within a relative 2^-98 of the exact value; the nearest double is then decided by rounding both ends of
 *   a 2^-90 interval around it. If they round to the same double, so does the exact value (rounding is monotonic);
 *   if not (the value is within 2^-90 of a halfway point, e.g. 9007199254740993) it answers NaN and the caller
 *   asks V8's correctly rounded conversion of the token's text.
 */

/** 10^0 … 10^22: every one is an exact double. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Veltkamp's splitter for doubles: 2^27 + 1. */
const SPLITTER = 134217729;
/** Largest |exponent| decimalToDouble scales by (in steps of at most 10^22); larger ones answer NaN. */
const MAX_SCALE = 88;
/** Half-width of the rounding interval, relative to the result: far above the 2^-98 error bound of the scaling. */
const TOLERANCE = 2 ** -90;
const TWO_26 = 2 ** 26;

/**
 * The correctly rounded double of `mant × 10^exp10` when Clinger's fast path applies (`mant` an integer below
 * 10^15, |exp10| ≤ 22), else NaN. `mant` must be exact (≤ 15 significant digits).
 */
export function clingerFastPath(mant: number, exp10: number): number {
  if (exp10 < -22 || exp10 > 22) return NaN;
  return exp10 < 0 ? mant / POW10[-exp10]! : mant * POW10[exp10]!;
}

/**
 * The correctly rounded double of the decimal `(head × 10^tailDigits + tail) × 10^exp10`, or NaN when it cannot
 * decide cheaply (|exp10| > MAX_SCALE, or within a hair of a halfway point): the caller then converts the token's
 * text. `head` < 10^15 and `tail` < 10^tailDigits are integers, 0 ≤ tailDigits ≤ 4 (so the significand has at most
 * 19 digits and is below 2^64). Non-negative results; the caller applies the sign.
 */
export function decimalToDouble(head: number, tail: number, tailDigits: number, exp10: number): number {
  if (exp10 < -MAX_SCALE || exp10 > MAX_SCALE) return NaN;
  // The significand w = head·10^t + tail as an exact sum hi + lo: head = h1·2^26 + h0 with h1 < 2^24, h0 < 2^26;
  // x = h1·10^t·2^26 (< 2^64, a multiple of 2^26 with ≤ 38 significant bits) and y = h0·10^t + tail (< 2^41)
  // are exact, and TwoSum(x, y) is exact.
  const scale = POW10[tailDigits]!;
  const h1 = Math.floor(head / TWO_26);
  const x = h1 * scale * TWO_26;
  const y = (head - h1 * TWO_26) * scale + tail;
  let hi = x + y;
  const yv = hi - x;
  let lo = (x - (hi - yv)) + (y - yv);
  if (exp10 === 0) return hi; // hi = fl(x + y) = fl(w)
  // Scale by exact powers 10^k, k ≤ 22; each step keeps (hi, lo) normalized (hi = fl(hi + lo)) and adds a
  // relative error below 2^-100 (see divide / multiply), at most four steps.
  let e = exp10;
  while (e !== 0) {
    const k = e < -22 ? 22 : e > 22 ? 22 : e < 0 ? -e : e;
    const d = POW10[k]!;
    if (e < 0) {
      // Division of hi + lo by d: q1 = fl(hi/d); hi − fl(q1·d) is exact (Sterbenz) and q1·d = p + pe exactly, so
      // r = hi + lo − q1·d is computed with an error below 2^-104·|hi|; q2 = fl(r/d).
      const q1 = hi / d;
      const p = q1 * d;
      const pe = twoProductError(q1, d, p);
      const r = ((hi - p) - pe) + lo;
      const q2 = r / d;
      hi = q1 + q2;
      lo = q2 - (hi - q1);
      e += k;
    } else {
      // Multiplication: hi·d = p + pe exactly; lo·d and the sum pe + lo·d round with errors below 2^-104·|p|.
      const p = hi * d;
      const t = twoProductError(hi, d, p) + lo * d;
      hi = p + t;
      lo = t - (hi - p);
      e -= k;
    }
  }
  // Every value in [hi + lo − TOLERANCE·hi, hi + lo + TOLERANCE·hi] rounds to hi iff both ends do.
  const margin = hi * TOLERANCE;
  return hi + (lo - margin) === hi && hi + (lo + margin) === hi ? hi : NaN;
}

/**
 * Dekker's TwoProduct error term: a·b − p exactly, where p = fl(a·b) (no FMA in JS; Veltkamp split of both
 * factors). Exact while |a·b| stays far inside the normal range (the caller's exponents keep it in 10^±110).
 */
function twoProductError(a: number, b: number, p: number): number {
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
