/**
 * Asset files and init ops of a meta graph. Assets: TF2 lists them in `asset_file_def`, TF1 in the collection
 * `saved_model_assets` (an AnyList of AssetFileDef); each names a graph tensor that TensorFlow's loader feeds with
 * `<export dir>/assets/<filename>` when it runs the init op. Init ops: the `__saved_model_init_op` signature (TF2),
 * else the collections `saved_model_main_op` or `legacy_init_op` (TF1), as TensorFlow's loader picks them.
 */
import path from 'node:path';
import { canonicalTensor } from './graph-util.ts';
import { decodeMessage, type MetaGraphObj, type TensorInfoObj } from './proto.ts';

/** Canonical tensor name (`node:i`) → absolute path of the asset file it stands for. */
export function assetPaths(metaGraph: MetaGraphObj, exportDir: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (exportDir === undefined) return out;
  const defs: { tensorInfo?: TensorInfoObj; filename?: string }[] = [...(metaGraph.assetFileDef ?? [])];
  for (const any of metaGraph.collectionDef?.['saved_model_assets']?.anyList?.value ?? []) {
    if (!(any.type_url ?? any.typeUrl ?? '').endsWith('tensorflow.AssetFileDef')) continue;
    defs.push(decodeMessage<{ tensorInfo?: TensorInfoObj; filename?: string }>('tensorflow.AssetFileDef', any.value));
  }
  for (const d of defs) {
    const name = d.tensorInfo?.name;
    if (name && d.filename) out.set(canonicalTensor(name), path.join(path.resolve(exportDir), 'assets', d.filename));
  }
  return out;
}

/** Names of the init op node(s) TensorFlow's loader would run after restoring variables (may be empty). */
export function initOpNames(metaGraph: MetaGraphObj): string[] {
  const sig = metaGraph.signatureDef?.['__saved_model_init_op']?.outputs?.['__saved_model_init_op']?.name;
  if (sig) return [sig.replace(/:\d+$/, '')];
  for (const key of ['saved_model_main_op', 'legacy_init_op']) {
    const list = metaGraph.collectionDef?.[key]?.nodeList?.value ?? [];
    if (list.length > 0) return list.map((n) => n.replace(/^\^/, '').replace(/:\d+$/, ''));
  }
  return [];
}
