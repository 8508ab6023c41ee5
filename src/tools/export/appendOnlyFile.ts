import { open, type FileHandle } from 'node:fs/promises';
import { fileError } from './fileErrors.js';

/**
 * The JSONL output: written only at its end, each append flushed to disk before it counts, so a
 * cursor written afterwards never claims bytes that a crash could still lose.
 */
export class AppendOnlyFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private length: number,
  ) {}

  /** Creates or empties the file ('fresh'), or opens it and cuts it back to `length` ('resume'). */
  static async open(path: string, mode: 'fresh' | 'resume', length = 0): Promise<AppendOnlyFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, mode === 'fresh' ? 'w' : 'r+', 0o600);
    } catch (err) {
      throw fileError(err, path, 'open');
    }
    try {
      if (mode === 'resume') await handle.truncate(length);
      return new AppendOnlyFile(path, handle, mode === 'fresh' ? 0 : length);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fileError(err, path, 'prepare');
    }
  }

  get size(): number {
    return this.length;
  }

  /** Writes every byte (looping over short writes), then fdatasync; the size moves only when both succeeded. */
  async append(data: Buffer): Promise<void> {
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.handle.write(data, done, data.length - done, this.length + done);
        done += bytesWritten;
      }
      await this.handle.datasync();
    } catch (err) {
      throw fileError(err, this.path, 'write');
    }
    this.length += data.length;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
