/**
 * Reading a SavedModel directory: `saved_model.pb` (binary SavedModel proto), the meta graph chosen by tag set,
 * and its SignatureDefs as core Signatures (TensorSpec keeps what TensorFlow Serving prints: tensor name, dtype,
 * shape with -1, null for unknown rank, absent shape, and the recorded DataType when it is not a plain one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { dtypeOfTfName, tfName, TF_DATA_TYPE } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import type { Signature, TensorSpec } from '../../core/signature.ts';
import { decodeMessage, shapeDims, type MetaGraphObj, type SavedModelObj, type TensorInfoObj } from './proto.ts';
import { parsePbtxt } from './pbtxt.ts';

/** The tag set TensorFlow Serving loads by default (`--saved_model_tags`). */
export const DEFAULT_TAGS: readonly string[] = ['serve'];

/** True when `dir` holds `saved_model.pb` or `saved_model.pbtxt`. */
export function hasSavedModel(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'saved_model.pb')) || fs.existsSync(path.join(dir, 'saved_model.pbtxt'));
}

/** Read and decode `<dir>/saved_model.pb` (or `.pbtxt`). NOT_FOUND with TensorFlow's message when neither exists. */
export function readSavedModel(dir: string): SavedModelObj {
  const pb = path.join(dir, 'saved_model.pb');
  const pbtxt = path.join(dir, 'saved_model.pbtxt');
  if (fs.existsSync(pb)) {
    try {
      return decodeMessage<SavedModelObj>('tensorflow.SavedModel', fs.readFileSync(pb));
    } catch (err) {
      if (err instanceof InferdError) throw err;
      throw new InferdError('DATA_LOSS', `Could not parse SavedModel ${pb}: ${(err as Error).message}`);
    }
  }
  if (fs.existsSync(pbtxt)) return parsePbtxt<SavedModelObj>('tensorflow.SavedModel', fs.readFileSync(pbtxt, 'utf8'), pbtxt);
  throw InferdError.notFound(`Could not find SavedModel .pb or .pbtxt at supplied export directory path: ${dir}`);
}

/** The meta graph whose tag set equals `tags` (order-insensitive), with TensorFlow's error when none matches. */
export function selectMetaGraph(model: SavedModelObj, tags: readonly string[] = DEFAULT_TAGS): MetaGraphObj {
  const want = [...new Set(tags)].sort().join(',');
  const found = model.metaGraphs.find((mg) => [...new Set(mg.metaInfoDef?.tags ?? [])].sort().join(',') === want);
  if (!found) {
    throw InferdError.notFound(
      `Could not find meta graph def matching supplied tags: { ${tags.join(' ')} }. To inspect available tag-sets in ` +
        'the SavedModel, please use the SavedModel CLI: `saved_model_cli`',
    );
  }
  return found;
}

/** The tensor name a TensorInfo refers to (the values tensor for sparse encodings). */
export function tensorInfoName(info: TensorInfoObj): string {
  return info.name ?? info.cooSparse?.valuesTensorName ?? '';
}

/** Convert a TensorInfo to a core TensorSpec. */
export function tensorSpecOf(info: TensorInfoObj): TensorSpec {
  const recorded = info.dtype ?? 'DT_INVALID';
  const dtype = dtypeOfTfName(recorded);
  const recordedNumber = tfNumberOfName(recorded);
  const spec: { -readonly [K in keyof TensorSpec]: TensorSpec[K] } = { name: tensorInfoName(info), dtype: dtype ?? 'float32' };
  if (info.tensorShape) spec.shape = shapeDims(info.tensorShape);
  if (!dtype || TF_DATA_TYPE[tfName(dtype)] !== recordedNumber) spec.tfDataType = recordedNumber;
  return spec;
}

function tfNumberOfName(name: string): number {
  const ref = name.endsWith('_REF');
  const base = (TF_DATA_TYPE as Record<string, number>)[ref ? name.slice(0, -4) : name];
  if (base === undefined) return 0;
  return ref ? base + 100 : base;
}

/** All SignatureDefs of a meta graph as core Signatures, in the file's order. */
export function signaturesOf(metaGraph: MetaGraphObj): Record<string, Signature> {
  const out: Record<string, Signature> = {};
  for (const [key, def] of Object.entries(metaGraph.signatureDef)) {
    const inputs: Record<string, TensorSpec> = {};
    const outputs: Record<string, TensorSpec> = {};
    for (const [alias, info] of Object.entries(def.inputs)) inputs[alias] = tensorSpecOf(info);
    for (const [alias, info] of Object.entries(def.outputs)) outputs[alias] = tensorSpecOf(info);
    out[key] = { inputs, outputs, methodName: def.methodName ?? '' };
  }
  return out;
}
