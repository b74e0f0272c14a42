/** The TF.js runtime through the shared runtime conformance suite (GraphModels and LayersModels written by the tests). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TfjsRuntime } from '../../../src/runtimes/tfjs/index.ts';
import { writeHalfPlusTwoGraph, writeIdentityGraph, writeLogicalNotGraph, writeTwoInTwoOutLayers } from '../../support/tfjs-models.ts';
import { runtimeConformance } from '../conformance.ts';

runtimeConformance('tfjs', () => TfjsRuntime.create(), () => ({
  halfPlusTwo: { write: writeHalfPlusTwoGraph },
  twoInTwoOut: { write: writeTwoInTwoOutLayers, shape: (n) => [n, 2] },
  logicalNot: { write: writeLogicalNotGraph },
  stringIdentity: { write: (dir) => writeIdentityGraph(dir, 'DT_STRING') },
  identity: {
    float32: { write: (dir) => writeIdentityGraph(dir, 'DT_FLOAT') },
    int32: { write: (dir) => writeIdentityGraph(dir, 'DT_INT32') },
    bool: { write: (dir) => writeIdentityGraph(dir, 'DT_BOOL') },
    string: { write: (dir) => writeIdentityGraph(dir, 'DT_STRING') },
  },
  corrupt: { write: (dir) => writeFile(join(dir, 'model.json'), '{"format": "graph-model", "modelTopology": {"node": [{"name": "x", "op": "NoSuchOp"}]}') },
  skips: {
    addOneInt64: 'TF.js computes int64 as int32: values beyond ±2^31 (which this test sends) are refused with INVALID_ARGUMENT',
  },
}));
