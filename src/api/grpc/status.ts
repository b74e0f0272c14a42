/**
 * The one table from inferd's canonical codes to gRPC status codes, and the message rule of TensorFlow Serving's
 * gRPC front end (messages longer than 1024 characters are cut and marked `...TRUNCATED`).
 */
import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';
import { toInferdError, type Code } from '../../core/errors.ts';

/** InferdError code → gRPC status. The canonical codes are gRPC's own, so the mapping is one to one. */
export const GRPC_STATUS: Readonly<Record<Exclude<Code, 'OK'>, GrpcStatus>> = {
  CANCELLED: GrpcStatus.CANCELLED,
  UNKNOWN: GrpcStatus.UNKNOWN,
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  ABORTED: GrpcStatus.ABORTED,
  OUT_OF_RANGE: GrpcStatus.OUT_OF_RANGE,
  UNIMPLEMENTED: GrpcStatus.UNIMPLEMENTED,
  INTERNAL: GrpcStatus.INTERNAL,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DATA_LOSS: GrpcStatus.DATA_LOSS,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
};

/** Longest message sent as is (TensorFlow Serving's kErrorMessageLimit). */
export const MESSAGE_LIMIT = 1024;

/** The message as sent: at most 1024 characters, longer ones cut and suffixed `...TRUNCATED`. */
export function truncateMessage(message: string): string {
  return message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT)}...TRUNCATED` : message;
}

/** A gRPC error (code, details, empty metadata) for anything thrown; non-InferdErrors become INTERNAL. */
export function toGrpcError(err: unknown): ServiceError {
  const e = toInferdError(err);
  const details = truncateMessage(e.message);
  return Object.assign(new Error(details), {
    code: GRPC_STATUS[e.code],
    details,
    metadata: new Metadata(),
  });
}
