import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { AppError } from '../../errors.js';
import { fileError, isMissing } from './fileErrors.js';

/**
 * Opening a file a model named, without letting the name reach anything else: never through a
 * symlink (O_NOFOLLOW), never blocking on a FIFO or a device (O_NONBLOCK: the open returns at once
 * and fstat then says it is no regular file), and only a regular file of this user with one link
 * (a hard link would let a write land in a file somewhere else). The checks run on the opened
 * descriptor, so nothing can be swapped in between the check and the use.
 */
const NO_SURPRISES = constants.O_NOFOLLOW | constants.O_NONBLOCK;

export type OpenIntent = 'create' | 'existing-read' | 'existing-write';

const FLAGS: Record<OpenIntent, number> = {
  create: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_SURPRISES,
  'existing-read': constants.O_RDONLY | NO_SURPRISES,
  'existing-write': constants.O_RDWR | NO_SURPRISES,
};

/** Opens and vets the file; undefined when an existing one was asked for and there is none. */
export async function openOwnedFile(path: string, intent: OpenIntent, doing: string): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS[intent], 0o600);
  } catch (err) {
    if (intent !== 'create' && isMissing(err)) return undefined;
    // O_NOFOLLOW on a symlink answers ELOOP; a FIFO without a reader answers ENXIO to a non-blocking write open.
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno === 'ELOOP' || errno === 'ENXIO') throw notARegularFile(path, errno === 'ELOOP' ? 'a symbolic link' : 'a pipe or device');
    throw fileError(err, path, doing);
  }
  try {
    vet(path, await handle.stat());
    return handle;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** Reads a small file of ours (a cursor, a lock) through the same checks; undefined when missing. */
export async function readOwnedFile(path: string, maxBytes: number, doing: string): Promise<string | undefined> {
  const handle = await openOwnedFile(path, 'existing-read', doing);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new AppError('InvalidArgument', `${path} is ${size} bytes, larger than any file this server writes there (${maxBytes})`, { nextStep: `Remove ${path} or choose another outputFile.` });
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buf, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buf.subarray(0, read).toString('utf8');
  } catch (err) {
    throw err instanceof AppError ? err : fileError(err, path, doing);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function vet(path: string, s: Stats): void {
  if (!s.isFile()) throw notARegularFile(path, s.isDirectory() ? 'a directory' : s.isFIFO() ? 'a pipe' : s.isSocket() ? 'a socket' : 'a device or special file');
  const uid = process.getuid?.();
  if (uid !== undefined && s.uid !== uid)
    throw new AppError('InvalidArgument', `${path} belongs to another user (uid ${s.uid}); this server only writes and resumes files of its own user`, {
      nextStep: 'Choose another outputFile; remove the other user\'s file if it should not be there.',
      details: { ownerUid: s.uid },
    });
  if (s.nlink > 1)
    throw new AppError('InvalidArgument', `${path} has ${s.nlink} hard links, so writing it would change another file too`, { nextStep: 'Choose another outputFile.' });
}

function notARegularFile(path: string, what: string): AppError {
  return new AppError('InvalidArgument', `${path} is ${what}, not a regular file; the export writes only regular files it creates`, {
    nextStep: 'Choose another outputFile name in the export directory.',
  });
}
