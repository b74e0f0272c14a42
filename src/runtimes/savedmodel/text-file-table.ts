/**
 * InitializeTableFromTextFile(V2) semantics (TensorFlow's lookup_util TextFileLineIterator): the file is read as
 * lines ('\n' ends a line, '\r' characters are dropped, a final line without '\n' counts); `key_index` and
 * `value_index` pick a column split by any character of `delimiter`, or -1 = the line number (+ `offset`, int64),
 * or -2 = the whole line; at most `vocab_size` lines are read (-1 = all) and a file with fewer lines is an error.
 * Columns are converted to the table's dtypes (integers and floats must parse completely). Bytes are kept exact.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import type { Element } from './init-eval.ts';

/** Attributes of an InitializeTableFromTextFileV2 node. */
export interface TextFileSpec {
  readonly keyIndex: number;
  readonly valueIndex: number;
  readonly vocabSize: number;
  readonly delimiter: string;
  readonly offset: number;
}

/** Locate a vocabulary file: as given, else `<export dir>/assets/<basename>` (paths recorded at training time). */
export function resolveAssetFile(file: string, exportDir: string | undefined): string {
  if (fs.existsSync(file)) return file;
  if (exportDir !== undefined) {
    const inAssets = path.join(exportDir, 'assets', path.basename(file));
    if (fs.existsSync(inAssets)) return inAssets;
  }
  throw InferdError.notFound(`Table initializer: vocabulary file ${file} not found`);
}

function convert(field: string, dtype: DType, file: string, line: number): Element {
  if (dtype === 'string') return Uint8Array.from(Buffer.from(field, 'latin1'));
  const bad = (): never => {
    throw InferdError.invalidArgument(`Field ${field} in line ${line} of ${file} is not a valid ${dtype}`);
  };
  if (dtype === 'int64' || dtype === 'uint64' || dtype === 'int32' || dtype === 'uint32' || dtype === 'int16' || dtype === 'int8' || dtype === 'uint8' || dtype === 'uint16') {
    if (!/^\s*[+-]?\d+\s*$/.test(field)) return bad();
    const n = BigInt(field.trim());
    return dtype === 'int64' || dtype === 'uint64' ? n : Number(n);
  }
  if (dtype === 'float32' || dtype === 'float64') {
    const t = field.trim().toLowerCase();
    if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
    if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    const n = Number(t);
    return t === '' || Number.isNaN(n) ? bad() : n;
  }
  return bad();
}

/** Read the (key, value) pairs a text-file initializer inserts, in file order. */
export function readTextFileTable(file: string, spec: TextFileSpec, keyDtype: DType, valueDtype: DType): { keys: Element[]; values: Element[] } {
  const text = fs.readFileSync(file).toString('latin1');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const limit = spec.vocabSize === -1 ? lines.length : Math.min(spec.vocabSize, lines.length);
  if (spec.vocabSize !== -1 && lines.length < spec.vocabSize) {
    throw InferdError.invalidArgument(`Invalid vocab_size in ${file}: expected ${spec.vocabSize} but got ${lines.length}`);
  }
  const delims = [...spec.delimiter];
  const keys: Element[] = [];
  const values: Element[] = [];
  for (let i = 0; i < limit; i++) {
    const line = (lines[i] as string).replaceAll('\r', '');
    let tokens: string[] = [];
    if (spec.keyIndex >= 0 || spec.valueIndex >= 0) {
      tokens = delims.length === 0 ? [line] : line.split(new RegExp(`[${delims.map((c) => c.replace(/[\\\]^-]/g, '\\$&')).join('')}]`));
      const need = Math.max(spec.keyIndex, spec.valueIndex);
      if (need >= tokens.length) {
        throw InferdError.invalidArgument(`Invalid number of columns in ${file} line ${i} (${line}) : expected ${need} got ${tokens.length}`);
      }
    }
    const pick = (index: number, dtype: DType): Element => {
      if (index === -1) return dtype === 'int64' ? BigInt(i + spec.offset) : i + spec.offset;
      if (index === -2) return convert(line, dtype, file, i);
      return convert(tokens[index] as string, dtype, file, i);
    };
    keys.push(pick(spec.keyIndex, keyDtype));
    values.push(pick(spec.valueIndex, valueDtype));
  }
  return { keys, values };
}
