/**
 * A test-only ServingApi for transport tests (NOT a runtime test): computes y = 0.5·x + 2 in plain JS for
 * classify/regress over tf.Example feature `x`, and offers models that misbehave on purpose:
 *   `slow`  — predict waits until its AbortSignal fires, records the reason, then throws it;
 *   `long`  — predict fails with a 2000-character INVALID_ARGUMENT message.
 * Every servable reports version 123.
 */
import { InferdError, throwIfAborted } from '../../../src/core/errors.ts';
import type { Example } from '../../../src/core/example.ts';
import { withContext } from '../../../src/core/example.ts';
import { AllocationBudget } from '../../../src/core/limits.ts';
import type { VersionStatus } from '../../../src/core/lifecycle/state.ts';
import { DEFAULT_SIGNATURE, type Signature } from '../../../src/core/signature.ts';
import type {
  ClassifyResult, ExampleCall, MetadataResult, ModelSpec, PredictCall, PredictResult, RegressResult, ServedSpec, ServingApi,
} from '../../../src/server/serving-api.ts';

const SIGNATURE: Signature = {
  inputs: { x: { name: 'x:0', dtype: 'float32', shape: [-1, 1] } },
  outputs: { y: { name: 'y:0', dtype: 'float32', shape: [-1, 1] } },
  methodName: 'tensorflow/serving/predict',
};

/** The fake facade; `aborts` collects the abort reasons `slow` predictions saw. */
export class FakeApi implements ServingApi {
  readonly aborts: InferdError[] = [];
  /** Calls seen by classify/regress (to check context handling). */
  readonly exampleCalls: ExampleCall[] = [];

  private served(spec: ModelSpec): ServedSpec {
    return { name: spec.name, version: 123, signatureName: spec.signatureName || DEFAULT_SIGNATURE };
  }

  private xs(call: ExampleCall): number[] {
    this.exampleCalls.push(call);
    return call.examples.map((e: Example) => {
      const f = withContext(e, call.context).get('x');
      if (!f || f.kind !== 'float' || f.values.length === 0) throw InferdError.invalidArgument('Feature x must be a float_list');
      return f.values[0] as number;
    });
  }

  status(name: string): readonly VersionStatus[] {
    if (name !== 'default') throw InferdError.notFound(`Could not find any versions of model ${name}`);
    return [{ version: 123, state: 'AVAILABLE' }];
  }

  async metadata(spec: ModelSpec): Promise<MetadataResult> {
    return { name: spec.name, version: 123, signatures: { serving_default: SIGNATURE } };
  }

  async predict(call: PredictCall): Promise<PredictResult> {
    if (call.spec.name === 'long') throw InferdError.invalidArgument('e'.repeat(2000));
    if (call.spec.name === 'slow') {
      await new Promise<void>((resolve) => {
        if (call.signal?.aborted) resolve();
        call.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      this.aborts.push(call.signal?.reason as InferdError);
      throwIfAborted(call.signal);
    }
    const inputs = call.decodeInputs(SIGNATURE, DEFAULT_SIGNATURE, new AllocationBudget());
    const x = inputs.x;
    if (!x || x.dtype !== 'float32') throw InferdError.invalidArgument('x must be float');
    const y = Float32Array.from(x.data as Float32Array, (v) => 0.5 * v + 2);
    return { served: this.served(call.spec), signature: SIGNATURE, outputs: { y: { dtype: 'float32', shape: x.shape, data: y } } };
  }

  async classify(call: ExampleCall): Promise<ClassifyResult> {
    const xs = this.xs(call);
    return { served: this.served(call.spec), classifications: xs.map((x) => [{ label: '', score: 0.5 * x + 2 }]) };
  }

  async regress(call: ExampleCall): Promise<RegressResult> {
    const xs = this.xs(call);
    return { served: this.served(call.spec), values: xs.map((x) => 0.5 * x + 2) };
  }
}
