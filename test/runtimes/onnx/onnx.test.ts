/** The ONNX runtime against the shared runtime conformance suite, on models the tests build themselves. */
import { OnnxRuntime } from '../../../src/runtimes/onnx/index.ts';
import { addOne, corruptModel, halfPlusTwo, identity, logicalNot, stringIdentity, twoInTwoOut } from '../../support/models.ts';
import { runtimeConformance } from '../conformance.ts';

runtimeConformance('onnx', () => OnnxRuntime.create(), () => ({
  halfPlusTwo: { write: (dir) => halfPlusTwo(dir) },
  twoInTwoOut: { write: twoInTwoOut, shape: (n) => [n, 2] },
  addOneInt64: { write: (dir) => addOne(dir, 'int64') },
  logicalNot: { write: logicalNot },
  stringIdentity: { write: stringIdentity },
  identity: Object.fromEntries(
    (['float32', 'float64', 'float16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'string'] as const)
      .map((dtype) => [dtype, { write: (dir: string) => identity(dir, dtype) }]),
  ),
  corrupt: { write: corruptModel },
  // bfloat16 is absent from `identity`: onnxruntime-node 1.30 cannot create bfloat16 tensors (not a skip: not listed).
}));
