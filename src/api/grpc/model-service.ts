/**
 * tensorflow.serving.ModelService handlers: GetModelStatus (from the facade) and HandleReloadConfigRequest (through
 * an optional callback; without one it answers UNIMPLEMENTED).
 */
import { CODE, InferdError } from '../../core/errors.ts';
import { STATE_NUMBER } from '../../core/lifecycle/state.ts';
import { modelServerConfigFromObject, type ModelServerConfig } from '../../server/config/model-server-config.ts';
import type { ServingApi } from '../../server/serving-api.ts';
import { requireModelSpec, type ModelSpecMessage } from './model-spec.ts';
import { int64ToVersion, type ProtoTypes } from './protos.ts';
import type { UnaryImpl } from './unary.ts';

/** GetModelStatusRequest as decoded. */
export interface GetModelStatusRequestMessage {
  model_spec?: ModelSpecMessage | null;
}

/** ReloadConfigRequest as decoded (a protobufjs message; `config` is converted with toObject). */
export interface ReloadConfigRequestMessage {
  config?: { config?: string } | null;
}

/** Applies a new ModelServerConfig (the whole config: models absent from it are unloaded). */
export type ReloadConfigCallback = (config: ModelServerConfig) => Promise<void>;

/** The method bodies of ModelService, keyed by RPC name. */
export type ModelServiceHandlers = Record<'GetModelStatus' | 'HandleReloadConfigRequest', UnaryImpl<never, unknown>>;

/** Build the ModelService handlers. */
export function modelServiceHandlers(api: ServingApi, types: ProtoTypes, reloadConfig?: ReloadConfigCallback): ModelServiceHandlers {
  const getModelStatus = async (req: GetModelStatusRequestMessage): Promise<unknown> => {
    const spec = requireModelSpec(req.model_spec);
    const version = spec.version_choice === 'version' || (spec.version_choice === undefined && spec.version)
      ? int64ToVersion(spec.version?.value) : undefined;
    const statuses = api.status(spec.name ?? '', version);
    return {
      model_version_status: statuses.map((s) => ({
        version: s.version,
        state: STATE_NUMBER[s.state],
        status: { error_code: s.error ? CODE[s.error.code] : 0, error_message: s.error?.message ?? '' },
      })),
    };
  };

  const reload = async (req: ReloadConfigRequestMessage): Promise<unknown> => {
    if (!reloadConfig) throw InferdError.unimplemented('HandleReloadConfigRequest is not enabled on this server');
    if (!req.config || req.config.config !== 'model_config_list') {
      throw InferdError.invalidArgument(
        'ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported',
      );
    }
    const plain = types.root.lookupType('tensorflow.serving.ModelServerConfig')
      .toObject(req.config as never, { longs: String, enums: String, defaults: false, oneofs: false });
    await reloadConfig(modelServerConfigFromObject(plain));
    return { status: { error_code: 0, error_message: '' }, metric: [] };
  };

  return {
    GetModelStatus: getModelStatus as UnaryImpl<never, unknown>,
    HandleReloadConfigRequest: reload as UnaryImpl<never, unknown>,
  };
}
