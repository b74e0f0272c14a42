/**
 * Signatures: the named inputs and outputs of a model, in TensorFlow's SignatureDef terms. Every runtime
 * describes its model with these; the metadata endpoints print them in TensorFlow Serving's shape.
 */
import type { DType } from './dtype.ts';

/** Method names TensorFlow Serving knows (SignatureDef.method_name). */
export const METHOD = {
  predict: 'tensorflow/serving/predict',
  classify: 'tensorflow/serving/classify',
  regress: 'tensorflow/serving/regress',
} as const;

/** The signature used when a request names none. */
export const DEFAULT_SIGNATURE = 'serving_default';

/** One input or output of a signature (TensorFlow's TensorInfo). */
export interface TensorSpec {
  /** Tensor name inside the model, e.g. `x:0` (SavedModel) or the ONNX value name. */
  readonly name: string;
  /** Element type. */
  readonly dtype: DType;
  /** Dimensions, -1 for unknown; `null` for unknown rank; omitted when the model records no shape at all. */
  readonly shape?: readonly number[] | null;
  /** Names of symbolic dimensions (ONNX `dim_param`), aligned with `shape`; empty string when none. */
  readonly dimNames?: readonly string[];
  /** The exact TensorFlow DataType number recorded in the model when it differs from `dtype` (e.g. 101, DT_FLOAT_REF). */
  readonly tfDataType?: number;
}

/** A named function of a model: aliases to tensors, plus the method it implements. */
export interface Signature {
  readonly inputs: Readonly<Record<string, TensorSpec>>;
  readonly outputs: Readonly<Record<string, TensorSpec>>;
  /** SignatureDef.method_name; `tensorflow/serving/predict` for models without one (ONNX). */
  readonly methodName: string;
}

/** Everything a loaded version says about itself. */
export interface ModelMetadata {
  /** Signatures by key; a model served over TensorFlow Serving's API should have `serving_default`. */
  readonly signatures: Readonly<Record<string, Signature>>;
}
