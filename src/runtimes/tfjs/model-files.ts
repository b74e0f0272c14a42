/**
 * Reads a TensorFlow.js model folder (`model.json` + binary weight shards, as written by `model.save('file://…')`,
 * tensorflowjs_converter or the examples) into tfjs ModelArtifacts. Shard paths come from the model's
 * weightsManifest and must stay inside the version folder: a manifest naming `../x` or an absolute path is refused.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { InferdError } from '../../core/errors.ts';

/** The file a TF.js version folder holds. */
export const TFJS_MODEL_FILE = 'model.json';

/** The two TF.js model formats. */
export type TfjsFormat = 'layers-model' | 'graph-model';

/** A model folder read into memory: tfjs artifacts plus the format they are in. */
export interface TfjsModelFiles {
  readonly format: TfjsFormat;
  readonly artifacts: io.ModelArtifacts;
}

/** True when `<dir>/model.json` is a file. */
export async function hasModelJson(dir: string): Promise<boolean> {
  try {
    return (await stat(path.join(dir, TFJS_MODEL_FILE))).isFile();
  } catch {
    return false;
  }
}

interface ModelJson {
  format?: string;
  modelTopology?: Record<string, unknown>;
  weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  initializerSignature?: unknown;
  trainingConfig?: io.TrainingConfig;
}

/**
 * Read `<dir>/model.json` and its shards. Errors: NOT_FOUND (no model.json), INVALID_ARGUMENT (not JSON, no
 * topology, unknown format, a shard missing or outside the folder, shard bytes not matching the manifest). Every
 * message names the folder.
 */
export async function readModelFiles(dir: string): Promise<TfjsModelFiles> {
  const file = path.join(dir, TFJS_MODEL_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw InferdError.notFound(`Could not find ${TFJS_MODEL_FILE} at supplied export directory path: ${dir}`);
  }
  const bad = (why: string): InferdError => InferdError.invalidArgument(`Failed to load TF.js model ${dir}: ${why}`);
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (err) {
    throw bad(`${TFJS_MODEL_FILE} is not JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || json.modelTopology === undefined || typeof json.modelTopology !== 'object') {
    throw bad(`${TFJS_MODEL_FILE} has no modelTopology`);
  }
  const format = formatOf(json);
  if (format === undefined) throw bad(`${TFJS_MODEL_FILE} is neither a layers-model nor a graph-model (format: ${String(json.format)})`);

  const specs: io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const shard of group.paths) {
      const resolved = path.resolve(dir, shard);
      if (path.isAbsolute(shard) || !resolved.startsWith(path.resolve(dir) + path.sep)) {
        throw bad(`weight shard path '${shard}' leaves the model folder`);
      }
      try {
        shards.push(await readFile(resolved));
      } catch {
        throw bad(`weight shard '${shard}' named in ${TFJS_MODEL_FILE} is missing`);
      }
    }
    specs.push(...group.weights);
  }
  const bytes = Buffer.concat(shards);
  const expected = specs.reduce((sum, w) => sum + weightBytes(w), 0);
  if (!Number.isNaN(expected) && expected !== bytes.length) {
    throw bad(`weight shards hold ${bytes.length} bytes but the manifest describes ${expected}`);
  }
  const artifacts: io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format,
    weightSpecs: specs,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  };
  if (json.signature !== undefined) artifacts.signature = json.signature as Record<string, object>;
  if (json.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = json.userDefinedMetadata as Record<string, object>;
  if (json.modelInitializer !== undefined) artifacts.modelInitializer = json.modelInitializer as Record<string, object>;
  if (json.initializerSignature !== undefined) artifacts.initializerSignature = json.initializerSignature as Record<string, object>;
  if (json.trainingConfig !== undefined) artifacts.trainingConfig = json.trainingConfig;
  return { format, artifacts };
}

/** The format a model.json declares, or infers from its topology (a Keras config has class_name, a GraphDef node). */
function formatOf(json: ModelJson): TfjsFormat | undefined {
  if (json.format === 'layers-model' || json.format === 'graph-model') return json.format;
  if (json.format !== undefined) return undefined;
  const topology = json.modelTopology ?? {};
  if ('node' in topology) return 'graph-model';
  if ('class_name' in topology || 'model_config' in topology) return 'layers-model';
  return undefined;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Bytes one manifest entry occupies in the shards (quantized entries by their storage dtype). */
function weightBytes(w: io.WeightsManifestEntry): number {
  const count = w.shape.reduce((n, d) => n * d, 1);
  if (w.quantization !== undefined) {
    const q = w.quantization.dtype;
    return count * (q === 'uint8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : 4);
  }
  if (w.dtype === 'string') return NaN; // string weights carry their own lengths: validated by tfjs itself
  return count * (DTYPE_BYTES[w.dtype] ?? NaN);
}

/**
 * A tfjs IOHandler that saves a model as a version folder: `<dir>/model.json` plus one shard `weights.bin`, the
 * layout readModelFiles reads (and `tfjs-node`'s `file://` handler writes). Use with `model.save(saveToDirectory(dir))`;
 * `dir` must exist.
 */
export function saveToDirectory(dir: string): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      const weights = artifacts.weightData === undefined ? new Uint8Array(0) : new Uint8Array(concatWeightData(artifacts.weightData));
      const json: ModelJson = {
        format: artifacts.format ?? (artifacts.modelTopology !== undefined && 'node' in (artifacts.modelTopology as object) ? 'graph-model' : 'layers-model'),
        modelTopology: artifacts.modelTopology as Record<string, unknown>,
        weightsManifest: [{ paths: weights.length > 0 ? ['weights.bin'] : [], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.signature !== undefined) json.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata !== undefined) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
      if (weights.length > 0) await writeFile(path.join(dir, 'weights.bin'), weights);
      await writeFile(path.join(dir, TFJS_MODEL_FILE), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    },
  };
}

/** tfjs hands weights as one ArrayBuffer or a list of them (large models). */
function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  const out = Buffer.concat(data.map((b) => new Uint8Array(b)));
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
}
