import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ensurePrivateDir, isNotFound } from './privateFiles.js';
import { isProcessAlive } from '../../util/processAlive.js';

export interface LockHandle {
  /** Idempotent; never removes a lock file that is no longer this holder's. */
  release(): Promise<void>;
}

export interface CacheLockOptions {
  log: Logger;
  /** How long to wait for the lock before failing. */
  timeoutMs?: number;
  /** A lock this old whose holder process is gone may be taken over. */
  staleMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

/**
 * Mutual exclusion for the token cache across processes (an exclusive-create lock file) and,
 * in front of it, within this process (a queue), so concurrent MSAL calls here wait in line instead
 * of polling the file system against each other.
 */
export class CacheLock {
  private readonly timeoutMs: number;
  private readonly staleMs: number;
  private held = false;
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly path: string,
    private readonly opts: CacheLockOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.staleMs = opts.staleMs ?? 10_000;
  }

  async acquire(): Promise<LockHandle> {
    const deadline = Date.now() + this.timeoutMs;
    await this.enterProcessQueue(deadline);
    let ino: number;
    try {
      ino = await this.createLockFile(deadline);
    } catch (err) {
      this.leaveProcessQueue();
      throw err;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          if ((await stat(this.path)).ino === ino) await rm(this.path, { force: true });
        } catch (err) {
          if (!isNotFound(err)) this.opts.log.warn('could not remove the token cache lock file', { lock: this.path, error: (err as Error).message });
        } finally {
          this.leaveProcessQueue();
        }
      },
    };
  }

  private enterProcessQueue(deadline: number): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(this.busyError('another token cache access in this process'));
      }, Math.max(0, deadline - Date.now()));
      this.waiters.push(waiter);
    });
  }

  /** Hands the lock straight to the next waiter, so `held` stays true while anyone is queued. */
  private leaveProcessQueue(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }

  private async createLockFile(deadline: number): Promise<number> {
    let pause = 5;
    for (;;) {
      const ino = await this.tryCreate();
      if (ino !== undefined) return ino;
      if (await this.removeIfStale()) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw this.busyError(await this.describeHolder());
      await sleep(Math.min(left, pause + Math.random() * pause));
      pause = Math.min(pause * 2, 100);
    }
  }

  private async tryCreate(): Promise<number | undefined> {
    let handle;
    try {
      handle = await open(this.path, 'wx', 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return undefined;
      // The state directory was removed while the server runs: make it again rather than fail every token call.
      if (code === 'ENOENT') {
        await ensurePrivateDir(dirname(this.path));
        return undefined;
      }
      throw err;
    }
    try {
      const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await handle.writeFile(JSON.stringify(holder));
      return (await handle.stat()).ino;
    } catch (err) {
      await rm(this.path, { force: true });
      throw err;
    } finally {
      await handle.close();
    }
  }

  /**
   * A holder releases within `staleMs` even when MSAL never ends its access (the plugin's timer),
   * so an older lock whose process is gone was left by a crash. After three times that, the lock is
   * taken over whatever its pid says: after a reboot the pid may belong to an unrelated process.
   * A lock of this host whose process is gone is taken over at once, whatever its age: a server that
   * exits while it holds the lock (the client closed it mid-write) leaves one, and the next server a
   * client starts must not fail on it for the next ten seconds. A reused pid can only make a dead
   * holder look alive (the slow path), never a live one dead.
   */
  private async removeIfStale(): Promise<boolean> {
    let seen;
    try {
      seen = await stat(this.path);
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    const age = Date.now() - seen.mtimeMs;
    const holder = await this.readHolder();
    const holderAlive = holder !== undefined && holder.host === hostname() && isProcessAlive(holder.pid);
    const holderGone = holder !== undefined && holder.host === hostname() && !holderAlive;
    if (age < this.staleMs && !holderGone) return false;
    if (holderAlive && age < 3 * this.staleMs) return false;
    if (holder && holder.host !== hostname() && age < 3 * this.staleMs) return false;
    // Move it aside and check it is the same file: another process may have replaced it meanwhile.
    const grave = `${this.path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(this.path, grave);
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    if ((await stat(grave)).ino !== seen.ino) {
      await link(grave, this.path).catch(() => undefined);
    } else {
      this.opts.log.warn('took over a stale token cache lock', { lock: this.path, holderPid: holder?.pid, ageMs: Math.round(age) });
    }
    await rm(grave, { force: true });
    return true;
  }

  private async readHolder(): Promise<Holder | undefined> {
    try {
      const holder = JSON.parse(await readFile(this.path, 'utf8')) as Partial<Holder>;
      if (typeof holder.pid === 'number' && typeof holder.host === 'string') return holder as Holder;
    } catch {
      // empty (its creator died before writing) or unreadable: unknown holder
    }
    return undefined;
  }

  private async describeHolder(): Promise<string> {
    const holder = await this.readHolder();
    if (!holder) return 'another process';
    return holder.pid === process.pid && holder.host === hostname() ? 'this process' : `process ${holder.pid} on ${holder.host}`;
  }

  private busyError(holder: string): AppError {
    return new AppError('ServiceUnavailable', `the token cache is busy: ${holder} holds its lock ${this.path}`, {
      nextStep: 'Retry in a few seconds. If no other m365-copilot-mcp process is running, delete that lock file.',
      details: { lock: this.path },
    });
  }
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
