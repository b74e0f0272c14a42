/**
 * inferd as a library (the package's `exports` entry): create a model server, start its REST and gRPC ports,
 * reload its model configuration, stop it gracefully. The same pieces `inferd serve` composes (src/cli/serve.ts),
 * without the flag parsing, logging or signal handling, which stay the embedding application's business.
 */
import { startGrpcServer, type GrpcServer } from './api/grpc/server.ts';
import { startRestServer, type RestServer } from './api/rest/server.ts';
import { validateModelServerConfig, type ModelServerConfigInput } from './server/config/model-server-config.ts';
import { createModelServer, type RuntimeOptions } from './server/compose.ts';
import type { ModelServer, ServedModel } from './server/model-server.ts';

export type { ServedModel } from './server/model-server.ts';
export type { RuntimeOptions } from './server/compose.ts';
export type { ModelServerConfigInput, ModelConfigInput } from './server/config/model-server-config.ts';
export { InferdError } from './core/errors.ts';

/** Options of `createInferd`; each default is beside its field. */
export interface InferdOptions {
  /** The models to serve (name, absolute base path with `<version>/` folders, optional platform and policy). */
  readonly models: readonly ServedModel[];
  /** REST port (TF Serving's /v1 API and /v2 health); 0 = a free port. Default 8501; `false` = no REST. */
  readonly restPort?: number | false;
  /** gRPC port (TF Serving's PredictionService and ModelService); 0 = a free port. Default 8500; `false` = no gRPC. */
  readonly grpcPort?: number | false;
  /** Interface both ports bind. Default `0.0.0.0`. */
  readonly host?: string;
  /** Runtime options (intra-op threads, SavedModel tags and worker threads). Default: the CLI's defaults. */
  readonly runtime?: RuntimeOptions;
  /** Seconds between polls of the model base paths for new versions. Default 1. */
  readonly fileSystemPollWaitSeconds?: number;
  /** REST request deadline in ms; 0 = none. Default 30000. */
  readonly restTimeoutMs?: number;
}

/** The ports a started server listens on (0 when that transport is off). */
export interface InferdPorts {
  readonly rest: number;
  readonly grpc: number;
}

/** A model server created by `createInferd`. */
export interface Inferd {
  /** The model server facade (status, predict, classify, regress, readiness). */
  readonly server: ModelServer;
  /** Wait for the initial loads, then open the ports; resolves with the bound ports. Call once. */
  start(): Promise<InferdPorts>;
  /** Replace the served models (TF Serving's ReloadConfig: added models load, removed ones unload). */
  reload(config: ModelServerConfigInput): Promise<void>;
  /**
   * Graceful stop: readiness turns false, the ports stop accepting, requests in flight get up to `graceMs`
   * (default 20000) to finish, then every model unloads. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Create a model server and start loading its models (ports open on `start()`). */
export async function createInferd(options: InferdOptions): Promise<Inferd> {
  const server = await createModelServer({
    models: options.models,
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.fileSystemPollWaitSeconds !== undefined ? { pollWaitSeconds: options.fileSystemPollWaitSeconds } : {}),
  });
  let rest: RestServer | undefined;
  let grpc: GrpcServer | undefined;
  let stopping: Promise<void> | undefined;
  const host = options.host ?? '0.0.0.0';
  return {
    server,
    async start() {
      await server.whenSettled();
      if (options.restPort !== false) {
        rest = await startRestServer(server, {
          host, port: options.restPort ?? 8501, readiness: server,
          ...(options.restTimeoutMs !== undefined ? { timeoutMs: options.restTimeoutMs } : {}),
        });
      }
      if (options.grpcPort !== false) {
        try {
          grpc = await startGrpcServer(server, { host, port: options.grpcPort ?? 8500, allModelsAvailable: () => server.isReady() });
        } catch (err) {
          await rest?.close();
          throw err;
        }
      }
      return { rest: rest?.port ?? 0, grpc: grpc?.port ?? 0 };
    },
    reload: (config) => server.reloadConfig(validateModelServerConfig(config)),
    stop(graceMs = 20_000) {
      stopping ??= (async () => {
        server.startDraining();
        rest?.startDraining();
        await Promise.all([rest?.close(graceMs), grpc?.close(graceMs)]);
        await server.close();
      })();
      return stopping;
    },
  };
}
