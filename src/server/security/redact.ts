/**
 * `--redact_paths_in_errors`: keep absolute file paths of the server's disk out of what clients read. TensorFlow
 * Serving's error texts name paths (`... at supplied export directory path: /models/m/1`); with the switch, every
 * error message and version status that leaves the facade has each model's base path replaced by `<m>` and any
 * other absolute path by `…/<its last component>`. Operators still see full paths in the logs.
 */
import { InferdError } from '../../core/errors.ts';
import type { VersionStatus } from '../../core/lifecycle/state.ts';
import type { RepositoryEntry } from '../repository-api.ts';

/** A model's name and base path (the longest base path wins when one is inside another). */
export interface NamedPath {
  readonly name: string;
  readonly basePath: string;
}

// An absolute path starts after a start, a space, a quote, `=`, `(` or `,` (not after `:` or `/`: URLs stay).
const ABSOLUTE_PATH = /(^|[\s'"=(,])(\/[^\s'"(),;]+)/g;

/** The message with base paths replaced by `<model>` and other absolute paths by `…/<last component>`. */
export function redactPaths(message: string, models: readonly NamedPath[]): string {
  let out = message;
  for (const m of [...models].sort((a, b) => b.basePath.length - a.basePath.length)) {
    if (m.basePath.length > 1) out = out.split(m.basePath.replace(/\/+$/, '')).join(`<${m.name}>`);
  }
  return out.replace(ABSOLUTE_PATH, (_all, before: string, p: string) => {
    const last = p.replace(/\/+$/, '').split('/').pop() ?? '';
    return `${before}…/${last}`;
  });
}

/** The same error with its message redacted (non-InferdErrors pass through unchanged). */
function redactError(err: unknown, models: () => readonly NamedPath[]): unknown {
  if (!(err instanceof InferdError)) return err;
  const message = redactPaths(err.message, models());
  if (message === err.message) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object) as InferdError;
  Object.assign(copy, err);
  Object.defineProperty(copy, 'message', { value: message, enumerable: false, writable: true, configurable: true });
  return copy;
}

/**
 * A view of `target` (the model server) for the transports: every method's thrown or rejected InferdError is
 * redacted, and so are `status()` errors and `repositoryIndex()` reasons. Other values pass through; the target
 * itself is unchanged (methods run with `this` = target). `models` lists the base paths to name.
 */
export function redactingFacade<T extends object>(target: T, models: () => readonly NamedPath[]): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = fn.apply(obj, args);
        } catch (err) {
          throw redactError(err, models);
        }
        if (result instanceof Promise) return result.catch((err: unknown) => Promise.reject(redactError(err, models)));
        if (prop === 'status' && Array.isArray(result)) {
          return (result as VersionStatus[]).map((s) => (s.error ? { ...s, error: redactError(s.error, models) as InferdError } : s));
        }
        if (prop === 'repositoryIndex' && Array.isArray(result)) {
          return (result as RepositoryEntry[]).map((r) => ({ ...r, reason: redactPaths(r.reason, models()) }));
        }
        return result;
      };
    },
  });
}
