/**
 * Reader for the LevelDB table format that TensorFlow uses for `variables.index` (tensorflow/core/lib/io/table):
 * a 48-byte footer (metaindex and index BlockHandles, padding, magic 0xdb4775248b80fb57), an index block whose
 * values are BlockHandles of data blocks, and data blocks of prefix-compressed entries followed by a restart
 * array; every block is followed by a 1-byte compression type (0 none, 1 snappy) and a masked CRC-32C.
 * Whole-file, read-only, in memory (index files are small).
 */
import snappy from 'snappyjs';
import { InferdError } from '../../core/errors.ts';
import { crc32c, unmaskCrc } from '../../core/crc32c.ts';

const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const FOOTER = 48;

/** One key/value of a table, in key order. */
export interface TableEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

class Cursor {
  pos: number;
  constructor(readonly buf: Uint8Array, pos = 0) {
    this.pos = pos;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }
}

function fail(what: string, message: string): never {
  throw new InferdError('DATA_LOSS', `${what}: ${message}`);
}

function readBlock(file: Uint8Array, offset: number, size: number, what: string, verify: boolean): Uint8Array {
  if (offset + size + 5 > file.length) fail(what, `block at ${offset} (+${size}) runs past the end of the file`);
  const contents = file.subarray(offset, offset + size);
  const type = file[offset + size] as number;
  if (verify) {
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const stored = unmaskCrc(view.getUint32(offset + size + 1, true));
    const actual = crc32c(file.subarray(offset, offset + size + 1));
    if (stored !== actual) fail(what, `block checksum mismatch at offset ${offset}`);
  }
  if (type === 0) return contents;
  if (type === 1) return new Uint8Array(snappy.uncompress(contents));
  return fail(what, `unknown block compression type ${type}`);
}

function blockEntries(block: Uint8Array, what: string): TableEntry[] {
  if (block.length < 4) fail(what, 'block too short');
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const numRestarts = view.getUint32(block.length - 4, true);
  const limit = block.length - 4 - numRestarts * 4;
  if (limit < 0) fail(what, 'bad restart array');
  const out: TableEntry[] = [];
  const c = new Cursor(block);
  let last: Uint8Array = new Uint8Array(0);
  while (c.pos < limit) {
    const shared = c.varint();
    const nonShared = c.varint();
    const valueLen = c.varint();
    if (shared > last.length || c.pos + nonShared + valueLen > limit) fail(what, 'corrupt block entry');
    const key = new Uint8Array(shared + nonShared);
    key.set(last.subarray(0, shared), 0);
    key.set(block.subarray(c.pos, c.pos + nonShared), shared);
    c.pos += nonShared;
    const value = block.subarray(c.pos, c.pos + valueLen);
    c.pos += valueLen;
    out.push({ key, value });
    last = key;
  }
  return out;
}

/** Read every entry of a LevelDB-format table held in `file`. `what` names the file in errors (DATA_LOSS). */
export function readTable(file: Uint8Array, what: string, options: { verifyChecksums?: boolean } = {}): TableEntry[] {
  const verify = options.verifyChecksums ?? true;
  if (file.length < FOOTER) fail(what, 'file too short to be a table');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(file.length - 8, true) !== MAGIC_LO || view.getUint32(file.length - 4, true) !== MAGIC_HI) {
    fail(what, 'not a table (bad magic number)');
  }
  const footer = new Cursor(file, file.length - FOOTER);
  footer.varint(); // metaindex offset
  footer.varint(); // metaindex size
  const indexOffset = footer.varint();
  const indexSize = footer.varint();
  const index = blockEntries(readBlock(file, indexOffset, indexSize, what, verify), what);
  const entries: TableEntry[] = [];
  for (const { value } of index) {
    const h = new Cursor(value);
    const offset = h.varint();
    const size = h.varint();
    entries.push(...blockEntries(readBlock(file, offset, size, what, verify), what));
  }
  return entries;
}
