/**
 * Encoded sizes of gRPC messages, for metrics and access logs: the service definition's (de)serializers remember
 * each message's byte length here, keyed by the decoded/encoded object, and the unary wrapper reads it once the
 * call ends. grpc-js serializes a unary response synchronously inside the handler's callback, so the size is
 * known when the outcome is reported. Weak keys: nothing is kept alive.
 */
const sizes = new WeakMap<object, number>();

/** Remember that `message` is `bytes` long on the wire. */
export function rememberWireSize(message: unknown, bytes: number): void {
  if (typeof message === 'object' && message !== null) sizes.set(message, bytes);
}

/** The wire size of a message: its length when it is already bytes, else the size remembered for it (0 if none). */
export function wireSize(message: unknown): number {
  if (message instanceof Uint8Array) return message.byteLength;
  return typeof message === 'object' && message !== null ? (sizes.get(message) ?? 0) : 0;
}
