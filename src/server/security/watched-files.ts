/**
 * Re-reading security files (SSL configs, PEM files, the tokens file) when they change, without a restart.
 * Polls: every `pollWaitSeconds` it hashes the content of the files the last load named (content, not mtime, so a
 * Kubernetes secret's symlink swap and a same-second rewrite are both seen); on a change it loads again. A load
 * that fails keeps the previous value in force and is reported once per distinct content.
 * Polling, not fs.watch: watch events are lost on symlink swaps and network file systems.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** What a load produced: the value and the files it read (watched for the next change). */
export interface Loaded<T> {
  readonly value: T;
  readonly files: readonly string[];
}

/** Options of WatchedFiles.start. */
export interface WatchedFilesOptions<T> {
  /** Reads and validates the files; throws on bad content. */
  readonly load: () => Promise<Loaded<T>>;
  /** Seconds between checks; 0 = never re-read. */
  readonly pollWaitSeconds: number;
  /** A new value passed validation and is now in force. */
  readonly onChange: (value: T) => void;
  /** A changed file failed to load; the previous value stays in force. */
  readonly onError: (error: Error) => void;
}

/** A value loaded from files and kept current. Construct with `WatchedFiles.start`; `close()` stops the polling. */
export class WatchedFiles<T> {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;

  private constructor(
    private current: Loaded<T>,
    private digest: string,
    private readonly options: WatchedFilesOptions<T>,
  ) {}

  /** Load once (throws what `load` throws, for startup to fail on) and start polling. */
  static async start<T>(options: WatchedFilesOptions<T>): Promise<WatchedFiles<T>> {
    const first = await options.load();
    const watched = new WatchedFiles(first, await digestOf(first.files), options);
    if (options.pollWaitSeconds > 0) watched.schedule();
    return watched;
  }

  /** The value in force. */
  get value(): T {
    return this.current.value;
  }

  /** Check the files now (tests; also what the timer runs). Resolves after any reload it triggered. */
  async check(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const digest = await digestOf(this.current.files);
      if (digest === this.digest) return;
      this.digest = digest;
      let next: Loaded<T>;
      try {
        next = await this.options.load();
      } catch (err) {
        this.options.onError(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (this.closed) return;
      this.current = next;
      // The load may name other files than before (a PEM path changed): watch those from now on.
      this.digest = await digestOf(next.files);
      this.options.onChange(next.value);
    } finally {
      this.polling = false;
    }
  }

  /** Stop polling. Idempotent. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.check().finally(() => {
        if (!this.closed) this.schedule();
      });
    }, this.options.pollWaitSeconds * 1000);
    this.timer.unref();
  }
}

/** SHA-256 over each file's content (a missing file hashes as its error code, so its return is a change too). */
async function digestOf(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file).update('\0');
    try {
      hash.update(await readFile(file));
    } catch (err) {
      hash.update(`<${(err as NodeJS.ErrnoException).code ?? 'error'}>`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}
