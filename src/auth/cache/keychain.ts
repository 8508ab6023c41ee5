import { randomBytes } from 'node:crypto';
import { redactText } from '../../log.js';

/** The part of keytar this project uses; typed here so the build never needs keytar installed. */
interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/** One keychain service, every call bounded in time: a Secret Service call can hang for good. */
export interface KeychainClient {
  readonly service: string;
  /** "Secret Service", "macOS Keychain", "Windows Credential Manager". */
  readonly kind: string;
  /** Largest value one entry should hold; longer values are split by the caller. */
  readonly maxValueChars: number;
  get(account: string): Promise<string | null>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<boolean>;
  accounts(): Promise<string[]>;
}

export type KeychainProbe = { ok: true; client: KeychainClient } | { ok: false; reason: string };

export interface ProbeOptions {
  /** How long the probe may take before the keychain counts as unavailable. */
  probeTimeoutMs?: number;
  /** Bound on each later call. */
  callTimeoutMs?: number;
  /** Tests replace the import. */
  load?: () => Promise<unknown>;
  /** Tests lower the per-entry limit to exercise splitting. */
  maxValueChars?: number;
}

// A variable specifier keeps TypeScript from resolving the optional module at build time.
const KEYTAR = 'keytar';

/** Loads keytar and proves the keychain works with a set/get/delete round trip, once. */
export async function probeKeychain(service: string, opts: ProbeOptions = {}): Promise<KeychainProbe> {
  let keytar: Keytar;
  try {
    keytar = asKeytar(await (opts.load ?? (() => import(KEYTAR)))());
  } catch (err) {
    return { ok: false, reason: describeLoadFailure(err) };
  }
  const probeTimeoutMs = opts.probeTimeoutMs ?? 3_000;
  const account = `probe-${process.pid}-${randomBytes(4).toString('hex')}`;
  const value = randomBytes(12).toString('hex');
  try {
    await withTimeout(
      (async () => {
        await keytar.setPassword(service, account, value);
        const read = await keytar.getPassword(service, account);
        await keytar.deletePassword(service, account);
        if (read !== value) throw new Error('a value written to the keychain did not read back');
      })(),
      probeTimeoutMs,
      'the keychain',
    );
  } catch (err) {
    return { ok: false, reason: `keychain unavailable: ${messageOf(err)}` };
  }
  return { ok: true, client: createClient(keytar, service, opts.callTimeoutMs ?? 10_000, opts.maxValueChars ?? defaultMaxValueChars()) };
}

function createClient(keytar: Keytar, service: string, timeoutMs: number, maxValueChars: number): KeychainClient {
  const bounded = <T>(what: string, call: () => Promise<T>) => withTimeout(call(), timeoutMs, `the keychain (${what})`);
  return {
    service,
    kind: keychainKind(),
    maxValueChars,
    get: (account) => bounded('read', () => keytar.getPassword(service, account)),
    set: (account, value) => bounded('write', () => keytar.setPassword(service, account, value)),
    delete: (account) => bounded('delete', () => keytar.deletePassword(service, account)),
    accounts: () => bounded('list', async () => (await keytar.findCredentials(service)).map((c) => c.account)),
  };
}

/** Windows Credential Manager caps a credential at 2,560 bytes; the others take tens of KB. */
function defaultMaxValueChars(): number {
  return process.platform === 'win32' ? 1_200 : 32_000;
}

function keychainKind(): string {
  if (process.platform === 'darwin') return 'macOS Keychain';
  if (process.platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

function asKeytar(mod: unknown): Keytar {
  const candidate = ((mod as { default?: unknown }).default ?? mod) as Partial<Keytar>;
  for (const fn of ['getPassword', 'setPassword', 'deletePassword', 'findCredentials'] as const) {
    if (typeof candidate[fn] !== 'function') throw new Error(`the keytar module has no ${fn}()`);
  }
  return candidate as Keytar;
}

function describeLoadFailure(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /keytar/.test(messageOf(err))) {
    return 'keytar is not installed (it is an optional dependency)';
  }
  return `keytar could not be loaded: ${messageOf(err)}`;
}

export function messageOf(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

/** Rejects after `ms` without keeping the process alive; the hung call itself cannot be cancelled. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
