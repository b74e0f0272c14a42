/**
 * `--model_config_file`: TensorFlow Serving's ModelServerConfig (model_config_list { config { ... } }) in text
 * format, JSON or YAML (by file extension), decoded into typed, validated inferd configuration.
 *
 * Error contract (TensorFlow Serving's texts, shared/reference/tfserving-api.md §3–4):
 * - syntax/schema: InferdError INVALID_ARGUMENT `Error parsing text-format tensorflow.serving.ModelServerConfig: <line>:<col>: <msg>`
 *   (`Error parsing JSON|YAML ...` for the other syntaxes);
 * - loadModelServerConfig wraps those in INVALID_ARGUMENT `Invalid protobuf file: '<path>'` whose `cause` is the
 *   detailed error (the CLI logs the cause to stderr and prints `Failed to start server. Error: <err>`);
 * - validation (duplicates, relative base_path, unknown platform, custom_model_config): INVALID_ARGUMENT with
 *   TensorFlow Serving's message, no prefix.
 * Everything here is pure except loadModelServerConfig (reads one file).
 */
import { InferdError } from '../../core/errors.ts';
import { readConfigDocument } from './config-file.ts';
import { parseConfigDocument, messageFromObject, syntaxForPath, ObjectFormatError } from './config-document.ts';
import { MODEL_SERVER_CONFIG } from './schemas.ts';
import { hasField, valueOf, valuesOf } from '../../core/textproto.ts';
import type { TextMessage } from '../../core/textproto.ts';
import { DEFAULT_VERSION_POLICY } from './version-policy.ts';
import type { VersionPolicy } from './version-policy.ts';

/** Re-exported: the version policy type a ModelConfig carries. */
export type { VersionPolicy } from './version-policy.ts';

/** Platforms inferd serves; an omitted platform means "detect from the version folder's files". */
export const SUPPORTED_PLATFORMS = ['tensorflow', 'onnx', 'tfjs'] as const;

/** A model platform inferd can serve. */
export type ModelPlatform = (typeof SUPPORTED_PLATFORMS)[number];

/** One served model, validated: absolute base path, supported platform, normalized policy. */
export interface ModelConfig {
  readonly name: string;
  /** Absolute path or URI of the folder holding numeric version folders. */
  readonly basePath: string;
  /** Absent: detect per version from its files. */
  readonly platform?: ModelPlatform;
  /** Default `latest {num_versions: 1}`; latest num_versions < 1 is normalized to 1. */
  readonly versionPolicy: VersionPolicy;
  /** version_labels: label → version (empty when none). */
  readonly versionLabels: Readonly<Record<string, number>>;
}

/** The whole configuration: models in file order (an absent or empty model_config_list means no models). */
export interface ModelServerConfig {
  readonly models: readonly ModelConfig[];
}

/** A model before validation (as decoded, or built by a caller such as the gRPC ReloadConfig handler). */
export interface ModelConfigInput {
  readonly name: string;
  readonly basePath: string;
  /** Any string; validation narrows it (empty or absent = detect). */
  readonly platform?: string | undefined;
  readonly versionPolicy?: VersionPolicy | undefined;
  readonly versionLabels?: Readonly<Record<string, number>> | undefined;
}

/** A configuration before validation. */
export interface ModelServerConfigInput {
  readonly models: readonly ModelConfigInput[];
}

const MODEL_TYPE_PLATFORM: Record<string, string> = { TENSORFLOW: 'tensorflow', OTHER: 'other' };

/** Decode a schema-checked ModelServerConfig tree (from any syntax) into the unvalidated input form. */
export function decodeModelServerConfig(root: TextMessage): ModelServerConfigInput {
  if (hasField(root, 'custom_model_config')) {
    throw InferdError.invalidArgument('Missing custom_model_config_loader in ServerCore Options: inferd does not support custom_model_config');
  }
  const list = valueOf(root, 'model_config_list');
  const configs = list?.kind === 'message' ? valuesOf(list, 'config') : [];
  return { models: configs.flatMap((c) => (c.kind === 'message' ? [decodeModel(c)] : [])) };
}

function str(m: TextMessage, name: string): string | undefined {
  const v = valueOf(m, name);
  return v?.kind === 'string' ? v.value : undefined;
}

