/**
 * `inferd serve`: tensorflow_model_server's flags (names and defaults from shared/reference/tfserving-api.md §4)
 * mapped to options; composes the model server with the REST (and gRPC) transports. Ports open only after the
 * initial loads settle, as in TensorFlow Serving.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import cluster from 'node:cluster';
import path from 'node:path';
import { Command, Option } from 'commander';
import pino from 'pino';
import { parseChannelArguments, startGrpcServer, type GrpcServer } from '../api/grpc/server.ts';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT } from '../api/connection-guard.ts';
import { DEFAULT_REST_TIMEOUTS } from '../api/rest/http-limits.ts';
import { dashboardPlugin } from '../api/rest/dashboard/plugin.ts';
import { managementPlugin } from '../api/rest/management.ts';
import { oipRestPlugin } from '../api/rest/oip/routes.ts';
import { startRestServer, type RestServer } from '../api/rest/server.ts';
import { protoTypes } from '../api/grpc/protos.ts';
import { predictionLogReplayer } from '../api/grpc/warmup-replay.ts';
import { InferdError } from '../core/errors.ts';
import { DEFAULT_MAX_TENSOR_BYTES } from '../core/limits.ts';
import { batchingDecorator } from '../server/batching.ts';
import { type BatchingParameters, defaultBatchingParameters, loadBatchingParameters } from '../server/config/batching-parameters.ts';
import { parseErrorDetail } from '../server/config/config-file.ts';
import { loadModelServerConfig, type ModelServerConfig } from '../server/config/model-server-config.ts';
import { createModelServer } from '../server/compose.ts';
import type { ModelServer, ServedModel } from '../server/model-server.ts';
import { checkVersionLabels, ConfigFileWatcher, notAvailableError } from '../server/reload.ts';
import { autoProcesses, coresPerProcess } from '../server/cores.ts';
import { checkModelRoots, restrictModelRoots } from '../server/security/model-roots.ts';
import { redactingFacade } from '../server/security/redact.ts';
import { boolFlag, intFlag, portFlag, rateFlag } from './flags.ts';
import { addSecurityOptions, setupSecurity, type SecurityFlags, type SecuritySetup } from './security-flags.ts';
import { runPrimary } from './cluster-primary.ts';
import { clusterExporter, clusterFacade, PrimaryChannel, runServingProcess, StartupFailure } from './cluster-worker.ts';
import { installShutdown } from './shutdown.ts';
import { DEFAULT_MONITORING_CONFIG, loadMonitoringConfig, type MonitoringConfig } from '../server/config/monitoring-config.ts';
import { Observability } from '../observability/index.ts';

/** Name and version the server reports (Open Inference Protocol server metadata), from package.json. */
const SERVER_INFO = {
  name: 'inferd',
  version: String((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version ?? ''),
};

/** Parsed `serve` options (flag names kept as TF Serving spells them). */
export interface ServeFlags extends SecurityFlags {
  processes: number;
  port: number;
  rest_api_port: number;
  host: string;
  rest_api_timeout_in_ms: number;
  rest_api_enable_cors_support: boolean;
  rest_api_max_body_bytes: number;
  max_request_tensor_bytes: number;
  rest_api_header_timeout_ms: number;
  rest_api_body_timeout_ms: number;
  rest_api_keepalive_timeout_ms: number;
  max_connections: number;
  max_connections_per_client: number;
  model_name: string;
  model_base_path?: string;
  model_platform?: string;
  model_config_file?: string;
  model_config_file_poll_wait_seconds: number;
  allow_version_labels_for_unavailable_models: boolean;
  enable_model_management: boolean;
  enable_dashboard: boolean;
  file_system_poll_wait_seconds: number;
  max_num_load_retries: number;
  load_retry_interval_micros: number;
  num_load_threads: number;
  saved_model_tags: string;
  tensorflow_intra_op_parallelism: number;
  tensorflow_inter_op_parallelism: number;
  rest_api_num_threads?: number;
  allow_unavailable_models_at_startup: boolean;
  log_level: string;
  grpc_socket_path?: string;
  grpc_channel_arguments?: string;
  enable_grpc_healthcheck_service: boolean;
  enable_serialization_as_tensor_content: boolean;
  enable_batching: boolean;
  saved_model_workers?: number;
  batching_parameters_file?: string;
  enable_per_model_batching_parameters: boolean;
  drain_delay_seconds: number;
  drain_timeout_seconds: number;
  monitoring_config_file?: string;
  access_log: boolean;
  access_log_sample_rate: number;
  enable_model_warmup: boolean;
  num_request_iterations_for_warmup: number;
}

/**
 * tensorflow_model_server flags inferd accepts but does not act on (TensorFlow-runtime, GPU, TPU, TFLite and
 * thread-pool tuning; ALTS). Each one given is named in a startup warning saying it has no effect.
 */
export const IGNORED_FLAGS = [
  'grpc_max_threads', 'enable_profiler', 'flush_filesystem_caches', 'num_unload_threads',
  'tensorflow_session_parallelism', 'per_process_gpu_memory_fraction',
  'remove_unused_fields_from_bundle_metagraph', 'xla_cpu_compilation_enabled', 'xla_gpu_compilation_enabled',
  'tensorflow_session_config_file', 'platform_config_file', 'mixed_precision', 'prefer_tflite_model', 'use_tflite_model',
  'tflite_num_threads', 'tflite_interpreter_pool_size', 'thread_pool_factory_config_file', 'use_alts_credentials',
  'enable_signature_method_name_check', 'skip_initialize_tpu',
] as const;

/** The startup warnings for the ignored flags that were given. */
export function ignoredFlagWarnings(flags: Readonly<Record<string, unknown>>): string[] {
  return IGNORED_FLAGS.filter((name) => flags[name] !== undefined)
    .map((name) => `--${name} has no effect in inferd (accepted for compatibility with tensorflow_model_server)`);
}

/** Register `serve` on the program. */
export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('Serve models over TensorFlow Serving\'s REST and gRPC APIs and the Open Inference Protocol (gRPC on --port, 8500 by default; --port=0 turns it off)')
    .option('--processes <n>', 'serving processes sharing the ports (node:cluster); 0 = auto: one per two CPU cores (cgroup limit included), at least 1; 1 = one process (inferd extension)', intFlag(0), 0)
    .option('--port <port>', 'gRPC port (TensorFlow Serving API); 0 = no gRPC', portFlag, 8500)
    .option('--rest_api_port <port>', 'REST port; 0 = no REST', portFlag, 0)
    .option('--host <address>', 'interface to bind both ports to (inferd extension)', '0.0.0.0')
    .option('--rest_api_timeout_in_ms <ms>', 'REST request deadline; 0 = none', intFlag(0), 30000)
    .option('--rest_api_enable_cors_support [bool]', 'add CORS headers to /v1 responses', boolFlag, false)
    .option('--rest_api_max_body_bytes <bytes>', 'largest REST request body, after gzip decoding (inferd extension); larger → 413', intFlag(1), 64 * 1024 * 1024)
    .option('--max_request_tensor_bytes <bytes>', 'tensor memory one request may make the server allocate, inputs and outputs each (inferd extension); more → RESOURCE_EXHAUSTED / 413', intFlag(1), DEFAULT_MAX_TENSOR_BYTES)
    .option('--rest_api_header_timeout_ms <ms>', 'time to receive a REST request\'s headers; slower → 408 (inferd extension)', intFlag(1), DEFAULT_REST_TIMEOUTS.headerTimeoutMs)
    .option('--rest_api_body_timeout_ms <ms>', 'time to receive a whole REST request, body included; slower → 408 (inferd extension)', intFlag(1), DEFAULT_REST_TIMEOUTS.bodyTimeoutMs)
    .option('--rest_api_keepalive_timeout_ms <ms>', 'idle REST keep-alive connections close after this (inferd extension)', intFlag(1), DEFAULT_REST_TIMEOUTS.keepAliveTimeoutMs)
    .option('--max_connections <n>', 'open connections per port (REST and gRPC); 0 = no cap (inferd extension)', intFlag(0), DEFAULT_MAX_CONNECTIONS)
    .option('--max_connections_per_client <n>', 'open connections from one client address per port; 0 = no cap (inferd extension)', intFlag(0), DEFAULT_MAX_CONNECTIONS_PER_CLIENT)
    .option('--model_name <name>', 'name of the single model (ignored with --model_config_file); env MODEL_NAME', 'default')
    .option('--model_base_path <path>', 'absolute path of the single model\'s versions; env MODEL_BASE_PATH')
    .option('--model_platform <platform>', 'platform of the single model: tensorflow, onnx (default: detected per version)')
    .option('--model_config_file <path>', 'ModelServerConfig file (text format, .json or .yaml)')
    .option('--model_config_file_poll_wait_seconds <s>', 'seconds between re-reads of --model_config_file (a changed file is reloaded); 0 = read once', intFlag(), 0)
    .option('--allow_version_labels_for_unavailable_models [bool]', 'let a config bind a label that is not bound yet to a version that is not AVAILABLE', boolFlag, false)
    .option('--enable_model_management [bool]', 'serve the operator API on the REST port: POST /v2/repository/index, /v2/repository/models/{m}/load|unload', boolFlag, false)
    .option('--enable_dashboard [bool]', 'serve the web dashboard at /dashboard/ on the REST port (inferd extension)', boolFlag, true)
    .option('--file_system_poll_wait_seconds <s>', 'seconds between polls of model base paths; 0 = poll once', intFlag(), 1)
    .option('--max_num_load_retries <n>', 'retries after a failed version load', intFlag(0), 5)
    .option('--load_retry_interval_micros <us>', 'wait between load retries', intFlag(0), 60_000_000)
    .option('--num_load_threads <n>', 'versions loaded at once; 0 = 1', intFlag(0), 0)
    .option('--saved_model_tags <tags>', 'comma-separated meta graph tags to load from SavedModels', 'serve')
    .option('--saved_model_workers <n>', 'worker threads per loaded SavedModel version; 0 = run on the main thread (inferd extension; default: CPU cores)', intFlag(0))
    .option('--tensorflow_intra_op_parallelism <n>', 'threads one operator may use in a runtime session (ONNX intra-op pool); 0 = 1 per session', intFlag(0), 0)
    .option('--tensorflow_inter_op_parallelism <n>', 'ONNX and TF.js runs of one version executing at once, each on a worker thread with its own session or model (weights once per thread started); 0 = CPU cores', intFlag(0), 0)
    .option('--rest_api_num_threads <n>', 'threads parsing large REST bodies and encoding large answers off the event loop; 0 = none (default: CPU cores)', intFlag(0))
    .option('--allow_unavailable_models_at_startup [bool]', 'start even if some model fails to load (inferd extension; TF Serving exits)', boolFlag, false)
    .option('--grpc_socket_path <path>', 'also serve gRPC on this UNIX socket')
    .option('--grpc_channel_arguments <k=v,...>', 'gRPC channel arguments, e.g. grpc.max_concurrent_streams=100')
    .option('--enable_grpc_healthcheck_service [bool]', 'serve grpc.health.v1.Health', boolFlag, false)
    .option('--enable_serialization_as_tensor_content [bool]', 'gRPC outputs as tensor_content bytes instead of typed *_val fields', boolFlag, false)
    .option('--enable_batching [bool]', 'merge concurrent requests into batched runtime calls', boolFlag, false)
    .option('--batching_parameters_file <path>', 'BatchingParameters (text format); needs --enable_batching')
    .option('--enable_per_model_batching_parameters [bool]', 'read <version>/batching_params.pbtxt when present', boolFlag, false)
    .option('--drain_delay_seconds <s>', 'on SIGTERM/SIGINT: seconds to keep serving while reporting not ready, so load balancers take this replica out first (inferd extension)', intFlag(0), 0)
    .option('--drain_timeout_seconds <s>', 'on SIGTERM/SIGINT: seconds requests in flight get to finish after the ports close (inferd extension; fits Kubernetes\' 30 s grace with the delay)', intFlag(0), 20)
    .option('--monitoring_config_file <path>', 'MonitoringConfig (text format): prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" } serves metrics on the REST port')
    .option('--enable_model_warmup [bool]', 'replay <version>/assets.extra/tf_serving_warmup_requests (TFRecord of PredictionLog) before a version serves', boolFlag, true)
    .option('--num_request_iterations_for_warmup <n>', 'times each warmup record is replayed; 0 = 1', intFlag(0), 0)
    .option('--access_log [bool]', 'one JSON log line per request on stderr (inferd extension)', boolFlag, true)
    .option('--access_log_sample_rate <rate>', 'fraction of successful requests written to the access log, 0..1; failures are always logged (inferd extension)', rateFlag, 1)
    .option('--log_level <level>', 'trace, debug, info, warn, error', 'info');
  addSecurityOptions(cmd);
  for (const name of IGNORED_FLAGS) cmd.addOption(new Option(`--${name} [value]`, 'accepted for compatibility with tensorflow_model_server; no effect in inferd'));
  cmd.action(async (flags: ServeFlags) => {
    if (cluster.isWorker) await runServingProcess(() => serve(flags));
    else await serve(flags);
  });
  return cmd;
}

