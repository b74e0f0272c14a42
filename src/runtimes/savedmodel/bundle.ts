/**
 * TensorBundle reader (tensorflow/core/util/tensor_bundle): `<prefix>.index` is a LevelDB-format table whose key ""
 * holds a BundleHeaderProto and every other key (a checkpoint tensor name) a BundleEntryProto locating the tensor's
 * bytes in `<prefix>.data-NNNNN-of-MMMMM`. Numeric tensors are little-endian; string tensors are
 * `varint64 length × n, uint32 masked crc of the lengths, bytes`. Entry CRC-32Cs (masked) are verified.
 * Data shards are read lazily with positional reads, each tensor's bytes once.
 */
import fs from 'node:fs';
import { elementCount, type Tensor } from '../../core/tensor.ts';
import { dtypeOfTfName } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { readTable } from './leveldb-table.ts';
import { decodeMessage, shapeDims, type BundleEntryObj, type BundleHeaderObj } from './proto.ts';
import { fromLittleEndian } from './tensor-proto.ts';
import { crc32c, maskCrc, unmaskCrc } from '../../core/crc32c.ts';

const utf8 = new TextDecoder();

/** A checkpoint opened for reading. Holds no file descriptors between reads. */
export class TensorBundle {
  private constructor(
    /** Path prefix, e.g. `<dir>/variables/variables`. */
    readonly prefix: string,
    readonly header: BundleHeaderObj,
    private readonly entries: ReadonlyMap<string, BundleEntryObj>,
  ) {}

  /** Open `<prefix>.index`. Throws NOT_FOUND when missing, DATA_LOSS when corrupt. */
  static open(prefix: string): TensorBundle {
    const indexPath = `${prefix}.index`;
    let file: Uint8Array;
    try {
      file = fs.readFileSync(indexPath);
    } catch (err) {
      throw new InferdError('NOT_FOUND', `Could not read checkpoint index ${indexPath}: ${(err as Error).message}`);
    }
    let header: BundleHeaderObj = {};
    const entries = new Map<string, BundleEntryObj>();
    for (const { key, value } of readTable(file, indexPath)) {
      if (key.length === 0) header = decodeMessage<BundleHeaderObj>('tensorflow.BundleHeaderProto', value);
      else entries.set(utf8.decode(key), decodeMessage<BundleEntryObj>('tensorflow.BundleEntryProto', value));
    }
    if (header.endianness === 'BIG') throw InferdError.unimplemented(`${indexPath}: big-endian checkpoints are not supported`);
    return new TensorBundle(prefix, header, entries);
  }

  /** Checkpoint keys (tensor names), sorted. */
  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** True when the bundle holds `key`. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Path of shard `id`. */
  shardPath(id: number): string {
    const n = this.header.numShards ?? 1;
    return `${this.prefix}.data-${String(id).padStart(5, '0')}-of-${String(n).padStart(5, '0')}`;
  }

  /** Read one tensor by checkpoint key. Throws NOT_FOUND for unknown keys, DATA_LOSS for bad bytes. */
  read(key: string): Tensor {
    const entry = this.entries.get(key);
    if (!entry) throw InferdError.notFound(`Key ${key} not found in checkpoint ${this.prefix}`);
    if (entry.slices.length > 0) throw InferdError.unimplemented(`Checkpoint tensor ${key} is partitioned (sliced); not supported`);
    const dtype = dtypeOfTfName(entry.dtype ?? 'DT_INVALID');
    if (!dtype) throw InferdError.unimplemented(`Checkpoint tensor ${key} has unsupported dtype ${entry.dtype ?? 'DT_INVALID'}`);
    const shape = shapeDims(entry.shape) ?? [];
    const count = elementCount(shape);
    const size = Number(entry.size ?? 0);
    const bytes = this.readBytes(entry.shardId ?? 0, Number(entry.offset ?? 0), size, key);
    const strings = dtype === 'string' ? decodeStrings(bytes, count, key) : undefined;
    if (entry.crc32c !== undefined && size > 0) {
      const actual = strings ? stringTensorCrc(bytes, strings) : crc32c(bytes);
      if (actual !== unmaskCrc(entry.crc32c)) {
        throw new InferdError('DATA_LOSS', `Checksum does not match for checkpoint tensor ${key} in ${this.prefix}`);
      }
    }
    if (strings) return { dtype, shape, data: strings };
    return { dtype, shape, data: fromLittleEndian(dtype, count, bytes) };
  }

  private readBytes(shard: number, offset: number, size: number, key: string): Uint8Array {
    const file = this.shardPath(shard);
    const out = new Uint8Array(size);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new InferdError('NOT_FOUND', `Could not open checkpoint data ${file}: ${(err as Error).message}`);
    }
    try {
      let done = 0;
      while (done < size) {
        const n = fs.readSync(fd, out, done, size - done, offset + done);
        if (n === 0) throw new InferdError('DATA_LOSS', `Checkpoint tensor ${key} runs past the end of ${file}`);
        done += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    return out;
  }
}

/**
 * The checksum TensorFlow records for a string tensor: CRC-32C over each length as a little-endian uint32 (uint64
 * past 4 GiB), then the 4 stored length-checksum bytes, then the string bytes (WriteStringTensor).
 */
export function stringTensorCrc(stored: Uint8Array | undefined, strings: readonly Uint8Array[]): number {
  let crc = 0;
  const word = new Uint8Array(8);
  const view = new DataView(word.buffer);
  for (const s of strings) {
    if (s.length <= 0xffffffff) {
      view.setUint32(0, s.length, true);
      crc = crc32c(word.subarray(0, 4), crc);
    } else {
      view.setBigUint64(0, BigInt(s.length), true);
      crc = crc32c(word, crc);
    }
  }
  let lengthCrcBytes: Uint8Array;
  if (stored) {
    let pos = 0;
    for (let i = 0; i < strings.length; i++) while (((stored[pos++] as number) & 0x80) !== 0);
    lengthCrcBytes = stored.subarray(pos, pos + 4);
  } else {
    lengthCrcBytes = new Uint8Array(4);
    new DataView(lengthCrcBytes.buffer).setUint32(0, maskCrc(crc), true);
  }
  crc = crc32c(lengthCrcBytes, crc);
  for (const s of strings) crc = crc32c(s, crc);
  return crc;
}

function decodeStrings(bytes: Uint8Array, count: number, key: string): Uint8Array[] {
  const lengths: number[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined) throw new InferdError('DATA_LOSS', `String tensor ${key}: truncated lengths`);
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    lengths.push(v);
  }
  pos += 4; // masked crc32c of the length varints
  const out: Uint8Array[] = [];
  for (const len of lengths) {
    if (pos + len > bytes.length) throw new InferdError('DATA_LOSS', `String tensor ${key}: truncated contents`);
    out.push(bytes.slice(pos, pos + len));
    pos += len;
  }
  return out;
}
