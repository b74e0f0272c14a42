/**
 * Hash tables, resolved at load. inferd does not keep table resources at run time: it runs the table initializers
 * once, in the loading thread, when a signature first needs a table (the nodes the init op would run —
 * InitializeTable(V2), InitializeTableFromTextFile(V2), LookupTableImport(V2), LookupTableInsert(V2) — and the
 * checkpoint restore's LookupTableImportV2 of MutableHashTables), and the flattener binds the resulting keys and
 * values as two constants per table. Lookups then run as a pure custom op (table-ops.ts) in every worker.
 * Initializers are applied in graph order: import replaces the contents, insert overwrites keys, initialize adds
 * keys and fails on a key already present with another value (as TensorFlow's HashTable does).
 */
import { dtypeOfTfName, type DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import type { Tensor } from '../../core/tensor.ts';
import { elementsOf, storageOf, type Element, type InitEvaluator } from './init-eval.ts';
import type { NodeObj } from './proto.ts';
import { readTextFileTable, resolveAssetFile } from './text-file-table.ts';
import { resolveProducer } from './variables.ts';

/** Op name the flattener emits for table lookups (implemented in table-ops.ts). */
export const LOOKUP_OP = 'InferdLookupTableFind';

/** Ops that create a table resource. */
export const TABLE_OPS = new Set(['HashTableV2', 'HashTable', 'MutableHashTableV2', 'MutableHashTable', 'AnonymousHashTable', 'AnonymousMutableHashTable']);
const KIND: Record<string, 'init' | 'file' | 'import' | 'insert'> = {
  InitializeTableV2: 'init', InitializeTable: 'init',
  InitializeTableFromTextFileV2: 'file', InitializeTableFromTextFile: 'file',
  LookupTableImportV2: 'import', LookupTableImport: 'import',
  LookupTableInsertV2: 'insert', LookupTableInsert: 'insert',
};
/** Ops that write a table (allowed only as initializers, never inside a served signature). */
export const TABLE_WRITE_OPS = new Set([...Object.keys(KIND), 'LookupTableRemoveV2']);

/** A table's contents after initialization: 1-D keys and values of the table's dtypes, in insertion order. */
export interface TableContents {
  readonly keys: Tensor;
  readonly values: Tensor;
}

const latin1 = new TextDecoder('latin1');

function repr(e: Element): string {
  return e instanceof Uint8Array ? `s${latin1.decode(e)}` : `n${String(e)}`;
}

function show(e: Element): string {
  return e instanceof Uint8Array ? Buffer.from(e).toString('utf8') : String(e);
}

/** Resolves table handles and computes table contents for one flat graph (cached per table node). */
export class TableStore {
  private readonly initializers = new Map<string, NodeObj[]>();
  private readonly contentsCache = new Map<string, TableContents>();

  constructor(
    nodes: readonly NodeObj[],
    private readonly byName: ReadonlyMap<string, NodeObj>,
    private readonly evaluator: InitEvaluator,
    private readonly exportDir: string | undefined,
  ) {
    for (const n of nodes) {
      if (KIND[n.op] === undefined) continue;
      const table = this.tableOf(n.input[0] ?? '');
      if (!table) continue;
      const list = this.initializers.get(table.name) ?? [];
      list.push(n);
      this.initializers.set(table.name, list);
    }
  }

  /** The evaluator used for initializer inputs (shared with the flattener for variables set by init ops). */
  get init(): InitEvaluator {
    return this.evaluator;
  }

  /** The table node a handle tensor comes from, or undefined when it is not a (supported) table. */
  tableOf(handleRef: string): NodeObj | undefined {
    const found = resolveProducer(this.byName, handleRef);
    return found && TABLE_OPS.has(found.node.op) ? found.node : undefined;
  }

  /** The initialized contents of `table`. FAILED_PRECONDITION when a static table has no initializer. */
  contents(table: NodeObj): TableContents {
    const cached = this.contentsCache.get(table.name);
    if (cached) return cached;
    const keyDtype = this.dtype(table, 'key_dtype');
    const valueDtype = this.dtype(table, 'value_dtype');
    const inits = this.initializers.get(table.name) ?? [];
    if (inits.length === 0 && !table.op.includes('Mutable')) {
      throw InferdError.failedPrecondition(`Table not initialized: ${table.name} has no initializer in the SavedModel`);
    }
    const keys: Element[] = [];
    const values: Element[] = [];
    const index = new Map<string, number>();
    for (const init of inits) {
      const why = `Initializer ${init.name} of table ${table.name}`;
      const kind = KIND[init.op] as 'init' | 'file' | 'import' | 'insert';
      let k: Element[];
      let v: Element[];
      if (kind === 'file') {
        const file = elementsOf(this.evaluator.eval(init.input[1] ?? '', why))[0];
        if (!(file instanceof Uint8Array)) throw InferdError.failedPrecondition(`${why}: the file name is not a string`);
        const attr = (name: string, dflt: number): number => Number(init.attr[name]?.i ?? dflt);
        const spec = {
          keyIndex: attr('key_index', -2), valueIndex: attr('value_index', -1), vocabSize: attr('vocab_size', -1), offset: attr('offset', 0),
          delimiter: init.attr['delimiter']?.s ? Buffer.from(init.attr['delimiter'].s).toString('latin1') : '\t',
        };
        ({ keys: k, values: v } = readTextFileTable(resolveAssetFile(Buffer.from(file).toString('utf8'), this.exportDir), spec, keyDtype, valueDtype));
      } else {
        const kt = this.evaluator.eval(init.input[1] ?? '', why);
        const vt = this.evaluator.eval(init.input[2] ?? '', why);
        if (vt.shape.length > 1) throw InferdError.unimplemented(`${why}: tables with non-scalar values are not supported`);
        k = elementsOf(kt);
        v = elementsOf(vt);
        if (k.length !== v.length) throw InferdError.invalidArgument(`${why}: ${k.length} keys but ${v.length} values`);
      }
      if (kind === 'import') {
        keys.length = 0;
        values.length = 0;
        index.clear();
      }
      for (let i = 0; i < k.length; i++) {
        const key = k[i] as Element;
        const value = v[i] as Element;
        const r = repr(key);
        const at = index.get(r);
        if (at === undefined) {
          index.set(r, keys.length);
          keys.push(key);
          values.push(value);
        } else if (kind === 'init' || kind === 'file') {
          if (repr(values[at] as Element) !== repr(value)) {
            throw InferdError.failedPrecondition(`${why}: HashTable has different value for same key. Key ${show(key)} has ${show(values[at] as Element)} and trying to add value ${show(value)}`);
          }
        } else {
          values[at] = value;
        }
      }
    }
    const what = `Table ${table.name}`;
    const out: TableContents = {
      keys: { dtype: keyDtype, shape: [keys.length], data: storageOf(keyDtype, keys, what) } as Tensor,
      values: { dtype: valueDtype, shape: [values.length], data: storageOf(valueDtype, values, what) } as Tensor,
    };
    this.contentsCache.set(table.name, out);
    return out;
  }

  private dtype(table: NodeObj, attr: string): DType {
    const name = table.attr[attr]?.type ?? '';
    const d = dtypeOfTfName(name);
    if (!d) throw InferdError.unimplemented(`Table ${table.name}: ${attr} ${name || '(missing)'} is not supported`);
    return d;
  }
}
