/**
 * A growable byte buffer that JSON answers are written into: ASCII runs byte by byte, integers digit by digit (no
 * string per number), other text as UTF-8. One buffer per answer, doubled when full; `bytes()` is a view of the
 * written part (no copy). Never a pooled Buffer, so a codec thread may transfer it. Used by predict-response.ts.
 */
import { Buffer } from 'node:buffer';

const MINUS = 0x2d;
const ZERO = 0x30;

/** Writes JSON text into one buffer. */
export class JsonByteWriter {
  #buf: Buffer;
  #len = 0;

  /** `sizeHint`: expected answer size in bytes (the buffer grows past it as needed). */
  constructor(sizeHint = 256) {
    this.#buf = Buffer.allocUnsafeSlow(Math.max(64, sizeHint));
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  /** One byte (an ASCII character code). */
  byte(c: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = c;
  }

  /** A string known to be ASCII (number texts, punctuation, keys already quoted and escaped). */
  ascii(s: string): void {
    const n = s.length;
    this.#reserve(n);
    const buf = this.#buf;
    let at = this.#len;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.#len = at;
  }

  /** Any string, as UTF-8. */
  utf8(s: string): void {
    this.#reserve(Buffer.byteLength(s));
    this.#len += this.#buf.write(s, this.#len, 'utf8');
  }

  /** A safe integer in decimal, digit by digit. */
  int(v: number): void {
    if (v < 0) {
      this.byte(MINUS);
      v = -v;
    }
    if (v < 10) {
      this.byte(ZERO + v);
      return;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    this.#reserve(digits);
    const buf = this.#buf;
    let at = this.#len + digits;
    this.#len = at;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[--at] = ZERO + (v - q * 10);
      v = q;
    }
    buf[--at] = ZERO + v;
  }

  /** The bytes written so far (a view into the buffer). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}
