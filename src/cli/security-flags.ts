/**
 * `serve`'s security flags (docs/security.md): TLS for each port (TensorFlow Serving's `--ssl_config_file` for gRPC,
 * `--rest_api_ssl_config_file` for REST), bearer tokens (`--auth_tokens_file`), bind address per port, the reload-RPC
 * switch, `--allowed_model_roots`, the management port and `--redact_paths_in_errors`. setupSecurity reads the files once (a bad file fails start-up) and keeps them
 * current: a changed file is re-read, validated and put in force for new connections and requests.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadSslConfig, type TlsMaterial } from '../server/config/ssl-config.ts';
import { parseAllowedRoots } from '../server/security/model-roots.ts';
import { loadTokens, TokenAuthenticator } from '../server/security/tokens.ts';
import { WatchedFiles } from '../server/security/watched-files.ts';
import { boolFlag, intFlag, portFlag } from './flags.ts';

/** The parsed security flags (names as on the command line). */
export interface SecurityFlags {
  ssl_config_file?: string;
  rest_api_ssl_config_file?: string;
  auth_tokens_file?: string;
  allow_unauthenticated_metrics: boolean;
  security_files_poll_wait_seconds: number;
  rest_api_host?: string;
  grpc_host?: string;
  enable_reload_config_rpc: boolean;
  allowed_model_roots?: string;
  model_management_port: number;
  model_management_host: string;
  redact_paths_in_errors: boolean;
}

/** Register the security flags on `serve`. */
export function addSecurityOptions(cmd: Command): Command {
  return cmd
    .option('--ssl_config_file <path>', 'TLS for gRPC: SSLConfig (server_key, server_cert, custom_ca, client_verify) in text format')
    .option('--rest_api_ssl_config_file <path>', 'HTTPS for REST: an SSLConfig file as for --ssl_config_file (inferd extension)')
    .option('--auth_tokens_file <path>', 'require bearer tokens: lines "<scopes> <token> [<name>]", scopes predict, metrics, admin (inferd extension; default: no authentication)')
    .option('--allow_unauthenticated_metrics [bool]', 'with --auth_tokens_file, serve the metrics endpoint without a token', boolFlag, false)
    .option('--security_files_poll_wait_seconds <s>', 'seconds between checks of the SSL config, PEM and tokens files for changes; 0 = read once', intFlag(0), 10)
    .option('--rest_api_host <address>', 'interface to bind the REST port to (default: --host)')
    .option('--grpc_host <address>', 'interface to bind the gRPC port to (default: --host)')
    .option('--enable_reload_config_rpc [bool]', 'serve ModelService.HandleReloadConfigRequest (TF Serving always does); false → UNIMPLEMENTED', boolFlag, true)
    .option('--model_management_port <port>', 'with --enable_model_management: serve the repository API on this port instead of the REST port; 0 = on the REST port', portFlag, 0)
    .option('--model_management_host <address>', 'interface to bind --model_management_port to', '127.0.0.1')
    .option('--redact_paths_in_errors [bool]', 'errors and statuses sent to clients name no disk paths (a model\'s base path becomes <name>); default keeps TF Serving\'s texts', boolFlag, false)
    .option('--allowed_model_roots <paths>', 'comma-separated absolute paths (or URI prefixes) that the reload RPC and the repository API may load models from (default: anywhere)');
}

/** What the transports need, and the watchers to close at shutdown. */
export interface SecuritySetup {
  readonly restTls?: TlsMaterial;
  readonly grpcTls?: TlsMaterial;
  readonly access?: TokenAuthenticator;
  readonly allowedModelRoots?: readonly string[];
  /** Route rotated REST certificates here once a REST server (the REST port, the management port) runs. */
  onRestTls(apply: (tls: TlsMaterial) => void): void;
  /** Route rotated gRPC certificates here once the gRPC server runs. */
  onGrpcTls(apply: (tls: TlsMaterial) => void): void;
  close(): void;
}

/** Read the security files (throws a clear InferdError on a bad one) and start watching them. */
export async function setupSecurity(flags: SecurityFlags, log: Logger): Promise<SecuritySetup> {
  const poll = flags.security_files_poll_wait_seconds;
  const watchers: { close(): void }[] = [];
  const appliers: Record<'rest' | 'grpc', ((tls: TlsMaterial) => void)[]> = { rest: [], grpc: [] };
  const closeAll = () => {
    for (const w of watchers) w.close();
  };
  try {
    const tlsWatch = async (file: string, port: 'rest' | 'grpc') => {
      const watched = await WatchedFiles.start({
        load: async () => {
          const value = await loadSslConfig(file);
          return { value, files: value.files };
        },
        pollWaitSeconds: poll,
        onChange: (tls) => {
          if (tls.clientVerify !== watched.value.clientVerify) log.warn({ file }, 'client_verify changed: it takes effect after a restart; the new certificates are in force');
          for (const apply of appliers[port]) apply(tls);
          log.info({ file }, `${port === 'rest' ? 'REST' : 'gRPC'} TLS certificates reloaded`);
        },
        onError: (error) => log.error({ file, error: error.message }, `keeping the previous ${port === 'rest' ? 'REST' : 'gRPC'} TLS certificates: ${error.message}`),
      });
      watchers.push(watched);
      return watched.value;
    };
    const grpcTls = flags.ssl_config_file ? await tlsWatch(flags.ssl_config_file, 'grpc') : undefined;
    const restTls = flags.rest_api_ssl_config_file ? await tlsWatch(flags.rest_api_ssl_config_file, 'rest') : undefined;
    let access: TokenAuthenticator | undefined;
    if (flags.auth_tokens_file) {
      const file = flags.auth_tokens_file;
      const watched = await WatchedFiles.start({
        load: () => loadTokens(file),
        pollWaitSeconds: poll,
        onChange: (entries) => {
          access?.replace(entries);
          log.info({ file, tokens: entries.length }, `auth tokens reloaded: ${entries.length} token(s)`);
        },
        onError: (error) => log.error({ file, error: error.message }, `keeping the previous auth tokens: ${error.message}`),
      });
      watchers.push(watched);
      access = new TokenAuthenticator(watched.value, { openMetrics: flags.allow_unauthenticated_metrics });
      log.info({ file, tokens: access.size }, `authentication on: ${access.size} token(s)`);
    }
    const allowedModelRoots = flags.allowed_model_roots !== undefined ? parseAllowedRoots(flags.allowed_model_roots) : undefined;
    return {
      ...(restTls ? { restTls } : {}),
      ...(grpcTls ? { grpcTls } : {}),
      ...(access ? { access } : {}),
      ...(allowedModelRoots ? { allowedModelRoots } : {}),
      onRestTls: (apply) => {
        appliers.rest.push(apply);
      },
      onGrpcTls: (apply) => {
        appliers.grpc.push(apply);
      },
      close: closeAll,
    };
  } catch (err) {
    closeAll();
    throw err;
  }
}
