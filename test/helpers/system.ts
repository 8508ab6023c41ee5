import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { beforeAll } from 'vitest';
import { ROOT } from './paths.js';
import { IN_CI } from './tiers.js';

/**
 * Tests that need a program or service of the machine that `npm ci` cannot provide. Where one is
 * missing, the tests that need it are skipped, and the run says so once (test/helpers/globalSetup.ts
 * lists what is missing and which files it skips). With CI=true nothing is skipped: those tests
 * fail, naming what to install. `.ci/run` installs all of them.
 *
 *   const skip = skipWithout('redis-server');
 *   describe.skipIf(skip)('…', () => { … });
 */
export type SystemNeed = 'redis-server' | 'haproxy' | 'keychain' | 'image-build';

export const SYSTEM_NEEDS: Record<SystemNeed, { what: string; missing: () => string[] }> = {
  'redis-server': {
    what: 'a real Redis server (the distributed token cache)',
    missing: () => (redisServerBinary() ? [] : [`redis-server not found${process.env['REDIS_SERVER_BIN'] ? ` at REDIS_SERVER_BIN=${process.env['REDIS_SERVER_BIN']}` : ' on PATH'} (apt-get install redis-server)`]),
  },
  haproxy: {
    what: "a real load balancer (Debian's haproxy) in front of several HTTP instances",
    missing: () => (haproxyBinary() ? [] : ['haproxy not found on PATH or in /usr/sbin (apt-get install haproxy)']),
  },
  keychain: {
    what: 'an OS keychain: gnome-keyring in a private D-Bus session, reached through keytar',
    missing: () => [
      ...['dbus-run-session', 'gnome-keyring-daemon'].filter((c) => !onPath(c)).map((c) => `${c} not found (apt-get install dbus gnome-keyring)`),
      ...keytarProblem(),
    ],
  },
  'image-build': {
    what: 'building and running the container image (debootstrap, buildah, root)',
    missing: () => [
      ...['debootstrap', 'buildah'].filter((c) => !onPath(c)).map((c) => `${c} not found (apt-get install ${c})`),
      ...(process.getuid?.() === 0 ? [] : ['not root (debootstrap and buildah run as root here)']),
    ],
  },
};

const memo = new Map<SystemNeed, string[]>();
export function missingFor(need: SystemNeed): string[] {
  if (!memo.has(need)) memo.set(need, SYSTEM_NEEDS[need].missing());
  return memo.get(need)!;
}

/**
 * True when the calling test file should skip: something it needs is missing and this is not CI.
 * Under CI a missing need makes every test of the file fail (a file-level beforeAll that throws).
 * Call it at the top level of a test file.
 */
export function skipWithout(...needs: SystemNeed[]): boolean {
  const problems = needs.flatMap((n) => missingFor(n).map((p) => `${n}: ${p}`));
  if (problems.length === 0) return false;
  if (!IN_CI) return true;
  beforeAll(() => {
    throw new Error(`CI=true runs every test, and this file needs what the machine lacks:\n  ${problems.join('\n  ')}\n.ci/run installs all of it with apt-get before npm ci.`);
  });
  return false;
}

/** The redis-server the tests start: REDIS_SERVER_BIN, else the one on PATH. */
export function redisServerBinary(): string | undefined {
  const explicit = process.env['REDIS_SERVER_BIN'];
  if (explicit) return isAbsolute(explicit) ? (existsSync(explicit) ? explicit : undefined) : onPath(explicit);
  return onPath('redis-server');
}

/** haproxy lives in /usr/sbin on Debian, which a non-root PATH may not include. */
export function haproxyBinary(): string | undefined {
  return onPath('haproxy') ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : undefined);
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** keytar must load in this Node (it is a native module, built by npm ci against libsecret for one Node ABI). */
function keytarProblem(): string[] {
  if (!existsSync(join(ROOT, 'node_modules/keytar/build/Release/keytar.node'))) return ['keytar is not built in node_modules (apt-get install libsecret-1-dev, then npm ci)'];
  const probe = spawnSync(process.execPath, ['-e', "require('keytar')"], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 });
  if (probe.status === 0) return [];
  const why = (probe.stderr || probe.error?.message || '').split('\n').find((l) => /Error|error:/.test(l)) ?? 'unknown error';
  return [`keytar does not load in Node ${process.version} (${why.trim().slice(0, 160)}); run npm ci with this Node`];
}
