/**
 * tensorflow.serving.Input (ExampleList / ExampleListWithContext of tf.Example) → core Examples for the facade's
 * classify and regress. No input, or no examples, is INVALID_ARGUMENT `Input is empty.` as in TensorFlow Serving.
 */
import type { Example, Feature } from '../../core/example.ts';
import { InferdError } from '../../core/errors.ts';
import { int64ToBigInt, type Int64Like } from './protos.ts';

/** tf.Feature as decoded (`kind` names the set oneof member). */
export interface FeatureMessage {
  kind?: string;
  bytes_list?: { value?: Uint8Array[] } | null;
  float_list?: { value?: number[] } | null;
  int64_list?: { value?: Int64Like[] } | null;
}

/** tf.Example as decoded. */
export interface ExampleMessage {
  features?: { feature?: Record<string, FeatureMessage> } | null;
}

/** tensorflow.serving.Input as decoded. */
export interface InputMessage {
  kind?: string;
  example_list?: { examples?: ExampleMessage[] } | null;
  example_list_with_context?: { examples?: ExampleMessage[]; context?: ExampleMessage | null } | null;
}

/** Examples and optional shared context, ready for ExampleCall. */
export interface DecodedInput {
  readonly examples: Example[];
  readonly context?: Example;
}

function toFeature(f: FeatureMessage): Feature | undefined {
  if (f.bytes_list) return { kind: 'bytes', values: [...(f.bytes_list.value ?? [])] };
  if (f.float_list) return { kind: 'float', values: [...(f.float_list.value ?? [])] };
  if (f.int64_list) return { kind: 'int64', values: (f.int64_list.value ?? []).map((v) => int64ToBigInt(v)) };
  return undefined; // a Feature with no kind carries nothing
}

/** One decoded tf.Example as a core Example. */
export function toExample(msg: ExampleMessage | null | undefined): Example {
  const out = new Map<string, Feature>();
  for (const [name, f] of Object.entries(msg?.features?.feature ?? {})) {
    const feature = toFeature(f);
    if (feature) out.set(name, feature);
  }
  return out;
}

/** The examples (and context) of an Input. */
export function decodeInput(input: InputMessage | null | undefined): DecodedInput {
  if (input?.example_list) {
    const examples = (input.example_list.examples ?? []).map(toExample);
    if (examples.length > 0) return { examples };
  } else if (input?.example_list_with_context) {
    const list = input.example_list_with_context;
    const examples = (list.examples ?? []).map(toExample);
    if (examples.length > 0) return list.context ? { examples, context: toExample(list.context) } : { examples };
  }
  throw InferdError.invalidArgument('Input is empty.');
}
