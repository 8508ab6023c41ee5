import type { TokenCache } from '../../auth/cache/types.js';
import type { Endpoints } from '../../config/endpoints.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { ToolDefinition } from '../../tools/tool.js';

/** pass: works; fail: something a tool needs is broken (exit 1); warn: works, but worse than it could; skip: not checked. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** One line: what was found. */
  detail: string;
  /** The next step, when there is one. */
  fix?: string;
  /** Tools that cannot work because of this failure. */
  tools?: string[];
}

/** What earlier checks learned, for later ones. Filled as the checks run, in order. */
export interface DoctorState {
  /** The configuration as the CLI loaded it, or why it could not. */
  loaded: Config | Error;
  log: Logger;
  config?: Config;
  endpoints?: Endpoints;
  /** Stops what finding the endpoints started (--demo's in-process emulator). */
  stop?: () => Promise<void>;
  /** Tools left out because their API does not exist in this cloud. */
  unavailable: { name: string; reason: string }[];
  /** The tools this configuration registers (enabled, then filtered by cloud). */
  tools: ToolDefinition[];
  authorityReachable?: boolean;
  graphReachable?: boolean;
  cache?: TokenCache;
  /** A delegated Graph token got silently (never by a new sign-in). */
  delegated?: { accessToken: string; upn: string; scopes: string[]; acquire(scopes: string[]): Promise<{ scopes: string[] }> };
}

export interface DoctorCheck {
  id: string;
  title: string;
  run(state: DoctorState): Promise<Omit<CheckResult, 'id' | 'title'>>;
}

export const skip = (detail: string): Omit<CheckResult, 'id' | 'title'> => ({ status: 'skip', detail });

/** Tools that need a delegated token (everything but app-only export). */
export function delegatedTools(state: DoctorState): string[] {
  return state.tools.filter((t) => t.permissions.delegated.length > 0).map((t) => t.name);
}

export function errorText(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause && !String(e?.message).includes(cause) ? ` (${cause})` : ''}`;
}
