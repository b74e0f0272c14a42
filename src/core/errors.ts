/**
 * The one error catalog of inferd. Every failure that reaches a client is an InferdError carrying a canonical
 * status code (the gRPC / tensorflow.error.Code set). Transports map codes to their own statuses in exactly one
 * table each (api/rest/status.ts, api/grpc/status.ts); core never sees an HTTP status.
 */

/** Canonical status codes with their numeric values (google.rpc.Code == tensorflow.error.Code). */
export const CODE = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A canonical status code name. */
export type Code = keyof typeof CODE;

/** The code name for a numeric code (unknown numbers become UNKNOWN). */
export function codeName(n: number): Code {
  const found = (Object.entries(CODE) as [Code, number][]).find(([, v]) => v === n);
  return found ? found[0] : 'UNKNOWN';
}

/** An error with a canonical code. `message` is what clients see, without a code prefix. */
export class InferdError extends Error {
  override readonly name = 'InferdError';

  constructor(
    readonly code: Exclude<Code, 'OK'>,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** `CODE: message`, the way TensorFlow prints a Status. */
  override toString(): string {
    return `${this.code}: ${this.message}`;
  }

  /** A malformed or unacceptable request. */
  static invalidArgument(message: string): InferdError {
    return new InferdError('INVALID_ARGUMENT', message);
  }
  /** A model, version, signature or route that does not exist. */
  static notFound(message: string): InferdError {
    return new InferdError('NOT_FOUND', message);
  }
  /** The system is not in a state that allows the operation. */
  static failedPrecondition(message: string): InferdError {
    return new InferdError('FAILED_PRECONDITION', message);
  }
  /** A feature that inferd (or this runtime) does not provide. */
  static unimplemented(message: string): InferdError {
    return new InferdError('UNIMPLEMENTED', message);
  }
  /** A temporary condition: retrying later may succeed. */
  static unavailable(message: string): InferdError {
    return new InferdError('UNAVAILABLE', message);
  }
  /** A queue or quota is full. */
  static resourceExhausted(message: string): InferdError {
    return new InferdError('RESOURCE_EXHAUSTED', message);
  }
  /** The deadline passed before the work finished. */
  static deadlineExceeded(message = 'Deadline exceeded'): InferdError {
    return new InferdError('DEADLINE_EXCEEDED', message);
  }
  /** The caller went away or cancelled. */
  static cancelled(message = 'Request cancelled'): InferdError {
    return new InferdError('CANCELLED', message);
  }
  /** A bug or an unexpected runtime failure. */
  static internal(message: string, cause?: unknown): InferdError {
    return new InferdError('INTERNAL', message, cause === undefined ? undefined : { cause });
  }
}

/** Wrap anything thrown into an InferdError (non-InferdErrors become `fallback`, default INTERNAL). */
export function toInferdError(err: unknown, fallback: Exclude<Code, 'OK'> = 'INTERNAL'): InferdError {
  if (err instanceof InferdError) return err;
  if (err instanceof Error) return new InferdError(fallback, err.message, { cause: err });
  return new InferdError(fallback, String(err));
}

/** Throw CANCELLED/DEADLINE_EXCEEDED if the signal is aborted; the abort reason wins when it is an InferdError. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  if (reason instanceof InferdError) throw reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') throw InferdError.deadlineExceeded();
  throw InferdError.cancelled();
}

/**
 * Settle with `work`, or reject with throwIfAborted's error as soon as `signal` aborts. The work itself goes on
 * (its owner tracks it, e.g. to let close() wait for it); only the caller stops waiting.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      try {
        throwIfAborted(signal);
      } catch (err) {
        reject(err);
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
