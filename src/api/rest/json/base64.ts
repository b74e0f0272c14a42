/**
 * The `{"b64": "<base64>"}` convention of TensorFlow Serving's REST API (util/json_tensor.cc IsValBase64Object,
 * JsonDecodeBase64Object): an object with exactly one key `b64` whose value is a string, standard alphabet
 * (absl::Base64Unescape: padding optional, whitespace skipped, web-safe characters rejected).
 */
import { Buffer } from 'node:buffer';
import { InferdError } from '../../../core/errors.ts';
import type { JsonNode, JsonObject, JsonString } from './lenient-json.ts';
import { debugString, quoteJson } from './format.ts';

/** True when `node` is exactly `{"b64": "<string>"}`. */
export function isBase64Object(node: JsonNode): node is JsonObject {
  if (node.kind !== 'object' || node.members.length !== 1) return false;
  const m = node.members[0]!;
  return m.key === 'b64' && m.value.kind === 'string';
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decode standard base64 text; undefined when it is not valid base64. */
export function decodeBase64Text(text: string): Uint8Array | undefined {
  const s = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (!BASE64.test(s)) return undefined;
  const padded = s.endsWith('=');
  if (padded ? s.length % 4 !== 0 : s.length % 4 === 1) return undefined;
  const buf = Buffer.from(s, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/**
 * The bytes of a b64 object. INVALID_ARGUMENT `JSON Value: <dbg> not formatted correctly for base64 data` when
 * `node` is not a b64 object, `Unable to base64 decode` when the text is not base64.
 */
export function decodeBase64Object(node: JsonNode): Uint8Array {
  if (!isBase64Object(node)) {
    throw InferdError.invalidArgument(`JSON Value: ${debugString(node)} not formatted correctly for base64 data`);
  }
  const text = Buffer.from((node.members[0]!.value as JsonString).bytes).toString('latin1');
  const bytes = decodeBase64Text(text);
  if (!bytes) throw InferdError.invalidArgument('Unable to base64 decode');
  return bytes;
}

/** Bytes 0..255 → 1 for the standard base64 alphabet (A–Z a–z 0–9 + /). */
const ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Decode base64 held as raw bytes (a JSON string without escapes), with the same acceptance as decodeBase64Text;
 * undefined when it is not base64. Canonical base64 (what every encoder writes) is recognised by a round trip
 * through Node's native codec: decoding is lenient, but if re-encoding the bytes gives back exactly the text
 * (padded, or unpadded up to its `=`), the text was made of the alphabet with valid padding. Anything else
 * (whitespace, non-zero trailing bits, bad characters) is decided by one validation loop, as before.
 */
export function decodeBase64Bytes(text: Uint8Array): Uint8Array | undefined {
  const latin1 = Buffer.from(text.buffer, text.byteOffset, text.length).toString('latin1');
  const buf = Buffer.from(latin1, 'base64');
  const back = buf.toString('base64');
  if (back === latin1 || (latin1.charCodeAt(latin1.length - 1) !== 0x3d && isPaddingOf(back, latin1))) {
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  }
  let end = text.length;
  let pad = 0;
  while (end > 0 && text[end - 1] === 0x3d && pad < 2) {
    end--;
    pad++;
  }
  for (let i = 0; i < end; i++) {
    if (ALPHABET[text[i]!] === 0) {
      // Whitespace (skipped by absl) or anything else: the general path decides.
      return decodeBase64Text(latin1);
    }
  }
  if (pad > 0 ? text.length % 4 !== 0 : text.length % 4 === 1) return undefined;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** True when `padded` is `text` followed by one or two `=`. */
function isPaddingOf(padded: string, text: string): boolean {
  if (padded.length - text.length > 2 || !padded.startsWith(text)) return false;
  for (let i = text.length; i < padded.length; i++) if (padded.charCodeAt(i) !== 0x3d) return false;
  return true;
}

/** Standard padded base64 as a JSON object literal `{"b64": "..."}` (output of `_bytes` string tensors). */
export function base64ObjectJson(bytes: Uint8Array): string {
  return `{"b64": ${quoteJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64'))}}`;
}
