/**
 * The Predict request checks of TensorFlow Serving (servables/tensorflow/predict_util.cc), in its order and words:
 * input count against the signature, each signature alias present, each TensorProto parsed, then output_filter
 * aliases known and unique. All INVALID_ARGUMENT. Key lists are sorted and comma-joined (std::set order).
 */
import { InferdError } from '../../core/errors.ts';
import type { Signature } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { InputDecoder } from '../../server/serving-api.ts';
import { decodeTensorProtoBytes, type EncodedTensorProto } from '../../core/tensor-proto-reader.ts';

const join = (keys: Iterable<string>): string => [...keys].sort().join(',');

/** Check request aliases against a signature (the signature has no default inputs in inferd). */
export function checkInputAliases(requested: readonly string[], signature: Signature): void {
  const sigKeys = Object.keys(signature.inputs);
  // Fast path (every well-formed request): same count and each requested alias is a signature input. Request keys
  // are distinct (they come from a map), so this is set equality; otherwise fall through to the exact TF errors.
  if (requested.length === sigKeys.length && requested.every((k) => Object.hasOwn(signature.inputs, k))) return;
  const req = new Set(requested);
  const sig = new Set(sigKeys);
  if (req.size !== sig.size) {
    const extra = [...req].filter((k) => !sig.has(k));
    const missing = sigKeys.filter((k) => !req.has(k));
    throw InferdError.invalidArgument(
      `input size does not match signature: ${req.size}!=${sig.size} len({${join(req)}}) != len({${join(sig)}}). ` +
        `Sent extra: {${join(extra)}}. Missing but required: {${join(missing)}}.`,
    );
  }
  for (const alias of [...sigKeys].sort()) {
    if (!req.has(alias)) {
      const feed = signature.inputs[alias]?.name ?? '';
      throw InferdError.invalidArgument(
        `Signature input alias: ${alias}(feed name: ${feed}) not found in request and no default value provided. ` +
          `Inputs expected to be in the request {${join(req)}}, or default input alias set: `,
      );
    }
  }
}

/** Check output_filter aliases: each must be an output of the signature, and appear once. */
export function checkOutputFilter(filter: readonly string[], signature: Signature): void {
  const seen = new Set<string>();
  for (const alias of filter) {
    if (!(alias in signature.outputs)) {
      throw InferdError.invalidArgument(
        `output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${join(Object.keys(signature.outputs))}}.`,
      );
    }
    if (seen.has(alias)) throw InferdError.invalidArgument(`duplicate output tensor alias: ${alias}`);
    seen.add(alias);
  }
}

/** The facade's InputDecoder for a PredictRequest: runs every check above, then decodes the TensorProtos. */
export function predictInputDecoder(inputs: Readonly<Record<string, EncodedTensorProto>>, outputFilter: readonly string[]): InputDecoder {
  return (signature, _signatureName, budget): Readonly<Record<string, Tensor>> => {
    const aliases = Object.keys(inputs);
    checkInputAliases(aliases, signature);
    const out: Record<string, Tensor> = {};
    for (const alias of aliases) out[alias] = decodeTensorProtoBytes(inputs[alias]!, alias, budget);
    checkOutputFilter(outputFilter, signature);
    return out;
  };
}
