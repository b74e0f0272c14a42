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
 * - a non-aspired AVAILABLE version is unloaded only if some aspired version is AVAILABLE, or nothing is aspired at
 *   all (the model or its folder was removed). So a failed new version never takes the old one down, and a swap
 *   never leaves zero versions serving.
 */
export function decideActions(aspired: readonly number[], versions: readonly VersionView[]): LifecycleActions {
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  const aspiredSet = new Set(aspired);
  const load = aspired.filter((v) => {
    const view = byVersion.get(v);
    return view === undefined || (view.state === 'END' && !view.failed);
  });
  const anyAspiredAvailable = aspired.some((v) => byVersion.get(v)?.state === 'AVAILABLE');
  const mayUnload = anyAspiredAvailable || aspired.length === 0;
  const unload = mayUnload
    ? versions.filter((v) => v.state === 'AVAILABLE' && !aspiredSet.has(v.version)).map((v) => v.version)
    : [];
  return { load: [...load].sort((a, b) => b - a), unload };
}
