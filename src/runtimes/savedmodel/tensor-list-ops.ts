/**
 * Replacements for tfjs-converter's TensorListSetItem and TensorListPushBack. tfjs stores the written tensor itself
 * in the list (marked `kept`), but when the write happens inside a While body, the function executor disposes every
 * tensor of the body's run that is not a body output — the stored one included — so the next TensorListGetItem or
 * TensorListStack reads a disposed tensor ("Cannot read properties of undefined (reading 'backend')"; Keras LSTM/GRU
 * layers write each step's output this way). These versions store a clone the list owns: the clone is freed when the
 * list is (the execution context closes every list after the run). An overwritten element is left to that same
 * cleanup, as tfjs does: TensorListResize shares elements between lists, so it cannot be freed at once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';

/** The part of tfjs-converter's TensorList these ops use. */
interface TensorListLike {
  readonly idTensor: tf.Tensor;
  setItem(index: number, t: tf.Tensor): void;
  pushBack(t: tf.Tensor): void;
}

/** tfjs-converter passes its execution context on the node object of custom ops (NodeValueImpl.context). */
function listOf(node: GraphNode, handle: tf.Tensor): TensorListLike {
  const context = (node as unknown as { context: { getTensorList(id: number): TensorListLike | undefined } }).context;
  const list = context.getTensorList(handle.id);
  if (!list) throw new Error(`tensor list ${handle.id} is not in this execution`);
  return list;
}

function setItem(node: GraphNode): tf.Tensor[] {
  const [handle, index, item] = node.inputs as [tf.Tensor, tf.Tensor, tf.Tensor];
  const list = listOf(node, handle);
  const i = (index.dataSync() as Int32Array)[0] as number;
  list.setItem(i, tf.clone(item));
  return [list.idTensor];
}

function pushBack(node: GraphNode): tf.Tensor[] {
  const [handle, item] = node.inputs as [tf.Tensor, tf.Tensor];
  const list = listOf(node, handle);
  list.pushBack(tf.clone(item));
  return [list.idTensor];
}

/** The TensorList replacements, by op name: graph-runner.ts registers them with tfjs-converter. */
export const TENSOR_LIST_OPS: Readonly<Record<string, OpExecutor>> = {
  TensorListSetItem: setItem,
  TensorListPushBack: pushBack,
};
