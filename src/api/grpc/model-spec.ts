/**
 * tensorflow.serving.ModelSpec ↔ the facade's ModelSpec / ServedSpec. Error texts are TensorFlow Serving's:
 * INVALID_ARGUMENT `Missing ModelSpec` (no model_spec) and `ModelSpec has no name specified.` (empty name).
 */
import { InferdError } from '../../core/errors.ts';
import type { ModelSpec, ServedSpec } from '../../server/serving-api.ts';
import { int64ToVersion, type Int64Like } from './protos.ts';

/** ModelSpec as decoded by protobufjs (keepCase); `version_choice` names the set oneof member. */
export interface ModelSpecMessage {
  name?: string;
  version?: { value?: Int64Like | null } | null;
  version_label?: string;
  signature_name?: string;
  version_choice?: string;
}

/** ModelSpec as given to the encoder. */
export interface ModelSpecOut {
  name: string;
  version?: { value: number };
  signature_name?: string;
}

/** Throws `Missing ModelSpec` when absent; returns the message otherwise. */
export function requireModelSpec(msg: ModelSpecMessage | null | undefined): ModelSpecMessage {
  if (!msg) throw InferdError.invalidArgument('Missing ModelSpec');
  return msg;
}

/** The facade's ModelSpec from a request's model_spec (name required; version or label; signature key as sent). */
export function parseModelSpec(msg: ModelSpecMessage | null | undefined): ModelSpec {
  const m = requireModelSpec(msg);
  if (!m.name) throw InferdError.invalidArgument('ModelSpec has no name specified.');
  const choice = m.version_choice ?? (m.version ? 'version' : m.version_label ? 'version_label' : undefined);
  return {
    name: m.name,
    ...(choice === 'version' && m.version ? { version: int64ToVersion(m.version.value) } : {}),
    ...(choice === 'version_label' && m.version_label !== undefined ? { label: m.version_label } : {}),
    ...(m.signature_name ? { signatureName: m.signature_name } : {}),
  };
}

/** A response model_spec: name, served version and (unless `withSignature` is false) the resolved signature key. */
export function servedSpecMessage(served: ServedSpec, withSignature = true): ModelSpecOut {
  return {
    name: served.name,
    version: { value: served.version },
    ...(withSignature ? { signature_name: served.signatureName } : {}),
  };
}
