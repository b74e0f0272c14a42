/**
 * Flag parsing helpers for TensorFlow Serving-style flags (`--name=value`, booleans as `--flag`, `--flag=true|false`).
 * Bad values throw with a one-line reason; main.ts prints it and exits non-zero.
 */
import { InvalidArgumentError } from 'commander';

/** Parse an integer flag value (optionally bounded). */
export function intFlag(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}], got "${value}"`);
    return n;
  };
}

/** Parse a boolean flag value: `--flag` alone is true; `true|false|1|0` accepted. */
export function boolFlag(value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === '') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

/** Parse a port (0–65535). */
export const portFlag = intFlag(0, 65535);

/** Parse a rate in [0, 1]. */
export function rateFlag(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return n;
}