/** The models named by the flags: `--model_name/--model_base_path`, or MODEL_NAME/MODEL_BASE_PATH as in TF Serving's Docker image. */
export function modelsFromFlags(flags: ServeFlags, env: NodeJS.ProcessEnv): ServedModel[] {
  let name = flags.model_name;
  let base = flags.model_base_path;
  if (base === undefined && (env.MODEL_BASE_PATH !== undefined || env.MODEL_NAME !== undefined)) {
    name = env.MODEL_NAME ?? 'model';
    base = path.join(env.MODEL_BASE_PATH ?? '/models', name);
  }
  if (base === undefined || base === '') {
    throw new Error('Both server_options.model_base_path and server_options.model_config_file are empty!');
  }
  if (!path.isAbsolute(base)) throw new Error(`Expected model ${name} to have an absolute path or URI; got base_path()=${base}`);
  return [{ name, basePath: base, ...(flags.model_platform ? { platform: flags.model_platform } : {}) }];
}

/** Start everything; resolves once listening. Exits the process on fatal startup errors and on SIGINT/SIGTERM. */
export async function serve(flags: ServeFlags): Promise<void> {
  // --processes > 1: this process is the primary (forks and supervises, cluster-primary.ts) or one of the serving
  // processes (cluster-worker.ts); each serving process's thread defaults are its share of the cores.
  const processes = flags.processes > 0 ? flags.processes : autoProcesses();
  const primary = cluster.isWorker ? PrimaryChannel.connect() : undefined;
  const threads = coresPerProcess(processes);
  const log = pino({ level: flags.log_level, base: processes > 1 ? { pid: process.pid } : null }, pino.destination(2));
  for (const warning of ignoredFlagWarnings(flags as unknown as Record<string, unknown>)) log.warn({ flag: warning.split(' ')[0] }, warning);
  if (flags.port !== 0 && flags.port === flags.rest_api_port) fail('server_options.grpc_port and server_options.http_port must be different');
  if (flags.model_management_port !== 0 && !flags.enable_model_management) fail('INVALID_ARGUMENT: --model_management_port requires --enable_model_management');
  // Security files first: a bad certificate or tokens file fails start-up before any model loads.
  let security: SecuritySetup;
  try {
    security = await setupSecurity(flags, log);
  } catch (err) {
    const detail = parseErrorDetail(err);
    if (detail) process.stderr.write(`${detail}\n`);
    fail(err instanceof InferdError ? err.toString() : (err as Error).message);
  }
  let models: ServedModel[];
  const configText = flags.model_config_file ? await readFile(flags.model_config_file, 'utf8').catch(() => undefined) : undefined;
  try {
    models = flags.model_config_file ? await modelsFromConfigFile(flags.model_config_file) : modelsFromFlags(flags, process.env);
    // TF Serving checks a config's labels before its models load: at startup nothing is AVAILABLE yet.
    checkVersionLabels(models.map((m) => ({ name: m.name, versionLabels: m.versionLabels ?? {} })), {
      isAvailable: () => false, isAssigned: () => false, allowUnavailable: flags.allow_version_labels_for_unavailable_models,
    });
  } catch (err) {
    const detail = parseErrorDetail(err);
    if (detail) process.stderr.write(`${detail}\n`);
    fail(err instanceof InferdError ? err.toString() : (err as Error).message);
  }
  let batching: BatchingParameters | undefined;
  if (flags.batching_parameters_file && !flags.enable_batching) fail('INVALID_ARGUMENT: --batching_parameters_file requires --enable_batching');
  if (flags.enable_batching) {
    try {
      batching = flags.batching_parameters_file
        ? await loadBatchingParameters(flags.batching_parameters_file, { defaultNumBatchThreads: threads })
        : defaultBatchingParameters({ defaultNumBatchThreads: threads });
    } catch (err) {
      const detail = parseErrorDetail(err);
      if (detail) process.stderr.write(`${detail}\n`);
      fail(err instanceof InferdError ? err.toString() : (err as Error).message);
    }
  }
  let monitoring: MonitoringConfig = DEFAULT_MONITORING_CONFIG;
  if (flags.monitoring_config_file) {
    try {
      monitoring = await loadMonitoringConfig(flags.monitoring_config_file);
    } catch (err) {
      const detail = parseErrorDetail(err);
      if (detail) process.stderr.write(`${detail}\n`);
      fail(err instanceof InferdError ? err.toString() : (err as Error).message);
    }
  }
  if (processes > 1 && cluster.isPrimary) {
    // Every flag and file checked above, once: now fork the serving processes, which load the models.
    security.close();
    await runPrimary({ processes, log, shutdownBoundMs: (flags.drain_delay_seconds + flags.drain_timeout_seconds) * 1000 + 15_000 });
    return;
  }
  const known = { has: (_name: string): boolean => true };
  const observability = Observability.create({
    log,
    metrics: monitoring.prometheus.enable ? { knownModel: (name) => known.has(name) } : false,
    accessLog: { enabled: flags.access_log, sampleRate: flags.access_log_sample_rate },
    knownModel: (name) => known.has(name),
  });
  const server = await createModelServer({
    models,
    ...(batching
      ? { decorate: batchingDecorator({ parameters: batching, defaultNumBatchThreads: threads, perModel: flags.enable_per_model_batching_parameters, onBatcher: (m, v, b) => observability.onBatcher(m, v, b) }) }
      : {}),
    pollWaitSeconds: flags.file_system_poll_wait_seconds,
    requestLimits: { maxTensorBytes: flags.max_request_tensor_bytes },
    ...(flags.enable_model_warmup ? {
      warmup: {
        replay: predictionLogReplayer(protoTypes()),
        iterations: flags.num_request_iterations_for_warmup,
        onWarmup: (versionPath, status, micros) => observability.onWarmup(versionPath, status, micros),
        onInfo: (message, fields) => log.info(fields, message),
      },
    } : {}),
    allowVersionLabelsForUnavailableModels: flags.allow_version_labels_for_unavailable_models,
    maxLoadRetries: flags.max_num_load_retries,
    loadRetryIntervalMs: flags.load_retry_interval_micros / 1000,
    loadConcurrency: Math.max(1, flags.num_load_threads),
    runtime: {
      intraOpThreads: Math.max(1, flags.tensorflow_intra_op_parallelism),
      interOpThreads: flags.tensorflow_inter_op_parallelism > 0 ? flags.tensorflow_inter_op_parallelism : threads,
      savedModelTags: flags.saved_model_tags.split(',').map((t) => t.trim()).filter(Boolean),
      savedModelWorkers: flags.saved_model_workers ?? threads,
    },
    onTransition: (e) => {
      observability.onTransition(e);
      const fields = { model: e.model, version: e.version, state: e.state, reason: e.reason, ...(e.loadMillis !== undefined ? { loadMillis: e.loadMillis } : {}) };
      if (e.retry && e.error) {
        const { attempt, attempts, nextAttemptAt } = e.retry;
        const at = new Date(nextAttemptAt).toISOString();
        log.warn({ ...fields, error: e.error.toString(), attempt, attempts, nextAttemptAt: at },
          `${e.model} v${e.version}: load attempt ${attempt} of ${attempts} failed: ${e.error.toString()}; next attempt at ${at} (in ${Math.round((nextAttemptAt - Date.now()) / 1000)} s)`);
      } else if (e.error) log.warn({ ...fields, error: e.error.message }, `${e.model} v${e.version} ${e.state}: ${e.reason}`);
      else log.info(fields, `${e.model} v${e.version} ${e.state}: ${e.reason}`);
    },
    onWarning: (message, model) => log.warn({ model, ...(flags.file_system_poll_wait_seconds > 0 ? { pollWaitSeconds: flags.file_system_poll_wait_seconds } : {}) },
      flags.file_system_poll_wait_seconds > 0 ? `${message} (polling again every ${flags.file_system_poll_wait_seconds} s)` : message),
  });
  known.has = (name) => server.manager.status(name).length > 0 || server.modelNames().includes(name);
  // With --allow_unavailable_models_at_startup, a base path that cannot be listed does not hold the ports closed:
  // the model answers NOT_FOUND with the reason until the path appears (the source keeps polling).
  await server.whenSettled({ orUnreachable: flags.allow_unavailable_models_at_startup });
  const unavailable = startupFailures(server);
  if (unavailable.length > 0 && !flags.allow_unavailable_models_at_startup) {
    await server.close();
    fail(notAvailableError(unavailable, 'servable(s)').toString());
  }
  // A replacement serving process first applies the model changes the others applied since start.
  await primary?.attach(server, (change, error) => log.warn({ change: change.method, error: error.toString() }, `replaying ${change.method}: ${error.toString()}`));
  const transports: { name: string; close: (graceMs?: number) => Promise<void> }[] = [];
  const connectionCaps = { maxConnections: flags.max_connections, maxConnectionsPerClient: flags.max_connections_per_client };
  let rest: RestServer | undefined;
  const restHost = flags.rest_api_host ?? flags.host;
  const grpcHost = flags.grpc_host ?? flags.host;
  const onDenied = (denied: object) => log.warn(denied, 'request refused');
  const roots = security.allowedModelRoots;
  // What clients talk to: the server, or with --redact_paths_in_errors a view whose errors name no disk paths.
  // With --processes > 1, model changes go through the primary to every serving process (cluster-worker.ts).
  const shared = primary ? clusterFacade(server, primary) : server;
  const facade = flags.redact_paths_in_errors ? redactingFacade(shared, () => server.models()) : shared;
  const management = flags.enable_model_management
    ? managementPlugin(roots ? restrictModelRoots(facade, roots) : facade, { onChange: (action, model) => log.info({ model, action }, `model management: ${action} ${model}`) })
    : undefined;
  const restSecurity = { ...(security.access ? { access: security.access } : {}), onDenied };
  if (flags.rest_api_port !== 0) {
    rest = await startRestServer(facade, {
      host: restHost,
      ...(security.restTls ? { tls: security.restTls } : {}),
      security: restSecurity,
      port: flags.rest_api_port,
      timeoutMs: flags.rest_api_timeout_in_ms,
      numThreads: flags.rest_api_num_threads ?? threads,
      enableCors: flags.rest_api_enable_cors_support,
      maxBodyBytes: flags.rest_api_max_body_bytes,
      headerTimeoutMs: flags.rest_api_header_timeout_ms,
      bodyTimeoutMs: flags.rest_api_body_timeout_ms,
      keepAliveTimeoutMs: flags.rest_api_keepalive_timeout_ms,
      ...connectionCaps,
      readiness: facade,
      recorder: observability.recorder,
      ...(observability.exporter ? {
        metrics: {
          path: monitoring.prometheus.path,
          exporter: primary && observability.metrics ? clusterExporter(observability.metrics.registry, primary) : observability.exporter,
        },
      } : {}),
      plugins: [
        oipRestPlugin(facade, {
          server: SERVER_INFO, management: management !== undefined && flags.model_management_port === 0,
          timeoutMs: flags.rest_api_timeout_in_ms, maxBodyBytes: flags.rest_api_max_body_bytes, recorder: observability.recorder,
        }),
        ...(management && flags.model_management_port === 0 ? [management] : []),
        ...(flags.enable_dashboard
          ? [dashboardPlugin(server, { stats: (seconds) => observability.live.snapshot(seconds), management: management !== undefined && flags.model_management_port === 0 })]
          : []),
      ],
    });
    transports.push({ name: 'REST', close: (graceMs?: number) => rest?.close(graceMs) ?? Promise.resolve() });
    const restServer = rest;
    security.onRestTls((tls) => restServer.setTls(tls));
    log.info({ port: rest.port, tls: security.restTls !== undefined }, `Exporting HTTP/REST API at:${restHost}:${rest.port} ...`);
  }
  let managementPort = 0;
  if (management && flags.model_management_port !== 0) {
    // The repository API on its own port (loopback by default), with the REST port's TLS and tokens.
    const mgmt = await startRestServer(facade, {
      host: flags.model_management_host, port: flags.model_management_port, servingRoutes: false, plugins: [management],
      security: restSecurity, ...(security.restTls ? { tls: security.restTls } : {}),
    });
    managementPort = mgmt.port;
    transports.push({ name: 'management', close: (graceMs?: number) => mgmt.close(graceMs) });
    security.onRestTls((tls) => mgmt.setTls(tls));
    log.info({ port: mgmt.port }, `Serving the model management API at ${flags.model_management_host}:${mgmt.port} ...`);
  }
  let grpc: GrpcServer | undefined;
  if (flags.port !== 0 || flags.grpc_socket_path) {
    try {
      grpc = await startGrpcServer(facade, {
        host: grpcHost,
        port: flags.port,
        ...(security.grpcTls ? { tls: security.grpcTls } : {}),
        ...(security.access ? { access: security.access, onDenied } : {}),
        ...(flags.grpc_socket_path ? { socketPath: flags.grpc_socket_path } : {}),
        enableHealthCheck: flags.enable_grpc_healthcheck_service,
        recorder: observability.recorder,
        allModelsAvailable: () => server.isReady(),
        tensorContent: flags.enable_serialization_as_tensor_content,
        ...(flags.enable_reload_config_rpc ? {
          reloadConfig: async (config: ModelServerConfig) => {
            if (roots) checkModelRoots(config.models, roots, server.currentConfig());
            log.info({ models: config.models.map((m) => m.name) }, 'HandleReloadConfigRequest: applying a new ModelServerConfig');
            await facade.reloadConfig(config);
          },
        } : {}),
        inference: { server: SERVER_INFO, readiness: facade, ...(flags.enable_model_management && flags.model_management_port === 0 ? { repository: roots ? restrictModelRoots(facade, roots) : facade } : {}) },
        connectionCaps,
        // A message larger than the tensor limit (plus room for non-tensor fields) could never be served: refuse it
        // before grpc-js buffers it. --grpc_channel_arguments may still override this.
        channelArguments: {
          'grpc.max_receive_message_length': Math.min(2 ** 31 - 1, flags.max_request_tensor_bytes + 16 * 1024 * 1024),
          ...(flags.grpc_channel_arguments ? parseChannelArguments(flags.grpc_channel_arguments) : {}),
        },
      });
    } catch (err) {
      for (const t of transports) await t.close().catch(() => undefined);
      await server.close();
      fail((err as Error).message);
    }
    transports.push({ name: 'gRPC', close: (graceMs?: number) => grpc?.close(graceMs) ?? Promise.resolve() });
    const grpcServer = grpc;
    security.onGrpcTls((tls) => grpcServer.setTls(tls));
    log.info({ port: grpc.port, tls: security.grpcTls !== undefined }, `Running gRPC ModelServer at ${grpcHost}:${grpc.port} ...`);
  }
  // Machine-readable line for scripts and tests: which ports are open (with --processes > 1 the primary prints it).
  const ports = { rest_api_port: rest?.port ?? 0, grpc_port: grpc?.port ?? 0, ...(managementPort ? { model_management_port: managementPort } : {}) };
  if (primary) primary.listening(ports);
  else process.stdout.write(`${JSON.stringify({ event: 'listening', ...ports })}\n`);
  const watcher = flags.model_config_file && flags.model_config_file_poll_wait_seconds > 0
    ? ConfigFileWatcher.start({
      path: flags.model_config_file,
      pollWaitSeconds: flags.model_config_file_poll_wait_seconds,
      ...(configText !== undefined ? { initialText: configText } : {}),
      reload: (config) => server.reloadConfig(config),
      onApplied: (config) => log.info({ models: config.models.map((m) => m.name) }, `reloaded ${flags.model_config_file}`),
      onError: (error) => {
        const detail = parseErrorDetail(error);
        // reloadConfig refuses INVALID_ARGUMENT (syntax, platform, poll wait) before it changes anything; UNKNOWN (a model
        // did not become available) and FAILED_PRECONDITION (the label rule) come after its model changes were applied.
        const applied = error.code === 'UNKNOWN' || error.code === 'FAILED_PRECONDITION';
        log.error({ error: error.toString(), ...(detail ? { detail } : {}) }, applied
          ? `model changes applied, labels kept as they were: ${error.toString()}`
          : `keeping the previous config: ${error.toString()}`);
      },
    })
    : undefined;
  installShutdown({
    log,
    startDraining: () => server.startDraining(),
    ...(rest ? { restStartDraining: () => rest?.startDraining() } : {}),
    transports: transports.map((t) => ({ name: t.name, close: (graceMs: number) => t.close(graceMs) })),
    closeServer: async () => {
      // Stop polling; a reload in progress ends when server.close() aborts its loads.
      void watcher?.close();
      security.close();
      await server.close();
    },
    drainDelayMs: flags.drain_delay_seconds * 1000,
    drainTimeoutMs: flags.drain_timeout_seconds * 1000,
    ...(primary ? { stopRequests: primary } : {}),
  });
}

async function modelsFromConfigFile(file: string): Promise<ServedModel[]> {
  const config = await loadModelServerConfig(file);
  return config.models.map((m) => ({
    name: m.name,
    basePath: m.basePath,
    ...(m.platform !== undefined ? { platform: m.platform } : {}),
    versionPolicy: m.versionPolicy,
    versionLabels: m.versionLabels,
  }));
}

function startupFailures(server: ModelServer): { name: string; version: number; error: string }[] {
  const out: { name: string; version: number; error: string }[] = [];
  for (const name of server.modelNames()) {
    const statuses = server.manager.status(name);
    if (statuses.some((s) => s.state === 'AVAILABLE')) continue;
    const failed = statuses.find((s) => s.error);
    if (failed?.error) out.push({ name, version: failed.version, error: failed.error.toString() });
  }
  return out;
}

function fail(message: string): never {
  const text = `Failed to start server. Error: ${message}\n`;
  if (cluster.isWorker) throw new StartupFailure(text); // the primary prints it, once
  process.stderr.write(text);
  process.exit(1);
}
