import { randomBytes, randomUUID } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, createRequestStateCodec, inputRequired, inputResponse, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import type { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ServerRuntime } from './runtime.js';

/**
 * Sign-in for 2026-07-28 clients that declare URL elicitation: the tool call answers
 * `input_required` with the sign-in page (URL-mode elicitation travels in the multi-round-trip
 * result on this revision), and the client retries the same call once the user has been there.
 *
 * The `requestState` the client echoes is integrity-protected and bound, as the spec requires
 * (basic/patterns/mrtr: servers MUST protect state that influences behaviour): HMAC-SHA256 with a
 * key of this process (stdio: one process serves every round), a TTL, and a binding to the method
 * and this connection (the local user's session); the payload names the tool, checked on re-entry.
 * It carries no secret: the device code stays in the broker.
 */
const PROCESS_KEY = randomBytes(32);
const STATE_TTL_SECONDS = 15 * 60;
const MAX_SIGN_IN_WAIT_MS = 15 * 60_000;
const RESPONSE_KEY = 'signIn';

interface SignInState {
  flow: 'sign-in';
  tool: string;
}

type McpReq = ServerContext['mcpReq'];

export interface SignInRounds {
  /** The `requestState.verify` hook for this connection's server. */
  verify: (state: string, ctx: ServerContext) => Promise<unknown>;
  /** Does this request's client take URL-mode elicitation (2026-07-28: declared per request)? */
  clientTakesUrl(mcpReq: McpReq, connectionCapabilities: { elicitation?: { url?: unknown } } | undefined): boolean;
  /** The input_required answer showing the sign-in page for `tool`. */
  ask(pending: AppError, tool: string, ctx: ServerContext): Promise<InputRequiredResult | undefined>;
  /**
   * On a retried call: 'signed-in' when the user accepted and the sign-in finished, 'declined' when
   * they declined (or it did not finish in time), undefined when this round is not a sign-in retry.
   */
  resume(tool: string, mcpReq: McpReq, runtime: ServerRuntime, log: Logger): Promise<'signed-in' | 'declined' | undefined>;
}

export function signInRounds(): SignInRounds {
  const connection = randomUUID();
  const codec = createRequestStateCodec<SignInState>({
    key: PROCESS_KEY,
    ttlSeconds: STATE_TTL_SECONDS,
    bind: (ctx) => `${ctx.mcpReq.method}\0${connection}`,
  });
  return {
    verify: (state, ctx) => codec.verify(state, ctx),
    clientTakesUrl(mcpReq, connectionCapabilities) {
      // The SDK lifts the reserved `_meta` keys into `envelope` before the handler runs.
      const fromMeta = (meta: unknown) => (meta as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: { url?: unknown } } | undefined;
      const perRequest = fromMeta(mcpReq.envelope) ?? fromMeta(mcpReq._meta);
      return Boolean(perRequest?.elicitation?.url ?? connectionCapabilities?.elicitation?.url);
    },
    async ask(pending, tool, ctx) {
      const url = String(pending.details['verificationUri'] ?? '');
      const code = String(pending.details['userCode'] ?? '');
      if (!url || !code) return undefined;
      return inputRequired({
        inputRequests: { [RESPONSE_KEY]: inputRequired.elicitUrl({ message: `Sign in to Microsoft 365 for m365-copilot-mcp: open the page and enter the code ${code}.`, url }) },
        requestState: await codec.mint({ flow: 'sign-in', tool }, ctx),
      });
    },
    async resume(tool, mcpReq, runtime, log) {
      const state = mcpReq.requestState<SignInState>();
      if (state === undefined || typeof state !== 'object' || state.flow !== 'sign-in' || state.tool !== tool) return undefined;
      const answer = inputResponse(mcpReq.inputResponses, RESPONSE_KEY);
      const accepted = answer.kind === 'elicit' && answer.action === 'accept';
      log.info('sign-in input answered', { accepted });
      if (!accepted || !runtime.broker.awaitSignIn) return 'declined';
      return (await runtime.broker.awaitSignIn(MAX_SIGN_IN_WAIT_MS, mcpReq.signal)) ? 'signed-in' : 'declined';
    },
  };
}
