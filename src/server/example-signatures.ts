/**
 * Shape checks and helpers for classify/regress over tf.Example (servables/tensorflow/classifier.cc and
 * regressor.cc rules, in our words), used by ModelServer's facade methods. Pure; errors are INVALID_ARGUMENT.
 */
import { InferdError } from '../core/errors.ts';
import type { Signature } from '../core/signature.ts';
import type { Tensor } from '../core/tensor.ts';

/** Validate a classify/regress signature's shape (one `inputs` input, whatever its recorded dtype; the right outputs). */
export function checkExampleSignature(signature: Signature, method: 'classify' | 'regress'): void {
  const inputKeys = Object.keys(signature.inputs);
  if (inputKeys.length !== 1) throw InferdError.invalidArgument('Expected one input Tensor.');
  if (!signature.inputs.inputs) {
    throw InferdError.invalidArgument(`No ${method === 'classify' ? 'classification' : 'regression'} inputs found in SignatureDef: ${describeSignature(signature)}`);
  }
  // The input's recorded dtype is not checked: TensorFlow Serving feeds the serialized examples as DT_STRING whatever
  // the SignatureDef says (saved_model_half_plus_three records DT_FLOAT for a DT_STRING placeholder), and the
  // runtime refuses the feed if the graph really wants another dtype.
  const outputKeys = Object.keys(signature.outputs);
  if (method === 'regress') {
    if (outputKeys.length !== 1) throw InferdError.invalidArgument('Expected one output Tensor.');
    if (!signature.outputs.outputs) throw InferdError.invalidArgument(`No regression outputs found in SignatureDef: ${describeSignature(signature)}`);
  } else {
    if (outputKeys.length < 1 || outputKeys.length > 2) throw InferdError.invalidArgument(`Expected one or two output Tensors, found ${outputKeys.length}`);
    if (!signature.outputs.classes && !signature.outputs.scores) {
      throw InferdError.invalidArgument(`Expected classification signature outputs to include 'classes' or 'scores': ${describeSignature(signature)}`);
    }
  }
}

/** One-line description of a signature for error messages. */
export function describeSignature(signature: Signature): string {
  const io = (m: Signature['inputs']) => Object.entries(m).map(([k, v]) => `${k}: ${v.name}`).join(', ');
  return `inputs {${io(signature.inputs)}} outputs {${io(signature.outputs)}} method_name: "${signature.methodName}"`;
}

/** Elements per example of an output with `n` rows ([n] → 1, [n,k] → k). */
export function rowWidth(t: Tensor | undefined, n: number): number {
  if (!t) return 0;
  if (t.shape[0] !== n || t.shape.length > 2) {
    throw InferdError.invalidArgument(`Expected output Tensor of shape [${n}] or [${n},k] but got [${t.shape.join(',')}]`);
  }
  return t.shape.length === 1 ? 1 : (t.shape[1] ?? 0);
}
