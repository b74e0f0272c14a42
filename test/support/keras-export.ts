/**
 * Writes SavedModels shaped like TensorFlow 2's Keras exports (`model.save(dir)` / `tf.saved_model.save`), for
 * tests: top-level VarHandleOps (+ their `Read/ReadVariableOp`s), a `serving_default_<input>` Placeholder, the
 * serving call `StatefulPartitionedCall` → `__inference_signature_wrapper` → nested `StatefulPartitionedCall` → the
 * model's forward function (variables as DT_RESOURCE arguments read with ReadVariableOp), the restore function
 * `__inference__traced_restore` (RestoreV2 → Identity → AssignVariableOp, called by the saver's restore op), the
 * `__saved_model_init_op` NoOp signature, checkpoint keys `<object path>/.ATTRIBUTES/VARIABLE_VALUE`, and a
 * stripped_op_list that, as TensorFlow writes it, lists only the top-level ops. Function bodies are written in
 * FunctionDef form (`node:output_arg:index`) and, like TensorFlow's, without default-valued attributes: the body
 * builder writes only the attributes a test passes.
 */
import type { Tensor } from '../../src/core/tensor.ts';
import { tfName } from '../../src/core/dtype.ts';
import { attr, strings, type FunctionSpec, type NodeSpec, type OpDefSpec, writeSavedModel } from './savedmodel-builder.ts';

/** A model variable: its graph name (e.g. `conv2d/kernel`), checkpoint object path and value. */
export interface KerasVariable {
  readonly name: string;
  readonly key: string;
  readonly value: Tensor;
}

/** What the forward function's body builder receives: argument names of the input and of each variable's value. */
export interface BodyContext {
  /** The input tensor of the forward function (a FunctionDef argument name). */
  readonly input: string;
  /** Variable graph name → a tensor reference holding its value (a ReadVariableOp in the body). */
  readonly read: (variable: string) => string;
  /** Variable graph name → its DT_RESOURCE argument (for ResourceGather, as Keras' Embedding uses it). */
  readonly handle: (variable: string) => string;
  /** Table name → its DT_RESOURCE argument (for LookupTableFindV2). */
  readonly table: (name: string) => string;
}

/**
 * A tf.lookup.StaticHashTable with a KeyValueTensorInitializer (Keras StringLookup/TextVectorization vocabularies):
 * a top-level HashTableV2, its keys and values as top-level Consts, initialized by `__inference__initializer_*`
 * (InitializeTableV2) called from the `__saved_model_init_op` NoOp, and passed to the forward function as a
 * DT_RESOURCE argument.
 */
export interface KerasTable {
  readonly name: string;
  readonly keys: Tensor;
  readonly values: Tensor;
}

/** Everything kerasExport writes. */
export interface KerasExportSpec {
  readonly input: { name: string; dtype: string; shape: number[] };
  readonly output: { name: string; dtype: string; shape: number[] };
  readonly variables: readonly KerasVariable[];
  /** Build the forward function body: returns its nodes and the reference of the output tensor. */
  readonly body: (ctx: BodyContext) => { nodes: NodeSpec[]; output: string };
  /** Further library functions (While/If bodies) the forward body references. */
  readonly functions?: FunctionSpec[];
  /** Lookup tables the forward body uses. */
  readonly tables?: readonly KerasTable[];
}

const RES = 'DT_RESOURCE';
const empty = { s: new Uint8Array(0) };

