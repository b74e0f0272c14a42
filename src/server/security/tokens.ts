/**
 * Bearer-token authentication (`--auth_tokens_file`), one check for every transport and route.
 *
 * The tokens file: one token per line, `<scopes> <token> [<name>]`, `#` starts a comment. `scopes` is a
 * comma-separated subset of `predict` (inference, status, metadata), `metrics` (the metrics endpoint) and `admin`
 * (everything, including HandleReloadConfigRequest and the model repository API). `token` is an RFC 6750 b64token
 * of at least 16 characters; `name` (optional) identifies the client in logs — the token itself never appears in a
 * log or an error, and parse errors name only the line number.
 *
 * Routes declare a RouteScope; `public` needs nothing (health probes, CORS preflight). Comparisons are
 * constant-time: the presented token's SHA-256 is compared with every entry's with timingSafeEqual, no early exit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InferdError } from '../../core/errors.ts';
import type { Loaded } from './watched-files.ts';

/** A permission a token can hold. */
export type Scope = 'predict' | 'metrics' | 'admin';
/** What a route requires: a scope, or nothing (`public`). */
export type RouteScope = Scope | 'public';

/** Every scope a tokens file may name. */
export const SCOPES: readonly Scope[] = ['predict', 'metrics', 'admin'];

/** One token as held in memory: its digest, never the token. */
export interface TokenEntry {
  readonly digest: Buffer;
  readonly scopes: ReadonlySet<Scope>;
  /** For logs; defaults to `line <n>`. */
  readonly name: string;
}

/** The one access check both transports call for every request. */
export interface AccessCheck {
  /**
   * Allow the request or throw: UNAUTHENTICATED (no or unknown token), PERMISSION_DENIED (token without `scope`).
   * `authorization` is the raw `Authorization` header (REST) or `authorization` metadata value (gRPC).
   * Returns the client's name (for logs), or undefined for a public route or when authentication is off.
   */
  authorize(authorization: string | undefined, scope: RouteScope): string | undefined;
}

/** Authentication off: every request is allowed (the default, as in TensorFlow Serving). */
export const ALLOW_ALL: AccessCheck = { authorize: () => undefined };

const TOKEN_RE = /^[A-Za-z0-9\-._~+/]+=*$/;
const MIN_TOKEN_LENGTH = 16;

/** Parse a tokens file's text; INVALID_ARGUMENT naming the line (never the token) on any error. */
export function parseTokens(text: string, label = 'auth_tokens_file'): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `${label} line ${i + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length < 2 || parts.length > 3) throw InferdError.invalidArgument(`${where}: expected "<scopes> <token> [<name>]"`);
    const [scopeText = '', token = '', name] = parts;
    const scopes = new Set<Scope>();
    for (const s of scopeText.split(',')) {
      if (!(SCOPES as readonly string[]).includes(s)) throw InferdError.invalidArgument(`${where}: unknown scope "${s}" (expected ${SCOPES.join(', ')})`);
      scopes.add(s as Scope);
    }
    if (token.length < MIN_TOKEN_LENGTH) throw InferdError.invalidArgument(`${where}: the token is shorter than ${MIN_TOKEN_LENGTH} characters`);
    if (!TOKEN_RE.test(token)) throw InferdError.invalidArgument(`${where}: the token has characters outside A-Z a-z 0-9 - . _ ~ + / (and trailing =)`);
    const digest = sha256(token);
    const key = digest.toString('hex');
    if (seen.has(key)) throw InferdError.invalidArgument(`${where}: the token is listed twice`);
    seen.add(key);
    entries.push({ digest, scopes, name: name ?? `line ${i + 1}` });
  });
  return entries;
}

/** Read and parse a tokens file (for WatchedFiles). NOT_FOUND when unreadable. */
export async function loadTokens(file: string): Promise<Loaded<TokenEntry[]>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InferdError('NOT_FOUND', `${file}; ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { value: parseTokens(text, path.basename(file)), files: [path.resolve(file)] };
}

/** Does a token holding `scopes` satisfy `required`? `admin` satisfies everything. */
export function grants(scopes: ReadonlySet<Scope>, required: Scope): boolean {
  return scopes.has('admin') || scopes.has(required);
}

/** Options of TokenAuthenticator. */
export interface TokenAuthenticatorOptions {
  /** Serve the `metrics` scope without a token (`--allow_unauthenticated_metrics`). Default false. */
  readonly openMetrics?: boolean;
}

/** The AccessCheck over a token table; `replace` swaps the table (file rotation) atomically. */
export class TokenAuthenticator implements AccessCheck {
  private entries: readonly TokenEntry[];

  constructor(entries: readonly TokenEntry[], private readonly options: TokenAuthenticatorOptions = {}) {
    this.entries = entries;
  }

  /** Put a new table in force (requests already authorized are not affected). */
  replace(entries: readonly TokenEntry[]): void {
    this.entries = entries;
  }

  /** Number of tokens in force. */
  get size(): number {
    return this.entries.length;
  }

  /** @inheritdoc */
  authorize(authorization: string | undefined, scope: RouteScope): string | undefined {
    if (scope === 'public' || (scope === 'metrics' && this.options.openMetrics)) return undefined;
    const token = bearerToken(authorization);
    if (token === undefined) throw new InferdError('UNAUTHENTICATED', 'Missing bearer token: send "Authorization: Bearer <token>"');
    const presented = sha256(token);
    let match: TokenEntry | undefined;
    for (const entry of this.entries) {
      // No early exit: the time taken does not depend on which entry (if any) matches.
      if (timingSafeEqual(entry.digest, presented) && match === undefined) match = entry;
    }
    if (!match) throw new InferdError('UNAUTHENTICATED', 'Invalid bearer token');
    if (!grants(match.scopes, scope)) throw new InferdError('PERMISSION_DENIED', `This token does not have the "${scope}" scope this endpoint requires`);
    return match.name;
  }
}

/** The token of `Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
