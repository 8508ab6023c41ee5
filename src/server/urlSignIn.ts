import { randomUUID } from 'node:crypto';
import type { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ServerRuntime } from './runtime.js';

const MAX_SIGN_IN_WAIT_MS = 15 * 60_000;

/**
 * Shows the device-code page through URL-mode elicitation (2025 era) and waits for the sign-in to
 * finish. True when the user completed it; false when they declined or it did not finish in time.
 */
export async function signInThroughUrlElicitation(
  pending: AppError,
  sdkCtx: { mcpReq: { elicitInput: (p: { mode: 'url'; message: string; url: string; elicitationId: string }) => Promise<{ action: string }>; signal: AbortSignal } },
  runtime: ServerRuntime,
  log: Logger,
): Promise<boolean> {
  const url = String(pending.details['verificationUri'] ?? '');
  const code = String(pending.details['userCode'] ?? '');
  const expiresAt = Date.parse(String(pending.details['expiresAt'] ?? '')) || Date.now() + MAX_SIGN_IN_WAIT_MS;
  if (!url || !code || !runtime.broker.awaitSignIn) return false;
  const answer = await sdkCtx.mcpReq.elicitInput({
    mode: 'url',
    message: `Sign in to Microsoft 365 for m365-copilot-mcp: open the page and enter the code ${code}.`,
    url,
    elicitationId: randomUUID(),
  });
  log.info('sign-in URL elicitation answered', { action: answer.action });
  if (answer.action !== 'accept') return false;
  return runtime.broker.awaitSignIn(Math.min(MAX_SIGN_IN_WAIT_MS, Math.max(0, expiresAt - Date.now())), sdkCtx.mcpReq.signal);
}
