/**
 * How onnxruntime failures become InferdErrors. onnxruntime reports only strings, so the mapping is by message:
 * input problems the caller can fix (dtype, rank, dimensions, missing feeds, shapes that do not broadcast) are
 * INVALID_ARGUMENT with onnxruntime's own text; anything else is INTERNAL.
 */
import { InferdError } from '../../core/errors.ts';

/** Messages onnxruntime uses for inputs the model rejects (checked case-insensitively). */
const INPUT_PROBLEMS: readonly RegExp[] = [
  /unexpected input data type/i,
  /invalid rank for input/i,
  /invalid dimensions for input/i,
  /is missing in 'feeds'/i,
  /invalid (input|feed) name/i,
  /attempting to broadcast/i,
  /incompatible dimensions/i,
  /shape mismatch/i,
  /size of (input|tensor).*does not match/i,
];

/** The message of anything thrown, without onnxruntime's `Error: ` noise. */
export function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}

/** Map an error thrown by InferenceSession.run to INVALID_ARGUMENT (bad input) or INTERNAL (runtime fault). */
export function mapRunError(err: unknown): InferdError {
  if (err instanceof InferdError) return err;
  const message = messageOf(err).replace(/\s*\n\s*/g, ' ');
  if (INPUT_PROBLEMS.some((re) => re.test(message))) return InferdError.invalidArgument(message);
  return InferdError.internal(`ONNX runtime error: ${message}`, err);
}
