/** Errors the client raises: the server's canonical code and message, and whether a retry may help. */
import { type Code, InferdError } from '../core/errors.ts';

/** HTTP status → canonical code (the inverse of the server's table, for what a REST answer can say). */
const CODE_OF_STATUS: Record<number, Exclude<Code, 'OK'>> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  412: 'FAILED_PRECONDITION', 413: 'RESOURCE_EXHAUSTED', 429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL',
  501: 'UNIMPLEMENTED', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

/** An InferdError for a REST answer with `status` and body text (`{"error": "…"}` when the server sent one). */
export function errorOfHttp(status: number, text: string): InferdError {
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // not JSON: keep the text
  }
  return new InferdError(CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'UNKNOWN'), message || `HTTP ${status}`);
}

/**
 * The UNAVAILABLE InferdError for a request that got no HTTP answer (refused, reset, TLS or DNS failure), naming
 * `what` and the underlying reason (fetch's own message is only "fetch failed"); `cause` keeps the original error.
 */
export function connectionError(what: string, err: unknown): InferdError {
  const cause = (err as { cause?: unknown }).cause ?? err;
  const reason = cause instanceof Error ? `${(cause as { code?: string }).code ? `${(cause as { code?: string }).code}: ` : ''}${cause.message}` : String(cause);
  return new InferdError('UNAVAILABLE', `${what}: no answer from the server (${reason})`, { cause: err });
}

/** True when retrying may succeed: the server said UNAVAILABLE, or the connection failed before an answer. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof InferdError && err.cause === undefined) return err.code === 'UNAVAILABLE';
  if (err instanceof InferdError) return isRetryable(err.cause);
  const code = (err as { cause?: { code?: string }; code?: string }).cause?.code ?? (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

/** Run `attempt` with retries on retryable errors, backing off exponentially; aborts stop waiting at once. */
export async function withRetries<T>(attempt: () => Promise<T>, retries: number, delayMs: number, signal?: AbortSignal): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= retries || !isRetryable(err) || signal?.aborted) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** i));
    }
  }
}
