/** Types for snappyjs (no bundled declarations): raw snappy block (de)compression, output type follows input type. */
declare module 'snappyjs' {
  /** Decompress a raw snappy block. */
  export function uncompress(input: Uint8Array): Uint8Array;
  /** Compress into a raw snappy block. */
  export function compress(input: Uint8Array): Uint8Array;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
