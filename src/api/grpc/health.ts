/**
 * grpc.health.v1.Health (proto/grpc/health/v1/health.proto). The two TensorFlow Serving services are SERVING
 * whenever the server runs (full names, and the short `ModelService` / `PredictionService` TF Serving registers);
 * the empty name (the server as a whole) is SERVING only while `allModelsAvailable()` says so (serve passes the
 * server's readiness: every configured model has an AVAILABLE version and the server is not draining). Unknown names:
 * Check → NOT_FOUND, Watch → SERVICE_UNKNOWN. Watch streams re-check once a second and end on close().
 */
import type { handleServerStreamingCall, handleUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { InferdError } from '../../core/errors.ts';
import { toGrpcError } from './status.ts';

/** HealthCheckResponse.ServingStatus numbers. */
export const SERVING_STATUS = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;

/** Service names reported SERVING. */
export const HEALTH_SERVICES: readonly string[] = [
  'tensorflow.serving.ModelService', 'tensorflow.serving.PredictionService', 'ModelService', 'PredictionService',
];

interface HealthRequest { service?: string }
interface HealthResponse { status: number }

/** The Health service implementation, plus close() to end open Watch streams. */
export interface HealthService {
  readonly Check: handleUnaryCall<HealthRequest, HealthResponse>;
  readonly Watch: handleServerStreamingCall<HealthRequest, HealthResponse>;
  close(): void;
}

/** Build the Health handlers; `allModelsAvailable` decides the status of "" (default: always SERVING). */
export function healthService(allModelsAvailable: () => boolean = () => true, pollMs = 1000): HealthService {
  const watchers = new Set<ServerWritableStream<HealthRequest, HealthResponse>>();
  let closed = false;
  const statusOf = (service: string): number | undefined => {
    if (closed) return SERVING_STATUS.NOT_SERVING;
    if (service === '') return allModelsAvailable() ? SERVING_STATUS.SERVING : SERVING_STATUS.NOT_SERVING;
    return HEALTH_SERVICES.includes(service) ? SERVING_STATUS.SERVING : undefined;
  };
  return {
    Check(call, callback) {
      const status = statusOf(call.request.service ?? '');
      if (status === undefined) callback(toGrpcError(InferdError.notFound(`Unknown service: ${call.request.service ?? ''}`)));
      else callback(null, { status });
    },
    Watch(call) {
      const service = call.request.service ?? '';
      let last = -1;
      const tick = (): void => {
        const status = statusOf(service) ?? SERVING_STATUS.SERVICE_UNKNOWN;
        if (status !== last) call.write({ status });
        last = status;
      };
      tick();
      const timer = setInterval(tick, pollMs);
      watchers.add(call);
      const stop = (): void => {
        clearInterval(timer);
        watchers.delete(call);
      };
      call.once('cancelled', stop);
      call.once('finish', stop);
    },
    close() {
      closed = true;
      for (const call of [...watchers]) {
        call.write({ status: SERVING_STATUS.NOT_SERVING });
        call.end();
      }
    },
  };
}
