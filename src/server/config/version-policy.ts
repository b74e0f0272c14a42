/**
 * The source-side version policy of TensorFlow Serving (FileSystemStoragePathSource's ServableVersionPolicy):
 * which of the versions found on disk a model aspires to serve. A pure function, tested by tables.
 * (Availability preservation — load before unload — is the manager's business, not this one's.)
 */

/** ServableVersionPolicy: `latest {num_versions}` (the default, N = 1), `all {}`, or `specific {versions}`. */
export type VersionPolicy =
  | { readonly kind: 'latest'; readonly numVersions: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'specific'; readonly versions: readonly number[] };

/** TensorFlow Serving's default policy: the single highest version. */
export const DEFAULT_VERSION_POLICY: VersionPolicy = { kind: 'latest', numVersions: 1 };

/** The outcome of applying a policy: aspired versions (ascending, unique) and warnings to log. */
export interface VersionSelection {
  readonly aspired: number[];
  readonly warnings: string[];
}

/** Names used in warnings; both optional. */
export interface VersionPolicyContext {
  readonly modelName?: string;
  readonly basePath?: string;
}

/**
 * Apply `policy` to the version numbers found on disk (any order, duplicates allowed).
 * - latest N: the N highest (N < 1 counts as 1, as TensorFlow Serving does);
 * - all: every version;
 * - specific: the listed versions that exist; each missing one yields a warning (it is not an error).
 * No version on disk at all yields a warning and nothing aspired.
 */
export function selectVersions(onDisk: readonly number[], policy: VersionPolicy, context: VersionPolicyContext = {}): VersionSelection {
  const model = context.modelName ?? '<unnamed>';
  const base = context.basePath ?? '<base path>';
  const available = [...new Set(onDisk)].sort((a, b) => a - b);
  const warnings: string[] = [];
  if (available.length === 0) {
    warnings.push(
      `No versions of servable ${model} found under base path ${base}. Did you forget to name your leaf directory as a number (eg. '/1/')?`,
    );
  }
  switch (policy.kind) {
    case 'latest': {
      const n = Math.max(1, Math.floor(policy.numVersions));
      return { aspired: available.slice(-n), warnings };
    }
    case 'all':
      return { aspired: available, warnings };
    case 'specific': {
      const present = new Set(available);
      const wanted = [...new Set(policy.versions)].sort((a, b) => a - b);
      for (const v of wanted) {
        if (!present.has(v)) {
          warnings.push(`Version ${v} of servable ${model}, requested by the specific version policy, does not exist under base path ${base}`);
        }
      }
      return { aspired: wanted.filter((v) => present.has(v)), warnings };
    }
  }
}
