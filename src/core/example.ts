/**
 * tf.Example values and their protobuf wire encoding (tensorflow/core/example/example.proto:
 * Example{features=1}, Features{feature=1 map<string,Feature>}, Feature oneof{bytes_list=1, float_list=2,
 * int64_list=3}, each list {value=1, packed for numbers}). Hand-written because core does no I/O and imports
 * no library; the encoding is small and fixed.
 */

/** One feature's values. */
export type Feature =
  | { readonly kind: 'bytes'; readonly values: readonly Uint8Array[] }
  | { readonly kind: 'float'; readonly values: readonly number[] }
  | { readonly kind: 'int64'; readonly values: readonly bigint[] };

/** A tf.Example: features by name. */
export type Example = ReadonlyMap<string, Feature>;

class Writer {
  private chunks: number[] = [];
  varint(v: bigint | number): void {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.chunks.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.chunks.push(Number(n));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    for (const x of b) this.chunks.push(x);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function encodeFeature(f: Feature): Uint8Array {
  const list = new Writer();
  if (f.kind === 'bytes') {
    for (const v of f.values) list.bytes(1, v);
  } else if (f.kind === 'float') {
    const packed = new Uint8Array(f.values.length * 4);
    const view = new DataView(packed.buffer);
    f.values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    if (f.values.length > 0) list.bytes(1, packed);
  } else {
    const packed = new Writer();
    for (const v of f.values) packed.varint(v);
    if (f.values.length > 0) list.bytes(1, packed.finish());
  }
  const feature = new Writer();
  feature.bytes(f.kind === 'bytes' ? 1 : f.kind === 'float' ? 2 : 3, list.finish());
  return feature.finish();
}

const utf8 = new TextEncoder();

/** Serialize an Example. Feature order follows map iteration order; readers treat it as a map. */
export function encodeExample(example: Example): Uint8Array {
  const features = new Writer();
  for (const [name, feature] of example) {
    const entry = new Writer();
    entry.bytes(1, utf8.encode(name));
    entry.bytes(2, encodeFeature(feature));
    features.bytes(1, entry.finish());
  }
  const out = new Writer();
  out.bytes(1, features.finish());
  return out.finish();
}

/** Merge context features into an example; the example's own features win (proto merge semantics of TF Serving). */
export function withContext(example: Example, context: Example | undefined): Example {
  if (!context) return example;
  const merged = new Map(context);
  for (const [k, v] of example) merged.set(k, v);
  return merged;
}
