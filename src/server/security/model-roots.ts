/**
 * `--allowed_model_roots`: the base paths that a client-driven change (gRPC HandleReloadConfigRequest, the REST
 * repository API's load with `parameters.config`) may name. Unset (the default, as in TensorFlow Serving): any
 * path. Set: each model's base path must be one of the roots or lie below one, after normalization (`..` cannot
 * climb out); a URI base path must start with a URI root. A model that keeps the base path it is served with now
 * passes whatever it is (the operator's own config file is not restricted). A refusal is PERMISSION_DENIED naming
 * the model, not the roots.
 */
import path from 'node:path';
import { InferdError } from '../../core/errors.ts';
import type { ModelConfig, ModelServerConfig } from '../config/model-server-config.ts';
import { modelConfigFromOperator } from '../model-lifecycle.ts';
import type { LoadModelOptions, ModelRepositoryApi, RepositoryEntry } from '../repository-api.ts';

const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Parse the flag's value: comma-separated absolute paths or URIs. INVALID_ARGUMENT on a relative entry. */
export function parseAllowedRoots(text: string): string[] {
  const roots = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (roots.length === 0) throw InferdError.invalidArgument('--allowed_model_roots names no root');
  return roots.map((root) => {
    if (URI_RE.test(root)) return root.endsWith('/') ? root : `${root}/`;
    if (!path.isAbsolute(root)) throw InferdError.invalidArgument(`--allowed_model_roots: ${root} is not an absolute path or a URI`);
    return path.resolve(root);
  });
}

/** True when `basePath` is a root or lies below one. */
export function isUnderRoots(basePath: string, roots: readonly string[]): boolean {
  if (URI_RE.test(basePath)) {
    // No `..` games in URIs: refuse any dot segment outright.
    if (/(^|\/)\.\.?(\/|$)/.test(basePath.replace(URI_RE, ''))) return false;
    return roots.some((root) => URI_RE.test(root) && (basePath.startsWith(root) || `${basePath}/` === root));
  }
  if (!path.isAbsolute(basePath)) return false;
  const p = path.resolve(basePath);
  return roots.some((root) => {
    if (URI_RE.test(root)) return false;
    const rel = path.relative(root, p);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/**
 * Throw PERMISSION_DENIED for the first model whose base path is outside `roots`, unless `current` serves that
 * model from that very path already.
 */
export function checkModelRoots(models: readonly Pick<ModelConfig, 'name' | 'basePath'>[], roots: readonly string[], current: ModelServerConfig): void {
  const served = new Map(current.models.map((m) => [m.name, m.basePath]));
  for (const m of models) {
    if (served.get(m.name) === m.basePath) continue;
    if (!isUnderRoots(m.basePath, roots)) {
      throw new InferdError('PERMISSION_DENIED', `Model ${m.name}: base_path is outside the allowed model roots (--allowed_model_roots)`);
    }
  }
}

/** A ModelRepositoryApi whose loads with a config must name a base path under `roots`; everything else delegates. */
export function restrictModelRoots(api: ModelRepositoryApi & { currentConfig(): ModelServerConfig }, roots: readonly string[]): ModelRepositoryApi {
  return {
    repositoryIndex: (): RepositoryEntry[] => api.repositoryIndex(),
    loadModel: async (name: string, options: LoadModelOptions = {}): Promise<void> => {
      if (options.config !== undefined) checkModelRoots([modelConfigFromOperator(name, options.config)], roots, api.currentConfig());
      return api.loadModel(name, options);
    },
    unloadModel: (name: string): Promise<void> => api.unloadModel(name),
  };
}
