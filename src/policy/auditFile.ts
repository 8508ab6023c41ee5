import { closeSync, fdatasync, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { AuditSink } from './auditSink.js';

const datasync = promisify(fdatasync);

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
  private fd: number | undefined;
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
    this.drop();
  }

  /**
   * The stat, size check and write are synchronous calls: each takes microseconds on a line of a few
   * hundred bytes, where a thread-pool round trip each cost ~0.1–0.2 ms per record on a busy machine
   * (issue 17: the audit record was most of our per-call overhead). Only the fdatasync, which waits for
   * the disk, stays off the event loop.
   */
  private async write(line: Buffer): Promise<void> {
    let { fd, size } = this.current();
    // A record larger than maxBytes still gets a file of its own rather than being dropped.
    if (size > 0 && size + line.length > this.opts.maxBytes) {
      await this.rotate();
      ({ fd } = this.current());
    }
    try {
      let offset = 0;
      while (offset < line.length) offset += writeSync(fd, line, offset, line.length - offset);
      if (this.opts.sync !== false) await datasync(fd);
    } catch (err) {
      // The next record starts from a fresh open rather than a descriptor in an unknown state.
      this.drop();
      throw err;
    }
  }

  /**
   * The open descriptor, reopened when the path no longer names the file it points at, and the file's
   * size (other processes append to it too). When the path still names our file, its stat is the
   * descriptor's: one system call per record instead of two.
   */
  private current(): { fd: number; size: number } {
    if (this.fd !== undefined) {
      const onDisk = statSync(this.opts.path, { throwIfNoEntry: false });
      if (onDisk && onDisk.ino === this.inode && onDisk.ino !== 0) return { fd: this.fd, size: onDisk.size };
      if (onDisk && onDisk.ino === 0) return { fd: this.fd, size: fstatSync(this.fd).size }; // no inode numbers here: trust the descriptor
      this.drop();
    }
    mkdirSync(dirname(this.opts.path), { recursive: true, mode: 0o700 });
    const fd = openSync(this.opts.path, 'a', 0o600);
    this.fd = fd;
    const opened = fstatSync(fd);
    this.inode = opened.ino;
    return { fd, size: opened.size };
  }

  private async rotate(): Promise<void> {
    this.drop();
    const { path, maxFiles } = this.opts;
    // rename() replaces the target, so the oldest kept file is overwritten by the one before it.
    for (let i = maxFiles - 1; i >= 1; i--) await renameIfPresent(`${path}.${i}`, `${path}.${i + 1}`);
    await renameIfPresent(path, `${path}.1`);
  }

  private drop(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Already unusable: nothing more to release.
    }
  }
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
