import { open, unlink } from 'node:fs/promises';
import { AppError } from '../../errors.js';
import { fileError } from './fileErrors.js';
import { readOwnedFile } from './ownedFile.js';
import { isProcessAlive } from '../../util/processAlive.js';

/** Files this process is exporting into right now. */
const active = new Set<string>();

export interface FileLock {
  release(): Promise<void>;
}

/**
 * One export per outputFile at a time, across calls and processes: two writers would interleave
 * lines and overwrite each other's cursor. A client that times out and calls again while the first
 * call still runs is the likely way to get here. The lock names its process, so a lock left by a
 * killed server (the resume-after-crash case) is recognised as stale and taken over.
 */
export async function lockOutputFile(outputFile: string): Promise<FileLock> {
  const lockPath = `${outputFile}.lock`;
  if (active.has(outputFile)) throw busy(outputFile, lockPath, process.pid);
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(err, lockPath, 'create the lock file');
      // A lock of another user (or a symlink, a FIFO) is never taken over: readOwnedFile refuses it.
      const holder = await lockHolder(lockPath);
      if (attempt >= 2 || (holder !== undefined && holder !== process.pid && isProcessAlive(holder))) throw busy(outputFile, lockPath, holder);
      // Stale: its process is gone (or it is this process's own leftover, which `active` would have caught).
      await unlink(lockPath).catch(() => undefined);
    }
  }
  active.add(outputFile);
  return {
    async release() {
      active.delete(outputFile);
      await unlink(lockPath).catch(() => undefined);
    },
  };
}

async function lockHolder(lockPath: string): Promise<number | undefined> {
  const text = await readOwnedFile(lockPath, 4096, 'read the lock file');
  try {
    const pid = (JSON.parse(text ?? '') as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // Half-written: the writer died between creating and filling it.
    return undefined;
  }
}


function busy(outputFile: string, lockPath: string, pid: number | undefined): AppError {
  return new AppError('InvalidArgument', `an export into ${outputFile} is already running${pid ? ` (process ${pid})` : ''}`, {
    nextStep: `Wait for it to finish (or cancel it), then call again with the same outputFile to continue. If no export is running, delete ${lockPath}.`,
    details: { lockFile: lockPath },
  });
}
