/**
 * SavedModels the tests and the bench build: the same MLP as test/support/models.ts writes in ONNX, as a TF1-style
 * frozen graph (Placeholder → MatMul → BiasAdd → Relu …, weights as Const nodes), so both runtimes serve identical
 * weights and answers can be compared with `mlpReference`.
 */
import path from 'node:path';
import { mlpWeights, type MlpOptions } from './models.ts';
import { attr, constNode, type NodeSpec, writeSavedModel } from './savedmodel-builder.ts';

/** Write the MLP as `<versionDir>/saved_model.pb`: input `x` float [-1, inputSize] → output `y` float [-1, outputs]. */
export async function mlpSavedModel(versionDir: string, opts: MlpOptions): Promise<string> {
  const { layers } = mlpWeights(opts);
  const F = 'DT_FLOAT';
  const nodes: NodeSpec[] = [{ name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape([-1, opts.inputSize]) } }];
  let current = 'x';
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    nodes.push(constNode(`w${l}`, { dtype: 'float32', shape: [layer.in, layer.out], data: layer.w }));
    nodes.push(constNode(`b${l}`, { dtype: 'float32', shape: [layer.out], data: layer.b }));
    nodes.push({ name: `mm${l}`, op: 'MatMul', input: [current, `w${l}`], attr: { T: attr.type(F), transpose_a: attr.b(false), transpose_b: attr.b(false) } });
    const added = last ? 'y' : `pre${l}`;
    nodes.push({ name: added, op: 'BiasAdd', input: [`mm${l}`, `b${l}`], attr: { T: attr.type(F) } });
    if (!last) {
      nodes.push({ name: `h${l}`, op: 'Relu', input: [added], attr: { T: attr.type(F) } });
      current = `h${l}`;
    }
  });
  writeSavedModel(versionDir, {
    nodes,
    signatures: {
      serving_default: {
        inputs: { x: { name: 'x:0', dtype: F, shape: [-1, opts.inputSize] } },
        outputs: { y: { name: 'y:0', dtype: F, shape: [-1, opts.outputs] } },
      },
    },
  });
  return path.join(versionDir, 'saved_model.pb');
}