function decodeModel(m: TextMessage): ModelConfigInput {
  const name = str(m, 'name') ?? '';
  let platform = str(m, 'model_platform') ?? '';
  const modelType = valueOf(m, 'model_type');
  if (modelType?.kind === 'enum' && modelType.number !== 0) {
    if (platform !== '') {
      throw InferdError.invalidArgument(
        `Illegal setting both ModelServerConfig::model_type (deprecated) and ModelServerConfig::model_platform, model name is ${name}`,
      );
    }
    platform = MODEL_TYPE_PLATFORM[modelType.name] ?? modelType.name;
  }
  const labels: Record<string, number> = {};
  for (const entry of valuesOf(m, 'version_labels')) {
    if (entry.kind !== 'message') continue;
    const value = valueOf(entry, 'value');
    labels[str(entry, 'key') ?? ''] = value?.kind === 'integer' ? Number(value.value) : 0;
  }
  const policy = valueOf(m, 'model_version_policy');
  return {
    name,
    basePath: str(m, 'base_path') ?? '',
    platform: platform === '' ? undefined : platform,
    versionPolicy: policy?.kind === 'message' ? decodePolicy(policy) : undefined,
    versionLabels: labels,
  };
}

function decodePolicy(p: TextMessage): VersionPolicy {
  const latest = valueOf(p, 'latest');
  if (latest?.kind === 'message') {
    const n = valueOf(latest, 'num_versions');
    return { kind: 'latest', numVersions: n?.kind === 'integer' ? Number(n.value) : 0 };
  }
  if (valueOf(p, 'all')?.kind === 'message') return { kind: 'all' };
  const specific = valueOf(p, 'specific');
  if (specific?.kind === 'message') {
    return { kind: 'specific', versions: valuesOf(specific, 'versions').flatMap((v) => (v.kind === 'integer' ? [Number(v.value)] : [])) };
  }
  // An empty model_version_policy {} selects nothing in the oneof: TensorFlow Serving then uses the default.
  return DEFAULT_VERSION_POLICY;
}

/** True for an absolute path (`/...`) or a URI with a scheme (`s3://`, `gs://`, `file://`, ...). */
export function isAbsolutePathOrUri(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(p);
}

/**
 * Validate and normalize (ServerCore::ValidateModelConfigList and friends, in TensorFlow Serving's order):
 * duplicate names, then per model: empty name, base_path absolute, platform supported; latest N < 1 → 1.
 * Throws InferdError INVALID_ARGUMENT with TensorFlow Serving's message on the first problem.
 */
export function validateModelServerConfig(input: ModelServerConfigInput): ModelServerConfig {
  const names = new Set<string>();
  for (const m of input.models) {
    if (names.has(m.name)) throw InferdError.invalidArgument(`Illegal to list model ${m.name} multiple times in config list`);
    names.add(m.name);
  }
  const models = input.models.map((m): ModelConfig => {
    if (m.name === '') throw InferdError.invalidArgument(`A model in the config list has no name (base_path()=${m.basePath})`);
    if (!isAbsolutePathOrUri(m.basePath)) {
      throw InferdError.invalidArgument(`Expected model ${m.name} to have an absolute path or URI; got base_path()=${m.basePath}`);
    }
    const platform = m.platform ?? '';
    if (platform !== '' && !(SUPPORTED_PLATFORMS as readonly string[]).includes(platform)) {
      throw InferdError.invalidArgument(`Model ${m.name} requests unsupported platform ${platform}`);
    }
    let policy = m.versionPolicy ?? DEFAULT_VERSION_POLICY;
    if (policy.kind === 'latest' && !(policy.numVersions >= 1)) policy = { kind: 'latest', numVersions: 1 };
    if (policy.kind === 'specific') policy = { kind: 'specific', versions: [...policy.versions] };
    const base = { name: m.name, basePath: m.basePath, versionPolicy: policy, versionLabels: { ...(m.versionLabels ?? {}) } };
    return platform === '' ? base : { ...base, platform: platform as ModelPlatform };
  });
  return { models };
}

/**
 * Parse and validate a config document. The syntax follows `fileName`'s extension (.json, .yaml/.yml, else
 * text format); `fileName` is otherwise only descriptive. Throws InferdError INVALID_ARGUMENT (see module doc).
 */
