/**
 * `inferd inspect`: what `saved_model_cli show` prints for a SavedModel directory — the tag sets; the SignatureDef
 * keys of one tag set; one SignatureDef's inputs/outputs (dtype, shape, tensor name) and method name; or, with
 * `all`, every SignatureDef of every tag set. `json` returns the same information as JSON for tools.
 */
import { InferdError } from '../../core/errors.ts';
import { readSavedModel, selectMetaGraph } from './reader.ts';
import type { MetaGraphObj, SignatureDefObj, TensorInfoObj } from './proto.ts';

/** Options of inspectSavedModel (mirroring saved_model_cli show's flags). */
export interface InspectOptions {
  /** Print every tag set's SignatureDefs (`--all`). */
  readonly all?: boolean;
  /** Comma-separated tag set (`--tag_set serve`). */
  readonly tagSet?: string;
  /** SignatureDef key to show (`--signature_def`); needs tagSet. */
  readonly signatureDef?: string;
  /** Return JSON instead of text. */
  readonly json?: boolean;
}

function shapeText(info: TensorInfoObj): string {
  if (info.tensorShape?.unknownRank) return 'unknown_rank';
  return `(${(info.tensorShape?.dim ?? []).map((d) => String(d.size ?? 0)).join(', ')})`;
}

function tensorText(kind: 'inputs' | 'outputs', alias: string, info: TensorInfoObj, indent: string): string[] {
  const name = info.name ?? info.cooSparse?.valuesTensorName ?? '';
  return [
    `${indent}${kind}['${alias}'] tensor_info:`,
    `${indent}    dtype: ${info.dtype ?? 'DT_INVALID'}`,
    `${indent}    shape: ${shapeText(info)}`,
    `${indent}    name: ${name}`,
  ];
}

function signatureText(def: SignatureDefObj, indent: string): string[] {
  const lines = [`${indent}The given SavedModel SignatureDef contains the following input(s):`];
  for (const [a, i] of Object.entries(def.inputs)) lines.push(...tensorText('inputs', a, i, `${indent}  `));
  lines.push(`${indent}The given SavedModel SignatureDef contains the following output(s):`);
  for (const [a, i] of Object.entries(def.outputs)) lines.push(...tensorText('outputs', a, i, `${indent}  `));
  lines.push(`${indent}Method name is: ${def.methodName ?? ''}`);
  return lines;
}

function tensorJson(info: TensorInfoObj): unknown {
  return {
    name: info.name ?? info.cooSparse?.valuesTensorName ?? '',
    dtype: info.dtype ?? 'DT_INVALID',
    shape: info.tensorShape?.unknownRank ? null : (info.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0)),
  };
}

function signatureJson(def: SignatureDefObj): unknown {
  const map = (m: Record<string, TensorInfoObj>): unknown => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, tensorJson(v)]));
  return { inputs: map(def.inputs), outputs: map(def.outputs), methodName: def.methodName ?? '' };
}

const tagsOf = (mg: MetaGraphObj): string[] => mg.metaInfoDef?.tags ?? [];

function findSignature(mg: MetaGraphObj, key: string): SignatureDefObj {
  const def = mg.signatureDef[key];
  if (!def) {
    throw InferdError.notFound(`Could not find signature "${key}". Please choose from: ${Object.keys(mg.signatureDef).sort().join(', ')}`);
  }
  return def;
}

/** Describe the SavedModel in `dir` like `saved_model_cli show`. Throws InferdError (NOT_FOUND, ...) on bad input. */
export async function inspectSavedModel(dir: string, options: InspectOptions = {}): Promise<string> {
  const model = readSavedModel(dir);
  const tags = options.tagSet?.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
  if (options.signatureDef !== undefined && !tags) throw InferdError.invalidArgument('--signature_def requires --tag_set');
  if (options.json) {
    const graphs = tags ? [selectMetaGraph(model, tags)] : model.metaGraphs;
    const pick = (mg: MetaGraphObj): Record<string, SignatureDefObj> =>
      options.signatureDef !== undefined ? { [options.signatureDef]: findSignature(mg, options.signatureDef) } : mg.signatureDef;
    const out = graphs.map((mg) => ({
      tags: tagsOf(mg),
      signatures: Object.fromEntries(Object.entries(pick(mg)).map(([k, v]) => [k, signatureJson(v)])),
    }));
    return JSON.stringify({ metaGraphs: out }, null, 2);
  }
  const lines: string[] = [];
  if (options.all) {
    for (const mg of model.metaGraphs) {
      lines.push(`MetaGraphDef with tag-set: '${tagsOf(mg).join(', ')}' contains the following SignatureDefs:`, '');
      for (const key of Object.keys(mg.signatureDef).sort()) {
        lines.push(`signature_def['${key}']:`, ...signatureText(mg.signatureDef[key] as SignatureDefObj, '  '), '');
      }
    }
  } else if (!tags) {
    lines.push('The given SavedModel contains the following tag-sets:');
    for (const mg of model.metaGraphs) lines.push(`'${tagsOf(mg).join(', ')}'`);
  } else if (options.signatureDef === undefined) {
    const mg = selectMetaGraph(model, tags);
    lines.push('The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:');
    for (const key of Object.keys(mg.signatureDef).sort()) lines.push(`SignatureDef key: "${key}"`);
  } else {
    lines.push(...signatureText(findSignature(selectMetaGraph(model, tags), options.signatureDef), ''));
  }
  return `${lines.join('\n')}\n`;
}
