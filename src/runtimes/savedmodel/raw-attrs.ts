/**
 * Attributes of a custom op's node as they were in the graph: tfjs-converter hands custom ops the raw AttrValue
 * messages (`node.node.rawAttrs`) besides its decoded `attrs`, which lowercase strings and lose int64 precision.
 */
import type { GraphNode } from '@tensorflow/tfjs-converter';

/** The raw AttrValue fields read here: `s` (bytes, as numbers or base64) and `i` (number, decimal string or Long). */
interface RawAttr {
  readonly s?: number[] | string;
  readonly i?: unknown;
}

const fromUtf8 = new TextDecoder();

function rawAttr(node: GraphNode, name: string): RawAttr | undefined {
  return (node as unknown as { node?: { rawAttrs?: Record<string, RawAttr> } }).node?.rawAttrs?.[name];
}

/** A string attribute, case kept; undefined when absent. */
export function rawStringAttr(node: GraphNode, name: string): string | undefined {
  const raw = rawAttr(node, name)?.s;
  if (raw === undefined) return undefined;
  return typeof raw === 'string' ? Buffer.from(raw, 'base64').toString('utf8') : fromUtf8.decode(Uint8Array.from(raw));
}

/** A 64-bit integer attribute as an unsigned 64-bit bigint (0n when absent). */
export function int64Attr(node: GraphNode, name: string): bigint {
  const raw = rawAttr(node, name)?.i;
  if (raw === undefined || raw === null) return 0n;
  if (typeof raw === 'object' && 'low' in raw && 'high' in raw) {
    const l = raw as { low: number; high: number };
    return BigInt.asUintN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0));
  }
  return BigInt.asUintN(64, BigInt(String(raw)));
}
