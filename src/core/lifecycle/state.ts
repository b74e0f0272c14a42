/**
 * Version states, as TensorFlow Serving reports them (ModelVersionStatus.State):
 * START → LOADING → AVAILABLE → UNLOADING → END; a failed load goes to END with its error.
 */
import type { InferdError } from '../errors.ts';

/** A version's lifecycle state. */
export type VersionState = 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END';

/** Numeric values of the states in tensorflow.serving.ModelVersionStatus.State. */
export const STATE_NUMBER: Readonly<Record<VersionState, number>> = {
  START: 10, LOADING: 20, AVAILABLE: 30, UNLOADING: 40, END: 50,
};

/**
 * One version's status. `error` is set for a version whose load failed (state END), and for one still LOADING after
 * a failed attempt that will be retried (the last attempt's error).
 */
export interface VersionStatus {
  readonly version: number;
  readonly state: VersionState;
  readonly error?: InferdError;
}
