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

/** A grpc-js unary handler running `impl` with a signal tied to the call's cancellation and deadline. */
export function unary<Req, Res>(impl: UnaryImpl<Req, Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const controller = new AbortController();
    const left = msToDeadline(call);
    const expire = (): void => controller.abort(InferdError.deadlineExceeded());
    const timer = left === undefined ? undefined : setTimeout(expire, Math.max(0, left));
    const onCancelled = (): void => {
      // A client whose deadline passes resets the stream at its own clock, a little before ours: a cancel that
      // close to the deadline is the deadline.
      const rest = msToDeadline(call);
      controller.abort(rest !== undefined && rest <= DEADLINE_SLACK_MS ? InferdError.deadlineExceeded() : InferdError.cancelled());
    };
    call.once('cancelled', onCancelled);
    const done = (): void => {
      if (timer) clearTimeout(timer);
      call.off('cancelled', onCancelled);
    };
    let run: Promise<Res>;
    try {
      run = impl(call.request, controller.signal);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (response) => {
        done();
        if (controller.signal.aborted) callback(toGrpcError(controller.signal.reason));
        else callback(null, response);
      },
      (err: unknown) => {
        done();
        callback(toGrpcError(controller.signal.aborted ? controller.signal.reason : err));
      },
    );
  };
}
