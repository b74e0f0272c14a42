/**
 * The availability-preserving rule (TensorFlow Serving's AvailabilityPreservingPolicy, in our words), as a pure
 * function: which versions to load and which to unload, given what is aspired and the state of each version.
 */
import type { VersionState } from './state.ts';

/** What the manager should do next for one model. */
export interface LifecycleActions {
  /** Versions to start loading (aspired, not loaded, not failed while aspired). */
  readonly load: readonly number[];
  /** Versions to unload (AVAILABLE and no longer aspired, when that does not reduce availability). */
  readonly unload: readonly number[];
}

/** A version as the policy sees it. `failed` marks an END reached through a load error while aspired. */
export interface VersionView {
  readonly version: number;
  readonly state: VersionState;
  readonly failed: boolean;
}

/**
 * Decide actions. Rules:
 * - every aspired version that is not START/LOADING/AVAILABLE/UNLOADING and did not fail while aspired is loaded;
 * - non-aspired AVAILABLE versions are unloaded once some aspired version is AVAILABLE, or when nothing is aspired
 *   at all (the model or its folder was removed). So a failed new version never takes the old one down, and a swap
 *   never leaves zero versions serving;
 * - while no aspired version is AVAILABLE, only the highest non-aspired AVAILABLE version is kept (TF Serving's
 *   AvailabilityPreservingPolicy: at most one unaspired version serves in the meantime). Without this rule, versions
 *   that finished loading after they stopped being aspired (a base path whose versions arrive faster than they load,
 *   reloads under load) piled up AVAILABLE until the newest aspired one was ready (issue 9 D11).
 */
export function decideActions(aspired: readonly number[], versions: readonly VersionView[]): LifecycleActions {
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  const aspiredSet = new Set(aspired);
  const load = aspired.filter((v) => {
    const view = byVersion.get(v);
    return view === undefined || (view.state === 'END' && !view.failed);
  });
  const anyAspiredAvailable = aspired.some((v) => byVersion.get(v)?.state === 'AVAILABLE');
  const stale = versions.filter((v) => v.state === 'AVAILABLE' && !aspiredSet.has(v.version)).map((v) => v.version).sort((a, b) => b - a);
  const unload = anyAspiredAvailable || aspired.length === 0 ? stale : stale.slice(1);
  return { load: [...load].sort((a, b) => b - a), unload };
}
