import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditSink } from './auditSink.js';

export interface AuditFileOptions {
  path: string;
  /** Rotate before a record would take the file past this size. */
  maxBytes: number;
  /** Rotated files kept: path.1 (newest) … path.N (oldest); older ones are dropped. */
  maxFiles: number;
  /** fsync after each record, so an answered call's record survives a power cut (default true). */
  sync?: boolean;
}

/**
 * An append-only JSONL file with size-based rotation. One record = one write() of one whole line on
 * a file opened O_APPEND, and this process writes one record at a time: concurrent tool calls never
 * interleave a line, and a crash loses at most the record being written. Other processes appending
 * to the same file keep whole lines too (O_APPEND); one that rotates it is noticed (the path then
 * names a new file) and this process reopens.
 */
export class AuditFile implements AuditSink {
  private queue: Promise<void> = Promise.resolve();
  private handle: FileHandle | undefined;
  private inode = 0;

  constructor(private readonly opts: AuditFileOptions) {}

  get path(): string {
    return this.opts.path;
  }

  get name(): string {
    return this.opts.path;
  }

  /** Resolves once the line is written (and synced); rejects when it could not be. */
  append(record: object): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    const done = this.queue.then(() => this.write(line));
    this.queue = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async write(line: Buffer): Promise<void> {
    let handle = await this.current();
    const size = (await handle.stat()).size;
    // A record larger than maxBytes still gets a file of its own rather than being dropped.
    if (size > 0 && size + line.length > this.opts.maxBytes) {
      await this.rotate();
      handle = await this.current();
    }
    try {
      let offset = 0;
      while (offset < line.length) offset += (await handle.write(line, offset, line.length - offset)).bytesWritten;
      if (this.opts.sync !== false) await handle.datasync();
    } catch (err) {
      // The next record starts from a fresh open rather than a handle in an unknown state.
      await this.drop();
      throw err;
    }
  }

  /** The open handle, reopened when the path no longer names the file it points at. */
  private async current(): Promise<FileHandle> {
    if (this.handle) {
      const onDisk = await stat(this.opts.path).catch(() => undefined);
      if (onDisk && (onDisk.ino === this.inode || onDisk.ino === 0)) return this.handle;
      await this.drop();
    }
    await mkdir(dirname(this.opts.path), { recursive: true, mode: 0o700 });
    const handle = await open(this.opts.path, 'a', 0o600);
    this.handle = handle;
    this.inode = (await handle.stat()).ino;
    return handle;
  }

  private async rotate(): Promise<void> {
    await this.drop();
    const { path, maxFiles } = this.opts;
    // rename() replaces the target, so the oldest kept file is overwritten by the one before it.
    for (let i = maxFiles - 1; i >= 1; i--) await renameIfPresent(`${path}.${i}`, `${path}.${i + 1}`);
    await renameIfPresent(path, `${path}.1`);
  }

  private async drop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
