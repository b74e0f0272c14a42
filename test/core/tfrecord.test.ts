// TFRecord framing and CRC-32C: published CRC-32C check values (RFC 3720 B.4 and the "123456789" check), files
// from the independent writer in test/support/tfrecord.ts, and damaged files (truncated, corrupted checksums).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c, maskCrc, unmaskCrc } from '../../src/core/crc32c.ts';
import { InferdError } from '../../src/core/errors.ts';
import { readTfRecords } from '../../src/core/tfrecord.ts';
import { crc32cBitwise, tfRecordFrame, tfRecordHeader } from '../support/tfrecord.ts';

const utf8 = new TextEncoder();
const dataLoss = (pattern: RegExp) => (err: unknown): boolean => err instanceof InferdError && err.code === 'DATA_LOSS' && pattern.test(err.message);

describe('crc32c', () => {
  it('matches the published check values and the bitwise oracle', () => {
    assert.equal(crc32c(utf8.encode('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    assert.equal(crc32c(bytes), crc32cBitwise(bytes));
    assert.equal(crc32c(bytes.subarray(400), crc32c(bytes.subarray(0, 400))), crc32cBitwise(bytes), 'continuation');
    assert.equal(unmaskCrc(maskCrc(0x12345678)), 0x12345678);
  });
});

describe('readTfRecords', () => {
  const records = [utf8.encode('first'), new Uint8Array(), utf8.encode('third record')];
  const file = Buffer.concat(records.map((r) => tfRecordFrame(r)));

  it('reads every record of a file the independent writer made, with offsets', () => {
    const got = [...readTfRecords(file)];
    assert.deepEqual(got.map((r) => Buffer.from(r.data).toString()), ['first', '', 'third record']);
    assert.deepEqual(got.map((r) => r.index), [0, 1, 2]);
    assert.deepEqual(got.map((r) => r.offset), [0, 21, 37]);
    assert.deepEqual([...readTfRecords(new Uint8Array())], []);
  });

  it('refuses truncated headers and payloads as DATA_LOSS naming the record', () => {
    assert.throws(() => [...readTfRecords(file.subarray(0, file.length - 1))], dataLoss(/^record 2: truncated record at 37$/));
    assert.throws(() => [...readTfRecords(file.subarray(0, 25))], dataLoss(/^record 1: truncated record at 21$/));
  });

  it('refuses a damaged length or payload checksum', () => {
    const badLength = Buffer.from(file);
    badLength[21] = 0xff; // record 1's length byte: its checksum no longer matches
    assert.throws(() => [...readTfRecords(badLength)], dataLoss(/^record 1: corrupted record at 21$/));
    const badData = Buffer.from(file);
    badData.writeUInt8(badData.readUInt8(12) ^ 1, 12); // a byte of record 0's payload
    assert.throws(() => [...readTfRecords(badData)], dataLoss(/^record 0: corrupted record at 0$/));
  });

  it('refuses a length past the end even when its checksum is right', () => {
    const huge = Buffer.concat([tfRecordHeader(2n ** 63n), Buffer.alloc(8)]);
    assert.throws(() => [...readTfRecords(huge)], dataLoss(/^record 0: truncated record at 0$/));
    const oneShort = Buffer.concat([tfRecordHeader(5n), Buffer.alloc(8)]); // 5 payload bytes + 4 footer > 8
    assert.throws(() => [...readTfRecords(oneShort)], dataLoss(/^record 0: truncated record at 0$/));
  });
});
