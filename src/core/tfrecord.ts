/**
 * TFRecord framing (TensorFlow's tensorflow/core/lib/io/record_reader.cc, uncompressed): each record is
 * `uint64 length (little-endian) | uint32 masked crc32c(length bytes) | data[length] | uint32 masked crc32c(data)`.
 * The one TFRecord reader of inferd (warmup files use it). Pure: no I/O; records are views of the given bytes.
 *
 * Errors are DATA_LOSS with TensorFlow's wording (`truncated record at <offset>`, `corrupted record at <offset>`),
 * prefixed by the 0-based record index, so a user can find the bad record.
 */
import { crc32c, unmaskCrc } from './crc32c.ts';
import { InferdError } from './errors.ts';

/** Bytes of a record's header (length + its checksum) and footer (data checksum). */
const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;

/** One record: its 0-based index, the byte offset of its header in the file, and its payload (a view). */
export interface TfRecord {
  readonly index: number;
  readonly offset: number;
  readonly data: Uint8Array;
}

/**
 * Iterate the records of a TFRecord file's bytes, checking both checksums of each before yielding it. Ends at the
 * end of the bytes; a partial header or payload is `truncated`, a checksum mismatch `corrupted` (DATA_LOSS).
 */
export function* readTfRecords(bytes: Uint8Array): Generator<TfRecord> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (let index = 0; offset < bytes.length; index += 1) {
    const fail = (what: string): never => {
      throw new InferdError('DATA_LOSS', `record ${index}: ${what} record at ${offset}`);
    };
    if (bytes.length - offset < HEADER_BYTES) fail('truncated');
    if (crc32c(bytes.subarray(offset, offset + 8)) !== unmaskCrc(view.getUint32(offset + 8, true))) fail('corrupted');
    const length = view.getBigUint64(offset, true);
    const start = offset + HEADER_BYTES;
    // Checked as bigint first: a corrupt length must not be rounded into range.
    if (length > BigInt(bytes.length - start - FOOTER_BYTES)) fail('truncated');
    const end = start + Number(length);
    const data = bytes.subarray(start, end);
    if (crc32c(data) !== unmaskCrc(view.getUint32(end, true))) fail('corrupted');
    yield { index, offset, data };
    offset = end + FOOTER_BYTES;
  }
}
