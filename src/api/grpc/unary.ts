/**
 * Adapts `(request, signal) => Promise<response>` to a grpc-js unary handler. The AbortSignal aborts when the
 * client cancels or its deadline passes (reason: InferdError DEADLINE_EXCEEDED or CANCELLED), so the facade, the
 * batcher and the runtime can stop work nobody waits for. Errors map through status.ts.
 */
import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import { InferdError } from '../../core/errors.ts';
import { toGrpcError } from './status.ts';

/** A unary RPC body: resolves with the response message or throws (InferdError preferred). */
export type UnaryImpl<Req, Res> = (request: Req, signal: AbortSignal) => Promise<Res>;

/** A cancel arriving this close to the call's deadline counts as DEADLINE_EXCEEDED (client/server clock skew). */
const DEADLINE_SLACK_MS = 250;

/** Milliseconds until the call's deadline, or undefined when it has none. */
function msToDeadline(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const d = call.getDeadline();
  const at = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(at) ? at - Date.now() : undefined;
}

/**
 * A grpc-js unary handler running `impl` with a signal tied to the call's cancellation and deadline.
 * Per-call closures are inline and anonymous on purpose: tsx/esbuild wraps every named function expression in a
 * `__name()` call (an Object.defineProperty per call), measurable on the hot path. The 'cancelled' listener is
 * left on the finished call (grpc-js drops the call object; aborting a settled request is a no-op).
 */
export function unary<Req, Res>(impl: UnaryImpl<Req, Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const controller = new AbortController();
    const left = msToDeadline(call);
    const timer = left === undefined ? undefined : setTimeout(() => controller.abort(InferdError.deadlineExceeded()), Math.max(0, left));
    call.once('cancelled', () => {
      // A client whose deadline passes resets the stream at its own clock, a little before ours: a cancel that
      // close to the deadline is the deadline.
      const rest = msToDeadline(call);
      controller.abort(rest !== undefined && rest <= DEADLINE_SLACK_MS ? InferdError.deadlineExceeded() : InferdError.cancelled());
    });
    const signal = controller.signal;
    let run: Promise<Res>;
    try {
      run = impl(call.request, signal);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (response) => {
        if (timer) clearTimeout(timer);
        if (signal.aborted) callback(toGrpcError(signal.reason));
        else callback(null, response);
      },
      (err: unknown) => {
        if (timer) clearTimeout(timer);
        callback(toGrpcError(signal.aborted ? signal.reason : err));
      },
    );
  };
}
