/**
 * The file-system source: watches one model's base path and declares the versions found on disk
 * (numeric child folders, `00000123` → 123) on every poll. It decides nothing: the server applies the version
 * policy and hands the result to the lifecycle manager. Follows TensorFlow Serving's
 * file_system_storage_path_source (shared/reference/tfserving-api.md §3).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InferdError } from '../core/errors.ts';
import type { AspiredVersion } from '../core/lifecycle/manager.ts';

/** Options of a file-system source. */
export interface FileSystemSourceOptions {
  /** Model name, for messages. */
  readonly name: string;
  /** Absolute base path holding `<version>/` folders. */
  readonly basePath: string;
  /** Seconds between polls (`--file_system_poll_wait_seconds`): > 0 poll repeatedly, 0 or negative poll once. Default 1. */
  readonly pollWaitSeconds?: number;
  /** Receives the versions on disk after every successful poll (the full list, sorted descending). */
  readonly onVersions: (versions: AspiredVersion[]) => void;
  /** Receives poll failures (e.g. missing base path), once per distinct failure; the previous declaration stays in force. */
  readonly onError: (error: InferdError) => void;
}

/** Parse a version folder name (`SimpleAtoi` into int64: digits only, safe integer), or undefined when it is not one. */
export function parseVersionDir(name: string): number | undefined {
  if (!/^\d+$/.test(name)) return undefined;
  const n = Number(name);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** List the numeric version folders of a base path, highest first. Throws NOT_FOUND when the base path is missing. */
export async function listVersions(name: string, basePath: string): Promise<AspiredVersion[]> {
  let entries;
  try {
    entries = await readdir(basePath, { withFileTypes: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw InferdError.notFound(`Could not find base path ${basePath} for servable ${name} with error ${reason}`);
  }
  const byVersion = new Map<number, AspiredVersion>();
  for (const entry of entries) {
    const version = parseVersionDir(entry.name);
    if (version === undefined) continue;
    const full = path.join(basePath, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isDirectory());
    if (isDir) byVersion.set(version, { version, path: full });
  }
  return [...byVersion.values()].sort((a, b) => b.version - a.version);
}

/** Polls a base path and reports its versions. Construct with `create` (which completes the first poll). */
export class FileSystemSource {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private polling: Promise<void> = Promise.resolve();
  private lastError: string | undefined;

  private constructor(private readonly options: FileSystemSourceOptions) {}

  /** Start the source: polls once before resolving, then every `pollWaitSeconds`. */
  static async create(options: FileSystemSourceOptions): Promise<FileSystemSource> {
    const source = new FileSystemSource(options);
    await source.poll();
    source.schedule();
    return source;
  }

  /** Poll now (also used by tests and by config reloads). Never throws: failures go to onError. */
  poll(): Promise<void> {
    this.polling = this.polling.then(async () => {
      if (this.closed) return;
      try {
        const versions = await listVersions(this.options.name, this.options.basePath);
        this.lastError = undefined;
        if (!this.closed) this.options.onVersions(versions);
      } catch (err) {
        const error = err instanceof InferdError ? err : InferdError.internal(String(err));
        // Report a failure once, not on every poll, until it changes or clears.
        if (!this.closed && error.message !== this.lastError) this.options.onError(error);
        this.lastError = error.message;
      }
    });
    return this.polling;
  }

  /** Stop polling. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  private schedule(): void {
    const wait = this.options.pollWaitSeconds ?? 1;
    if (wait <= 0 || this.closed) return;
    this.timer = setTimeout(() => {
      void this.poll().then(() => this.schedule());
    }, wait * 1000);
    this.timer.unref();
  }
}
