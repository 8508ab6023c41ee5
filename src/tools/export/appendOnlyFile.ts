import type { FileHandle } from 'node:fs/promises';
import { fileError } from './fileErrors.js';
import { openOwnedFile } from './ownedFile.js';

/**
 * The JSONL output: written only at its end, each append flushed to disk before it counts, so a
 * cursor written afterwards never claims bytes that a crash could still lose. Opened only through
 * openOwnedFile: a new file is created exclusively, an existing one must be a regular file of ours.
 */
export class AppendOnlyFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private length: number,
  ) {}

  /** A new, empty file; refused when anything already has that name. */
  static async create(path: string): Promise<AppendOnlyFile> {
    const handle = (await openOwnedFile(path, 'create', 'create'))!;
    return new AppendOnlyFile(path, handle, 0);
  }

  /** The existing file (undefined when there is none), at its current length. */
  static async openExisting(path: string): Promise<AppendOnlyFile | undefined> {
    const handle = await openOwnedFile(path, 'existing-write', 'open');
    if (!handle) return undefined;
    try {
      return new AppendOnlyFile(path, handle, (await handle.stat()).size);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fileError(err, path, 'open');
    }
  }

  get size(): number {
    return this.length;
  }

  /** The byte at `position`, read through this handle (never by path again). */
  async byteAt(position: number): Promise<number | undefined> {
    try {
      const buf = Buffer.alloc(1);
      const { bytesRead } = await this.handle.read(buf, 0, 1, position);
      return bytesRead === 1 ? buf[0] : undefined;
    } catch (err) {
      throw fileError(err, this.path, 'read');
    }
  }

  /** Cuts the file back to `length` (resume: drop what the cursor does not account for; overwrite: to 0). */
  async truncate(length: number): Promise<void> {
    try {
      await this.handle.truncate(length);
      this.length = length;
    } catch (err) {
      throw fileError(err, this.path, 'prepare');
    }
  }

  /**
   * Writes every byte of `text` as UTF-8 (looping over short writes), then fdatasync; the size moves
   * only when both succeeded. A string, not a Buffer: Node copies it into memory owned by the write
   * and freed when it completes. A Buffer waiting in the export's queue outlived scavenges, was
   * promoted, and its memory (outside V8's heap, reclaimed only by a full GC) piled up at ~30 KB a
   * page during a long export (issue 17).
   */
  async append(text: string): Promise<void> {
    const length = Buffer.byteLength(text, 'utf8');
    try {
      let { bytesWritten: done } = await this.handle.write(text, this.length, 'utf8');
      if (done < length) {
        // A short write (rare: a full disk, a signal): the rest as bytes, from where it stopped.
        const data = Buffer.from(text, 'utf8');
        while (done < length) {
          const { bytesWritten } = await this.handle.write(data, done, length - done, this.length + done);
          done += bytesWritten;
        }
      }
      await this.handle.datasync();
    } catch (err) {
      throw fileError(err, this.path, 'write');
    }
    this.length += length;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
