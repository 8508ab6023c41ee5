import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The file's text, or undefined when there is none yet (a symlinked file is read through its link). */
export async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Replaces a client's configuration file: a timestamped copy of the old one first
 * (`FILE.bak-20261202T071500Z`), then the new text written beside it and renamed over it, so a
 * crash leaves the old file or the new one, never half of each. The file keeps its mode; a
 * symlink (dotfile managers) keeps pointing at the file, which is what gets replaced.
 */
export async function writeWithBackup(path: string, text: string, now: Date): Promise<{ backup: string | undefined; written: string }> {
  const target = await realpath(path).catch(() => path);
  const old = await stat(target).catch(() => undefined);
  let backup: string | undefined;
  if (old) {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    for (let n = 0; backup === undefined; n++) {
      const candidate = `${target}.bak-${stamp}${n === 0 ? '' : `-${n}`}`;
      try {
        await copyFile(target, candidate, constants.COPYFILE_EXCL);
        backup = candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } else {
    await mkdir(dirname(target), { recursive: true });
  }
  // A new file may come to hold a secret in its env block: only its owner reads it.
  const mode = old ? old.mode & 0o777 : 0o600;
  const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, text, { flag: 'wx', mode });
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { backup, written: target };
}