export function parseModelServerConfigText(text: string, fileName = 'model_config_file'): ModelServerConfig {
  const tree = parseConfigDocument(text, syntaxForPath(fileName), MODEL_SERVER_CONFIG);
  return validateModelServerConfig(decodeModelServerConfig(tree));
}

/**
 * Decode and validate a plain object shaped like ModelServerConfig in proto JSON form (proto or lowerCamelCase
 * names), e.g. a protobufjs-decoded ReloadConfigRequest.config. Errors: INVALID_ARGUMENT.
 */
export function modelServerConfigFromObject(value: unknown): ModelServerConfig {
  try {
    return validateModelServerConfig(decodeModelServerConfig(messageFromObject(value, MODEL_SERVER_CONFIG)));
  } catch (err) {
    if (err instanceof ObjectFormatError) throw new InferdError('INVALID_ARGUMENT', `Invalid ModelServerConfig: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Read and parse `--model_config_file`. A missing/unreadable file → NOT_FOUND `<path>; <reason>`; a syntax or
 * schema error → INVALID_ARGUMENT `Invalid protobuf file: '<path>'` with the detailed error as `cause`;
 * validation errors are thrown as they are.
 */
export async function loadModelServerConfig(path: string): Promise<ModelServerConfig> {
  const tree = await readConfigDocument(path, MODEL_SERVER_CONFIG);
  return validateModelServerConfig(decodeModelServerConfig(tree));
}

/** What changed for one model present in both configs. */
export interface ModelConfigChange {
  readonly name: string;
  readonly before: ModelConfig;
  readonly after: ModelConfig;
  readonly basePath: boolean;
  readonly versionPolicy: boolean;
  readonly versionLabels: boolean;
}

/** The difference between two validated configs (by model name). */
export interface ConfigDiff {
  /** In `next` only. */
  readonly added: ModelConfig[];
  /** In `old` only (to unload). */
  readonly removed: ModelConfig[];
  /** In both, with a different base path, policy or labels. */
  readonly changed: ModelConfigChange[];
  /** In both and identical. */
  readonly unchanged: ModelConfig[];
  /** Illegal transitions (platform changes), as INVALID_ARGUMENT errors; a non-empty list means reject `next`. */
  readonly errors: InferdError[];
}

function samePolicy(a: VersionPolicy, b: VersionPolicy): boolean {
  if (a.kind === 'latest' && b.kind === 'latest') return a.numVersions === b.numVersions;
  if (a.kind === 'specific' && b.kind === 'specific') {
    const x = [...new Set(a.versions)].sort((p, q) => p - q);
    const y = [...new Set(b.versions)].sort((p, q) => p - q);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  return a.kind === b.kind;
}

function sameLabels(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/**
 * Compare two configs (pure). A platform change is illegal (ServerCore::ValidateNoModelsChangePlatforms):
 * compared when both sides declare one; `resolvedPlatform(name)` may supply the platform an old model without a
 * declared platform was detected as.
 */
export function diffConfigs(
  old: ModelServerConfig,
  next: ModelServerConfig,
  resolvedPlatform: (name: string) => string | undefined = () => undefined,
): ConfigDiff {
  const before = new Map(old.models.map((m) => [m.name, m]));
  const after = new Map(next.models.map((m) => [m.name, m]));
  const diff: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [], errors: [] };
  for (const m of old.models) if (!after.has(m.name)) diff.removed.push(m);
  for (const n of next.models) {
    const o = before.get(n.name);
    if (!o) {
      diff.added.push(n);
      continue;
    }
    const oldPlatform = o.platform ?? resolvedPlatform(o.name);
    if (oldPlatform !== undefined && n.platform !== undefined && oldPlatform !== n.platform) {
      diff.errors.push(
        InferdError.invalidArgument(
          `Illegal to change a model's platform. For model ${n.name} platform was ${oldPlatform} and new platform requested is ${n.platform}`,
        ),
      );
    }
    const change: ModelConfigChange = {
      name: n.name,
      before: o,
      after: n,
      basePath: o.basePath !== n.basePath,
      versionPolicy: !samePolicy(o.versionPolicy, n.versionPolicy),
      versionLabels: !sameLabels(o.versionLabels, n.versionLabels),
    };
    if (change.basePath || change.versionPolicy || change.versionLabels) diff.changed.push(change);
    else diff.unchanged.push(n);
  }
  return diff;
}
