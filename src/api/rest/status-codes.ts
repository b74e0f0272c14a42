/** The one table from canonical codes to HTTP statuses (shared/reference/tfserving-api.md §1.7). */
import type { Code, InferdError } from '../../core/errors.ts';
import { LimitExceededError } from '../../core/limits.ts';

const HTTP_STATUS: Readonly<Record<Code, number>> = {
  OK: 200, CANCELLED: 499, UNKNOWN: 500, INVALID_ARGUMENT: 400, DEADLINE_EXCEEDED: 504, NOT_FOUND: 404,
  ALREADY_EXISTS: 409, PERMISSION_DENIED: 403, RESOURCE_EXHAUSTED: 429, FAILED_PRECONDITION: 400, ABORTED: 409,
  OUT_OF_RANGE: 400, UNIMPLEMENTED: 501, INTERNAL: 500, UNAVAILABLE: 503, DATA_LOSS: 500, UNAUTHENTICATED: 401,
};

/**
 * HTTP status for an error: 413 Content Too Large for a request limit (core/limits.ts, the body limits), which
 * retrying cannot fix; else the code's row of the table.
 */
export function httpStatusOf(error: InferdError): number {
  return error instanceof LimitExceededError ? 413 : httpStatus(error.code);
}

/** HTTP status for a canonical code (unknown → 500). */
export function httpStatus(code: Code): number {
  return HTTP_STATUS[code] ?? 500;
}