/** The OpDefs TensorFlow records for the top level of a Keras export (stripped_op_list). */
export const KERAS_TOP_LEVEL_OPS: OpDefSpec[] = [
  { name: 'Const', outputArg: [{ name: 'output', typeAttr: 'dtype' }], attr: [{ name: 'value', type: 'tensor' }, { name: 'dtype', type: 'type' }] },
  { name: 'NoOp' },
  {
    name: 'Placeholder', outputArg: [{ name: 'output', typeAttr: 'dtype' }],
    attr: [{ name: 'dtype', type: 'type' }, { name: 'shape', type: 'shape', defaultValue: { shape: { unknownRank: true } } }],
  },
  {
    name: 'ReadVariableOp', inputArg: [{ name: 'resource', type: RES }], outputArg: [{ name: 'value', typeAttr: 'dtype' }],
    attr: [{ name: 'dtype', type: 'type' }], isStateful: true,
  },
  {
    name: 'StatefulPartitionedCall', inputArg: [{ name: 'args', typeListAttr: 'Tin' }], outputArg: [{ name: 'output', typeListAttr: 'Tout' }],
    attr: [
      { name: 'Tin', type: 'list(type)' }, { name: 'Tout', type: 'list(type)' }, { name: 'f', type: 'func' },
      { name: 'config', type: 'string', defaultValue: empty }, { name: 'config_proto', type: 'string', defaultValue: empty },
      { name: 'executor_type', type: 'string', defaultValue: empty },
    ],
    isStateful: true,
  },
  {
    name: 'VarHandleOp', outputArg: [{ name: 'resource', type: RES }],
    attr: [
      { name: 'container', type: 'string', defaultValue: empty }, { name: 'shared_name', type: 'string', defaultValue: empty },
      { name: 'dtype', type: 'type' }, { name: 'shape', type: 'shape' },
    ],
    isStateful: true,
  },
];

/** The OpDefs a Keras export with lookup tables adds to stripped_op_list. */
export const TABLE_TOP_LEVEL_OPS: OpDefSpec[] = [
  {
    name: 'HashTableV2', outputArg: [{ name: 'table_handle', type: RES }],
    attr: [
      { name: 'container', type: 'string', defaultValue: empty }, { name: 'shared_name', type: 'string', defaultValue: empty },
      { name: 'use_node_name_sharing', type: 'bool', defaultValue: { b: false } }, { name: 'key_dtype', type: 'type' }, { name: 'value_dtype', type: 'type' },
    ],
    isStateful: true,
  },
];

const argName = (v: KerasVariable): string => v.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase();

