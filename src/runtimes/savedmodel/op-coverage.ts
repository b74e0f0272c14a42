/**
 * `inferd inspect --ops`: which TensorFlow ops a SavedModel's graph uses (top level and function bodies, with
 * counts) and whether inferd runs them — without loading weights into tfjs. Each op is one of:
 * - `supported`: used by a servable signature and executable (tfjs-converter kernel or inferd custom op);
 * - `rewritten`: handled by the flattener before execution (calls inlined, variables bound, table ops, ...);
 * - `unsupported`: used by a servable signature and not executable — loading fails naming it;
 * - `unused`: not reached by any servable signature (checkpoint save/restore, training, init-only ops).
 */
import { prepareSavedModel } from './runtime.ts';
import { readSavedModel, selectMetaGraph, DEFAULT_TAGS } from './reader.ts';
import { unsupportedOpsOf } from './graph-runner.ts';

/** Coverage of one op. */
export interface OpCoverage {
  readonly op: string;
  /** Nodes using it (graph and function bodies). */
  readonly count: number;
  readonly status: 'supported' | 'rewritten' | 'unsupported' | 'unused';
  /** One node using it, when it is unsupported. */
  readonly node?: string;
}

/** The ops of the meta graph with `tags` in `dir`, sorted by name. */
export function opCoverage(dir: string, tags: readonly string[] = DEFAULT_TAGS): OpCoverage[] {
  const mg = selectMetaGraph(readSavedModel(dir), tags);
  const counts = new Map<string, number>();
  const count = (op: string): void => void counts.set(op, (counts.get(op) ?? 0) + 1);
  for (const n of mg.graphDef?.node ?? []) count(n.op);
  const functionNames = new Set((mg.graphDef?.library?.function ?? []).map((f) => f.signature.name));
  for (const f of mg.graphDef?.library?.function ?? []) for (const n of f.nodeDef) count(n.op);
  const { flat } = prepareSavedModel(dir, tags);
  const missing = unsupportedOpsOf(flat);
  const used = new Set<string>(flat.ops.keys());
  for (const sig of Object.values(flat.signatures)) {
    for (const n of sig.nodes) used.add(n.op);
    for (const f of sig.functions) for (const n of f.nodeDef) used.add(n.op);
  }
  const servable = Object.values(flat.signatures).some((s) => !s.unavailable);
  const out: OpCoverage[] = [];
  for (const [op, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    if (functionNames.has(op)) continue;
    const node = missing.get(op);
    let status: OpCoverage['status'] = 'unused';
    if (node !== undefined) status = 'unsupported';
    else if (used.has(op)) status = 'supported';
    else if (servable && REWRITTEN.has(op)) status = 'rewritten';
    out.push({ op, count: n, status, ...(node !== undefined ? { node } : {}) });
  }
  return out;
}

/** Ops the flattener replaces (see flatten.ts); listed as `rewritten` when the model has servable signatures. */
const REWRITTEN = new Set([
  'StatefulPartitionedCall', 'PartitionedCall', 'VarHandleOp', 'VariableV2', 'Variable', 'ReadVariableOp', 'ResourceGather',
  'ResourceGatherNd', 'VarIsInitializedOp', 'HashTable', 'HashTableV2', 'MutableHashTable', 'MutableHashTableV2',
  'LookupTableFind', 'LookupTableFindV2', 'LookupTableSize', 'LookupTableSizeV2', 'LookupTableExportV2', 'Placeholder',
  'InitializeTable', 'InitializeTableV2', 'InitializeTableFromTextFile', 'InitializeTableFromTextFileV2', 'LookupTableImportV2',
]);

/** Text for `inferd inspect --ops`. */
export function opCoverageText(coverage: readonly OpCoverage[]): string {
  const width = Math.max(2, ...coverage.map((c) => c.op.length));
  const lines = [`The SavedModel's graph uses ${coverage.length} op types:`];
  for (const c of coverage) lines.push(`  ${c.op.padEnd(width)}  ${String(c.count).padStart(5)}  ${c.status}${c.node ? ` (e.g. node ${c.node})` : ''}`);
  const bad = coverage.filter((c) => c.status === 'unsupported').map((c) => c.op);
  lines.push(bad.length > 0 ? `Unsupported ops needed to serve: ${bad.join(', ')}` : 'Every op needed to serve is supported.');
  return `${lines.join('\n')}\n`;
}
