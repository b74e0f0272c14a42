/**
 * Turning failures inside tfjs into client answers. A JavaScript fault (TypeError, RangeError, ReferenceError, a WebAssembly trap: a bug
 * in a kernel or in inferd, never the caller's doing) becomes INTERNAL with a message naming the signature, node and
 * op, and is logged with its stack to stderr as one JSON line (the server's log format); the raw property-access
 * text never reaches a client. Other kernel errors (shape or value checks) stay INVALID_ARGUMENT with tfjs' message,
 * prefixed with the node when it is known.
 *
 * Naming the node: tfjs-converter reports no node, so `trackNodes` wraps its graph executor's `processStack` (the
 * loop of `executeAsync` and of While/If bodies) to tag an error with the node that was executing when it was
 * thrown. The synchronous `execute` path has no such hook; the runner re-runs a faulting request once with
 * `executeAsync` to learn the node.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { InferdError } from '../../core/errors.ts';

/** The node an error was thrown from (set by the tracked executor). */
export interface FaultNode {
  readonly name: string;
  readonly op: string;
}

const NODE = Symbol('inferd.faultNode');
const patched = new WeakSet<object>();

type StackItem = { node?: { name?: string; op?: string } };
type ProcessStack = (this: unknown, inputNodes: unknown, stack: StackItem[], ...rest: unknown[]) => unknown;

/** The node recorded on an error thrown by a tracked executor, if any. */
export function faultNode(err: unknown): FaultNode | undefined {
  return typeof err === 'object' && err !== null ? (err as { [NODE]?: FaultNode })[NODE] : undefined;
}

function tag(err: unknown, item: StackItem | undefined): void {
  if (typeof err !== 'object' || err === null || faultNode(err) || !item?.node?.name) return;
  Object.defineProperty(err, NODE, { value: { name: item.node.name, op: item.node.op ?? '?' }, enumerable: false });
}

/** Make the graph executor class of `model` tag errors with the executing node (once per class and thread). */
export function trackNodes(model: GraphModel): void {
  const executor = (model as unknown as { executor?: object }).executor;
  const proto = executor ? (Object.getPrototypeOf(executor) as { processStack?: ProcessStack }) : undefined;
  if (!proto || patched.has(proto) || typeof proto.processStack !== 'function') return;
  patched.add(proto);
  const original = proto.processStack;
  proto.processStack = function (this: unknown, inputNodes: unknown, stack: StackItem[], ...rest: unknown[]): unknown {
    let current: StackItem | undefined;
    const pop = Array.prototype.pop;
    Object.defineProperty(stack, 'pop', { value: () => (current = pop.call(stack) as StackItem | undefined), configurable: true, writable: true });
    try {
      return original.call(this, inputNodes, stack, ...rest);
    } catch (err) {
      tag(err, current);
      throw err;
    } finally {
      delete (stack as { pop?: unknown }).pop;
    }
  };
}

/** True for errors that signal a bug (in a kernel or in inferd) rather than bad input. */
export function isFault(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || (err instanceof Error && err.name === 'RuntimeError');
}

/** Log a fault with its stack as one JSON line on stderr. */
function logFault(signature: string, node: FaultNode | undefined, err: Error): void {
  const line = {
    level: 50, time: Date.now(), msg: `runtime fault in signature ${signature}${node ? ` at node ${node.name} (op ${node.op})` : ''}`,
    signature, node: node?.name, op: node?.op, error: err.message, stack: err.stack,
  };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

/** The InferdError a client sees for an error thrown while running `signature` (see the module comment). */
export function describeFailure(err: unknown, signature: string, node: FaultNode | undefined = faultNode(err)): InferdError {
  if (err instanceof InferdError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const where = node ? `node ${node.name} (op ${node.op})` : 'an unidentified node';
  if (isFault(e)) {
    logFault(signature, node, e);
    return InferdError.internal(`Internal error running signature ${signature} at ${where}; the server log has the details`, e);
  }
  return new InferdError('INVALID_ARGUMENT', node ? `${node.name} (${node.op}): ${e.message}` : e.message, { cause: e });
}
