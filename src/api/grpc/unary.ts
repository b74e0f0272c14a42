/**
 * Adapts `(request, signal) => Promise<response>` to a grpc-js unary handler. The AbortSignal aborts when the
 * client cancels or its deadline passes (reason: InferdError DEADLINE_EXCEEDED or CANCELLED), so the facade, the
 * batcher and the runtime can stop work nobody waits for. Errors map through status.ts.
 */
import { Metadata, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import { type Code, InferdError, toInferdError } from '../../core/errors.ts';
import type { RequestKind, RequestRecorder, RunStats } from '../../core/request-outcome.ts';
import { requestIdentity } from '../request-id.ts';
import { REQUEST_SIGNALS } from '../request-signal.ts';
import { toGrpcError } from './status.ts';
import { wireSize } from './wire-size.ts';

/** What a handler learns while serving a call, for its outcome report (handlers fill what they know). */
export interface CallNotes {
  version?: number;
  signature?: string;
  examples?: number;
  run?: RunStats;
}

/**
 * A unary RPC body: resolves with the response message or throws (InferdError preferred). `notes` collects the
 * served version, signature and run stats for metrics and the access log.
 */
export type UnaryImpl<Req, Res> = (request: Req, signal: AbortSignal, notes: CallNotes) => Promise<Res>;

/** How one RPC's calls are reported: TF Serving's API label, the kind, and the recorder. */
export interface UnaryObservation {
  readonly recorder: RequestRecorder;
  /** RPC name (TF Serving's `API` label for gRPC: `Predict`, `Classify`, ...). */
  readonly api: string;
  readonly kind: RequestKind;
  /** The model a request names, for labels and in-flight gauges. Default: TF Serving's `model_spec` (tfServingModelOf). */
  readonly modelOf?: (request: unknown) => string | undefined;
}

/** The model a TF Serving request names (`model_spec.name`, or the first MultiInference task's). */
export function tfServingModelOf(request: unknown): string | undefined {
  const r = request as { model_spec?: { name?: string } | null; tasks?: { model_spec?: { name?: string } | null }[] } | null;
  return r?.model_spec?.name ?? r?.tasks?.[0]?.model_spec?.name ?? undefined;
}

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
 * `__name()` call (an Object.defineProperty per call), measurable on the hot path. The call's AbortController
 * comes from the shared pool (../request-signal.ts) and goes back once the call is answered.
 */
export function unary<Req, Res>(impl: UnaryImpl<Req, Res>, observe?: UnaryObservation): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = observe ? performance.now() : 0;
    const controller = REQUEST_SIGNALS.take();
    const left = msToDeadline(call);
    const timer = left === undefined ? undefined : setTimeout(() => controller.abort(InferdError.deadlineExceeded()), Math.max(0, left));
    const onCancelled = (): void => {
      // A client whose deadline passes resets the stream at its own clock, a little before ours: a cancel that
      // close to the deadline is the deadline.
      const rest = msToDeadline(call);
      controller.abort(rest !== undefined && rest <= DEADLINE_SLACK_MS ? InferdError.deadlineExceeded() : InferdError.cancelled());
    };
    call.once('cancelled', onCancelled);
    // Once answered, the call's signal goes back to the pool (unless it aborted or work still listens to it).
    const settled = (): void => {
      if (timer) clearTimeout(timer);
      call.off('cancelled', onCancelled);
      REQUEST_SIGNALS.give(controller);
    };
    const signal = controller.signal;
    const notes: CallNotes = {};
    let report: ((code: Code, response: unknown, error?: string) => void) | undefined;
    if (observe) {
      const model = (observe.modelOf ?? tfServingModelOf)(call.request);
      const identity = requestIdentity(call.metadata.get('x-request-id').map(String), call.metadata.get('traceparent').map(String));
      const echo = new Metadata();
      echo.set('x-request-id', identity.requestId);
      if (identity.traceparent !== undefined) echo.set('traceparent', identity.traceparent);
      call.sendMetadata(echo);
      const done = model !== undefined ? observe.recorder.started('GRPC', model) : undefined;
      report = (code, response, error) => {
        done?.();
        observe.recorder.finished({
          entrypoint: 'GRPC', api: observe.api, kind: observe.kind, code, latencyMicros: (performance.now() - started) * 1000,
          requestBytes: wireSize(call.request), responseBytes: response === undefined ? 0 : wireSize(response),
          requestId: identity.requestId,
          ...(model !== undefined ? { model } : {}),
          ...(notes.version !== undefined ? { version: notes.version } : {}),
          ...(notes.signature !== undefined ? { signature: notes.signature } : {}),
          ...(notes.examples !== undefined ? { examples: notes.examples } : {}),
          ...(notes.run !== undefined ? { runMicros: notes.run.runMicros } : {}),
          ...(notes.run?.batchSize !== undefined ? { batchSize: notes.run.batchSize } : {}),
          ...(error !== undefined ? { error } : {}),
        });
      };
    }
    let run: Promise<Res>;
    try {
      run = impl(call.request, signal, notes);
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (response) => {
        if (signal.aborted) {
          const error = toInferdError(signal.reason);
          settled();
          callback(toGrpcError(error));
          report?.(error.code, undefined, error.message);
        } else {
          settled();
          callback(null, response);
          report?.('OK', response);
        }
      },
      (err: unknown) => {
        const error = toInferdError(signal.aborted ? signal.reason : err);
        settled();
        callback(toGrpcError(error));
        report?.(error.code, undefined, error.message);
      },
    );
  };
}
