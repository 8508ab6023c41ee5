import { dirname } from 'node:path';
import { AppError } from '../../errors.js';

/**
 * A local file problem, worded for the person who chose the path. There is no file-specific error
 * code, and the path is the caller's argument, so these are InvalidArgument with the errno attached.
 */
export function fileError(err: unknown, path: string, doing: string): AppError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const why: Record<string, [string, string]> = {
    ENOENT: [`the directory ${dirname(path)} does not exist`, 'Create the directory first, or choose an outputFile in an existing one.'],
    EACCES: ['permission denied', 'Choose an outputFile in a directory this server may write to.'],
    EPERM: ['permission denied', 'Choose an outputFile in a directory this server may write to.'],
    EISDIR: ['it is a directory', 'Give the path of a file, e.g. /path/to/export.jsonl.'],
    ENOTDIR: ['a part of the path is not a directory', 'Check the outputFile path.'],
    EROFS: ['the file system is read-only', 'Choose an outputFile on a writable disk.'],
    ENOSPC: ['the disk is full', 'Free some space, then call again with the same outputFile: the export resumes where it stopped.'],
    EDQUOT: ['the disk quota is used up', 'Free some space, then call again with the same outputFile: the export resumes where it stopped.'],
  };
  const [reason, nextStep] = (errno && why[errno]) || [(err as Error)?.message ?? String(err), 'Check the outputFile path and the disk, then call again with the same outputFile to resume.'];
  return new AppError('InvalidArgument', `cannot ${doing} ${path}: ${reason}`, { cause: err, nextStep, details: { ...(errno ? { errno } : {}) } });
}

export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
