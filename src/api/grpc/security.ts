/**
 * The gRPC port's security: TLS credentials that can be replaced while serving (certificate rotation), and the
 * authentication interceptor that runs the one access check (server/security/tokens.ts) on every call of every
 * service — TensorFlow Serving's, the Open Inference Protocol's, health, reflection — before its handler runs.
 * The token comes from the `authorization` metadata (`Bearer <token>`), as gRPC's own token credentials send it.
 */
import {
  Metadata, ServerCredentials, ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor,
} from '@grpc/grpc-js';
import { InferdError } from '../../core/errors.ts';
import type { AccessCheck, RouteScope } from '../../server/security/tokens.ts';
import { GRPC_STATUS } from './status.ts';

/** TLS settings of the gRPC port: PEM text (SSLConfig's fields). */
export interface GrpcTlsOptions {
  readonly key: string;
  readonly cert: string;
  /** CAs that sign accepted client certificates; undefined = the system's roots. */
  readonly ca?: string;
  /** `client_verify`: require a client certificate signed by `ca` (mutual TLS). */
  readonly clientVerify: boolean;
}

/**
 * Server credentials whose key and certificates can be replaced (`update`) for new connections. grpc-js watches
 * its ServerCredentials for secure-context updates; this is the documented hook (updateSecureContextOptions).
 */
export class RotatingServerCredentials extends ServerCredentials {
  constructor(tls: GrpcTlsOptions) {
    super({ requestCert: tls.clientVerify, rejectUnauthorized: tls.clientVerify }, contextOptions(tls));
  }

  /** Use `tls` for connections accepted from now on (client_verify cannot change without a restart). */
  update(tls: GrpcTlsOptions): void {
    this.updateSecureContextOptions(contextOptions(tls));
  }

  /** @inheritdoc */
  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

function contextOptions(tls: GrpcTlsOptions): { key: string; cert: string; ca?: string } {
  return { key: tls.key, cert: tls.cert, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) };
}

/**
 * The scope a gRPC method needs, by its full path `/<package>.<Service>/<Method>`: health checks and the Open
 * Inference Protocol's ServerLive/ServerReady are public (probes); HandleReloadConfigRequest and OIP's Repository*
 * need `admin`; every other method of PredictionService, ModelService, GRPCInferenceService and reflection needs
 * `predict`; unknown services need `admin`.
 */
export function grpcMethodScope(methodPath: string): RouteScope {
  const [, service = '', method = ''] = methodPath.split('/');
  if (service === 'grpc.health.v1.Health') return 'public';
  if (service === 'inference.GRPCInferenceService') {
    if (method === 'ServerLive' || method === 'ServerReady') return 'public';
    return method.startsWith('Repository') ? 'admin' : 'predict';
  }
  if (service === 'tensorflow.serving.ModelService') return method === 'HandleReloadConfigRequest' ? 'admin' : 'predict';
  if (service === 'tensorflow.serving.PredictionService') return 'predict';
  if (service.startsWith('grpc.reflection.')) return 'predict';
  return 'admin';
}

/** A refused call, for logs (never the token). */
export interface DeniedCall {
  readonly method: string;
  readonly scope: RouteScope;
  readonly code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'INTERNAL';
  readonly reason: string;
  readonly peer: string;
}

/** The interceptor: checks the call's metadata before the handler sees it; refusals end the call with the status. */
export function authInterceptor(access: AccessCheck, onDenied?: (denied: DeniedCall) => void): ServerInterceptor {
  return (descriptor, call) => {
    const scope = grpcMethodScope(descriptor.path);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, passOn) => {
            const value = metadata.get('authorization')[0];
            try {
              access.authorize(typeof value === 'string' ? value : value?.toString('utf8'), scope);
            } catch (err) {
              const e = err instanceof InferdError ? err : InferdError.internal(String(err));
              const code = e.code === 'UNAUTHENTICATED' || e.code === 'PERMISSION_DENIED' ? e.code : 'INTERNAL';
              onDenied?.({ method: descriptor.path, scope, code, reason: e.message, peer: call.getPeer() });
              call.sendStatus({ code: GRPC_STATUS[code] ?? GrpcStatus.INTERNAL, details: e.message, metadata: new Metadata() });
              return;
            }
            // Handlers never see the token (nothing downstream can log it).
            metadata.remove('authorization');
            passOn(metadata);
          },
        });
      },
    });
  };
}