/** Write the Keras-shaped SavedModel into `dir` (the version directory). */
export function kerasExport(dir: string, spec: KerasExportSpec): void {
  const vars = spec.variables;
  const tables = spec.tables ?? [];
  const F = spec.input.dtype;
  // Resource arguments after the input: the tables, then the variables (TensorFlow orders them by capture).
  const handleTypes = [...tables, ...vars].map(() => RES);
  const tableArg = (t: KerasTable): string => `${t.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_table_handle`;
  // The forward function: ReadVariableOp of each resource argument, then the body.
  const reads: NodeSpec[] = vars.map((v) => ({ name: `${argName(v)}/ReadVariableOp`, op: 'ReadVariableOp', input: [`${argName(v)}_resource`], attr: { dtype: attr.type(tfName(v.value.dtype)) } }));
  const readOf = new Map(vars.map((v) => [v.name, `${argName(v)}/ReadVariableOp:value:0`]));
  const built = spec.body({
    input: 'inputs',
    read: (name) => {
      const r = readOf.get(name);
      if (!r) throw new Error(`no variable ${name}`);
      return r;
    },
    handle: (name) => {
      const v = vars.find((x) => x.name === name);
      if (!v) throw new Error(`no variable ${name}`);
      return `${argName(v)}_resource`;
    },
    table: (name) => {
      const t = tables.find((x) => x.name === name);
      if (!t) throw new Error(`no table ${name}`);
      return tableArg(t);
    },
  });
  const forward: FunctionSpec = {
    name: '__inference_model_layer_call_and_return_conditional_losses_1001',
    inputs: [{ name: 'inputs', type: F }, ...tables.map((t) => ({ name: tableArg(t), type: RES })), ...vars.map((v) => ({ name: `${argName(v)}_resource`, type: RES }))],
    outputs: [{ name: 'identity', type: spec.output.dtype }],
    nodes: [...reads, ...built.nodes, { name: 'Identity', op: 'Identity', input: [built.output, ...reads.map((r) => `^${r.name}`)], attr: { T: attr.type(spec.output.dtype) } }],
    ret: { identity: 'Identity:output:0' },
  };
  const call = (name: string, f: string, inputs: string[], tin: string[], tout: string[]): NodeSpec => ({
    name, op: 'StatefulPartitionedCall', input: inputs,
    attr: { Tin: attr.types(tin), Tout: attr.types(tout), f: attr.func(f), _read_only_resource_inputs: { list: { i: tin.map((_, i) => i).filter((i) => i > 0) } } },
  });
  const wrapper: FunctionSpec = {
    name: '__inference_signature_wrapper_1002',
    inputs: [{ name: spec.input.name, type: F }, ...handleTypes.map((_, i) => ({ name: i === 0 ? 'unknown' : `unknown_${i - 1}`, type: RES }))],
    outputs: [{ name: 'identity', type: spec.output.dtype }],
    nodes: [
      call('StatefulPartitionedCall', forward.name, [spec.input.name, ...handleTypes.map((_, i) => (i === 0 ? 'unknown' : `unknown_${i - 1}`))], [F, ...handleTypes], [spec.output.dtype]),
      { name: 'Identity', op: 'Identity', input: ['StatefulPartitionedCall:output:0', '^StatefulPartitionedCall'], attr: { T: attr.type(spec.output.dtype) } },
    ],
    ret: { identity: 'Identity:output:0' },
  };
  // The restore function, as TensorFlow traces it.
  const restoreNodes: NodeSpec[] = [
    { name: 'RestoreV2/tensor_names', op: 'Const', attr: { dtype: attr.type('DT_STRING'), value: attr.tensor(strings([vars.length], vars.map((v) => `${v.key}/.ATTRIBUTES/VARIABLE_VALUE`))) } },
    { name: 'RestoreV2/shape_and_slices', op: 'Const', attr: { dtype: attr.type('DT_STRING'), value: attr.tensor(strings([vars.length], vars.map(() => ''))) } },
    {
      name: 'RestoreV2', op: 'RestoreV2', input: ['file_prefix', 'RestoreV2/tensor_names:output:0', 'RestoreV2/shape_and_slices:output:0'],
      attr: { dtypes: attr.types(vars.map((v) => tfName(v.value.dtype))) },
    },
  ];
  vars.forEach((v, i) => {
    const id = i === 0 ? 'Identity' : `Identity_${i}`;
    const assign = i === 0 ? 'AssignVariableOp' : `AssignVariableOp_${i}`;
    restoreNodes.push({ name: id, op: 'Identity', input: [`RestoreV2:tensors:${i}`], attr: { T: attr.type(tfName(v.value.dtype)) } });
    restoreNodes.push({ name: assign, op: 'AssignVariableOp', input: [`assignvariableop_${i}_${argName(v)}`, `${id}:output:0`], attr: { dtype: attr.type(tfName(v.value.dtype)) } });
  });
  restoreNodes.push({ name: 'NoOp', op: 'NoOp', input: vars.map((_, i) => `^${i === 0 ? 'AssignVariableOp' : `AssignVariableOp_${i}`}`) });
  restoreNodes.push({ name: 'Identity_final', op: 'Identity', input: ['file_prefix', '^NoOp'], attr: { T: attr.type('DT_STRING') } });
  const restore: FunctionSpec = {
    name: '__inference__traced_restore_1003',
    inputs: [{ name: 'file_prefix', type: 'DT_STRING' }, ...vars.map((v, i) => ({ name: `assignvariableop_${i}_${argName(v)}`, type: RES }))],
    outputs: [{ name: 'identity_final', type: 'DT_STRING' }],
    nodes: restoreNodes,
    ret: { identity_final: 'Identity_final:output:0' },
    controlRet: Object.fromEntries(vars.map((_, i) => { const a = i === 0 ? 'AssignVariableOp' : `AssignVariableOp_${i}`; return [a, a]; })),
  };
  const top: NodeSpec[] = [];
  for (const v of vars) {
    const dtype = attr.type(tfName(v.value.dtype));
    top.push({ name: v.name, op: 'VarHandleOp', attr: { dtype, shape: attr.shape([...v.value.shape]), shared_name: attr.s(v.name) } });
    top.push({ name: `${v.name}/Read/ReadVariableOp`, op: 'ReadVariableOp', input: [v.name], attr: { dtype } });
  }
  // Tables: HashTableV2 + keys/values Consts + an initializer function called from the init op.
  const initializers: FunctionSpec[] = [];
  const initCalls: string[] = [];
  tables.forEach((t, i) => {
    const kt = attr.type(tfName(t.keys.dtype));
    const vt = attr.type(tfName(t.values.dtype));
    const init: FunctionSpec = {
      name: `__inference__initializer_${1100 + i}`,
      inputs: [{ name: 'table', type: RES }, { name: 'keys', type: tfName(t.keys.dtype) }, { name: 'values', type: tfName(t.values.dtype) }],
      outputs: [],
      nodes: [{ name: 'key_value_init/InitializeTableV2', op: 'InitializeTableV2', input: ['table', 'keys', 'values'], attr: { Tkey: kt, Tval: vt } }],
      ret: {},
      controlRet: {},
    };
    initializers.push(init);
    const callName = `StatefulPartitionedCall_${3 + i}`;
    initCalls.push(`^${callName}`);
    top.push(
      { name: t.name, op: 'HashTableV2', attr: { key_dtype: kt, value_dtype: vt, shared_name: attr.s(`table_${1100 + i}`) } },
      { name: `Const_${2 * i}`, op: 'Const', attr: { dtype: kt, value: attr.tensor(t.keys) } },
      { name: `Const_${2 * i + 1}`, op: 'Const', attr: { dtype: vt, value: attr.tensor(t.values) } },
      { ...call(callName, init.name, [t.name, `Const_${2 * i}`, `Const_${2 * i + 1}`], [RES, tfName(t.keys.dtype), tfName(t.values.dtype)], []), attr: { Tin: attr.types([RES, tfName(t.keys.dtype), tfName(t.values.dtype)]), Tout: attr.types([]), f: attr.func(init.name) } },
    );
  });
  const servingInput = `serving_default_${spec.input.name}`;
  const handles = [...tables.map((t) => t.name), ...vars.map((v) => v.name)];
  top.push(
    { name: 'NoOp', op: 'NoOp', input: initCalls },
    { name: servingInput, op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape(spec.input.shape) } },
    call('StatefulPartitionedCall', wrapper.name, [servingInput, ...handles], [F, ...handleTypes], [spec.output.dtype]),
    { name: 'saver_filename', op: 'Placeholder', attr: { dtype: attr.type('DT_STRING'), shape: attr.shape([]) } },
    call('StatefulPartitionedCall_2', restore.name, ['saver_filename', ...vars.map((v) => v.name)], ['DT_STRING', ...vars.map(() => RES)], ['DT_STRING']),
  );
  writeSavedModel(dir, {
    nodes: top,
    functions: [forward, wrapper, restore, ...initializers, ...(spec.functions ?? [])],
    signatures: {
      serving_default: {
        inputs: { [spec.input.name]: { name: `${servingInput}:0`, dtype: F, shape: spec.input.shape } },
        outputs: { [spec.output.name]: { name: 'StatefulPartitionedCall:0', dtype: spec.output.dtype, shape: spec.output.shape } },
      },
      __saved_model_init_op: { inputs: {}, outputs: { __saved_model_init_op: { name: 'NoOp', dtype: 'DT_INVALID', shape: null } } },
    },
    saverDef: { filenameTensorName: 'saver_filename:0', restoreOpName: 'StatefulPartitionedCall_2' },
    variables: Object.fromEntries(vars.map((v) => [`${v.key}/.ATTRIBUTES/VARIABLE_VALUE`, v.value])),
    strippedOps: tables.length > 0 ? [...KERAS_TOP_LEVEL_OPS, ...TABLE_TOP_LEVEL_OPS] : KERAS_TOP_LEVEL_OPS,
  });
}
