/**
 * Reading one configuration file the way TensorFlow Serving's ParseProtoTextFile does (model_servers/server.cc):
 * a missing or unreadable file → NOT_FOUND `<path>; <reason>`; a document that does not parse →
 * INVALID_ARGUMENT `Invalid protobuf file: '<path>'` whose `cause` is the detailed InferdError
 * (`Error parsing text-format <type>: <line>:<col>: <msg>`), which the CLI logs to stderr.
 */
import { readFile } from 'node:fs/promises';
import { InferdError } from '../../core/errors.ts';
import { parseConfigDocument, syntaxForPath } from './config-document.ts';
import type { MessageSchema, TextMessage } from '../../core/textproto.ts';

/** Read `path` and parse it against `schema` (syntax by extension: .json, .yaml/.yml, else text format). */
export async function readConfigDocument(path: string, schema: MessageSchema): Promise<TextMessage> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'No such file or directory' : err instanceof Error ? err.message : String(err);
    throw new InferdError('NOT_FOUND', `${path}; ${reason}`, { cause: err });
  }
  try {
    return parseConfigDocument(text, syntaxForPath(path), schema);
  } catch (err) {
    throw new InferdError('INVALID_ARGUMENT', `Invalid protobuf file: '${path}'`, { cause: err });
  }
}

/** The detailed parse error behind an `Invalid protobuf file` error (to log to stderr), if there is one. */
export function parseErrorDetail(err: unknown): string | undefined {
  if (err instanceof InferdError && err.message.startsWith('Invalid protobuf file:') && err.cause instanceof InferdError) {
    return err.cause.message;
  }
  return undefined;
}
