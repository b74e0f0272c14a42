/**
 * 64-bit integers as protobuf decoders hand them over (protobufjs' Long-like `{low, high}`, numbers, decimal strings,
 * bigints from inferd's own wire reader) and back. Pure; no I/O.
 */

/** A decoded 64-bit value: protobufjs' Long-like `{low, high}`, a number, a decimal string, or a bigint. */
export type Int64Like = bigint | number | string | { readonly low: number; readonly high: number; readonly unsigned?: boolean };

/** Convert a decoded 64-bit field to bigint (signed unless `unsigned`). */
export function int64ToBigInt(v: Int64Like | null | undefined, unsigned = false): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v);
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string') return BigInt(v);
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? u : BigInt.asIntN(64, u);
}

/** A 64-bit value in the `{low, high}` form protobufjs' writer accepts (two's complement for negatives). */
export function bigIntToInt64(v: bigint): { low: number; high: number } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}
