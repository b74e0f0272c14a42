/**
 * Request ids for access logs and tracing, shared by the REST and gRPC transports: an incoming `x-request-id` is
 * kept (printable ASCII, at most 128 characters), else the trace id of a valid W3C `traceparent`
 * (https://www.w3.org/TR/trace-context/#traceparent-header), else a random UUID. Transports echo `x-request-id`
 * (and a valid `traceparent`, unchanged) on the answer.
 */

/** The id of one request, and the traceparent to echo (undefined when absent or invalid). */
export interface RequestIdentity {
  readonly requestId: string;
  readonly traceparent?: string;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Pick the request id from the incoming header values (first value of a repeated header). */
export function requestIdentity(xRequestId: string | string[] | undefined, traceparent: string | string[] | undefined): RequestIdentity {
  const tp = first(traceparent)?.trim().toLowerCase();
  const m = tp !== undefined ? TRACEPARENT.exec(tp) : null;
  // Version ff and all-zero ids are invalid per the spec.
  const validTrace = m !== null && m[1] !== 'ff' && !/^0+$/.test(m[2] ?? '') && !/^0+$/.test(m[3] ?? '');
  const given = first(xRequestId)?.trim();
  const requestId = given !== undefined && REQUEST_ID.test(given) ? given : validTrace ? (m?.[2] as string) : globalThis.crypto.randomUUID();
  return { requestId, ...(validTrace && tp !== undefined ? { traceparent: tp } : {}) };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
