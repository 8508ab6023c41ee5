import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.js';

/** Child processes run plain JS: the token cache module compiled from the current sources. */
const CACHE_SOURCES = ['src/auth/cache', 'src/log.ts', 'src/errors.ts'];
const CHILD = join(ROOT, 'test/helpers/tokenCacheChild.mjs');

/**
 * Compiles src/auth/cache (and what it imports) into .tmp/, keyed by a hash of the sources so the
 * test files share one build and never run a stale one. Inside the repository so that the
 * compiled code resolves keytar from node_modules.
 */
export async function buildTokenCacheModule(): Promise<string> {
  const hash = createHash('sha256');
  for (const source of CACHE_SOURCES) {
    const path = join(ROOT, source);
    const files = source.endsWith('.ts') ? [path] : (await readdir(path)).filter((f) => f.endsWith('.ts')).sort().map((f) => join(path, f));
    for (const file of files) hash.update(file).update(await readFile(file));
  }
  const outDir = join(ROOT, '.tmp/token-cache-build', hash.digest('hex').slice(0, 16));
  const entry = join(outDir, 'auth/cache/index.js');
  if (!existsSync(entry)) {
    const partial = `${outDir}.partial-${process.pid}`;
    await mkdir(partial, { recursive: true });
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = [tsc, join(ROOT, 'src/auth/cache/index.ts'), '--outDir', partial, '--rootDir', join(ROOT, 'src')];
    args.push('--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck', '--types', 'node');
    await run(process.execPath, args, { cwd: ROOT });
    // Another test file may have finished the same build first; either copy is good.
    await rename(partial, outDir).catch(() => rm(partial, { recursive: true, force: true }));
    for (const old of await readdir(dirname(outDir))) {
      if (!old.startsWith(basename(outDir)) && !old.includes('.partial-')) await rm(join(dirname(outDir), old), { recursive: true, force: true });
    }
  }
  return pathToFileURL(entry).href;
}

export interface ChildOptions {
  /** Run inside a private D-Bus session with a fresh, unlocked gnome-keyring in this HOME. */
  keyringHome?: string;
  /** With keyringHome: start no keyring daemon, so the Secret Service is activated locked, with no way to unlock it. */
  lockedKeyring?: boolean;
  /** Run with no session bus and no display (keytar then cannot reach any keychain). */
  noSessionBus?: boolean;
  timeoutMs?: number;
}

/** Runs one operation of tokenCacheChild.mjs and returns the JSON it prints. */
export async function runTokenCacheChild(moduleUrl: string, command: Record<string, unknown>, opts: ChildOptions = {}): Promise<any> {
  const env = { ...process.env };
  if (opts.keyringHome || opts.noSessionBus) {
    for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY', 'XDG_RUNTIME_DIR', 'XDG_DATA_HOME']) delete env[name];
  }
  const nodeArgs = [CHILD, moduleUrl, JSON.stringify(command)];
  let file = process.execPath;
  let args = nodeArgs;
  if (opts.keyringHome) {
    await mkdir(opts.keyringHome, { recursive: true, mode: 0o700 });
    env.HOME = opts.keyringHome;
    // A new HOME means a new login keyring, created (and unlocked) with the empty password piped in.
    const script = opts.lockedKeyring ? 'exec "$0" "$@"' : 'echo "" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$0" "$@"';
    file = 'dbus-run-session';
    args = ['--', 'sh', '-c', script, process.execPath, ...nodeArgs];
  }
  const stdout = await run(file, args, { cwd: ROOT, env, timeout: opts.timeoutMs ?? 30_000 });
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(lastLine);
}

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
