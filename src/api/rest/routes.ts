/**
 * TensorFlow Serving's REST routing rules (model_servers/http_rest_api_handler.cc, in our words; shared/reference/
 * tfserving-api.md §1.1): the whole path including any query string is matched case-insensitively against one
 * regex per method; anything else is `Malformed request: <METHOD> <path>`.
 */
import { InferdError } from '../../core/errors.ts';

/** A parsed /v1 request target. */
export type V1Route =
  | { readonly kind: 'status'; readonly model: string; readonly version?: number }
  | { readonly kind: 'metadata'; readonly model: string; readonly version?: number; readonly label?: string }
  | { readonly kind: 'predict' | 'classify' | 'regress'; readonly model: string; readonly version?: number; readonly label?: string };

const POST_RE = /^\/v1\/models\/([^/:]+)(?:(?:\/versions\/(\d+))|(?:\/labels\/([^/:]+)))?:(classify|regress|predict)$/i;
const GET_RE = /^\/v1\/models(?:\/([^/:]+))?(?:(?:\/versions\/(\d+))|(?:\/labels\/([^/:]+)))?(?:\/(metadata))?$/i;

/** URL-decode `%XX` sequences only (`+` stays a plus, as TF Serving does). Invalid escapes are kept verbatim. */
function urlDecode(s: string): string {
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = BigInt(text);
  if (n > 9223372036854775807n) throw InferdError.invalidArgument(`Failed to convert version: ${text} to numeric.`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw InferdError.invalidArgument(`Failed to convert version: ${text} to numeric.`);
  return Number(n);
}

const malformed = (method: string, target: string) => InferdError.invalidArgument(`Malformed request: ${method} ${target}`);

/** Route a /v1 request (target = path plus any query string). Throws INVALID_ARGUMENT / the reference's texts. */
export function routeV1(method: string, target: string): V1Route {
  if (method === 'POST') {
    const m = POST_RE.exec(target);
    if (!m) throw malformed(method, target);
    const [, model = '', version, label, verb = ''] = m;
    if (verb !== 'predict' && verb !== 'classify' && verb !== 'regress') throw malformed(method, target);
    const v = parseVersion(version);
    return { kind: verb, model: urlDecode(model), ...(v !== undefined ? { version: v } : {}), ...(label !== undefined ? { label: urlDecode(label) } : {}) };
  }
  if (method === 'GET') {
    const m = GET_RE.exec(target);
    if (!m) throw malformed(method, target);
    const [, model, version, label, sub] = m;
    if (model === undefined) throw InferdError.invalidArgument('Missing model name in request.');
    const v = parseVersion(version);
    const base = { model: urlDecode(model), ...(v !== undefined ? { version: v } : {}) };
    // Status ignores a label (TF Serving only checks has_version()); metadata resolves it.
    if (sub === 'metadata') return { kind: 'metadata', ...base, ...(label !== undefined ? { label: urlDecode(label) } : {}) };
    return { kind: 'status', ...base };
  }
  throw malformed(method, target);
}
