/**
 * One error family for everything a user or a model can act on. Each carries a stable `code`,
 * a message, the next step to take, and the cause. Bugs stay plain `Error`s and are not mapped.
 */
export type ErrorCode =
  | 'InvalidArgument'
  | 'ConfigInvalid'
  | 'AuthRequired'
  | 'AuthPending'
  | 'AuthFailed'
  | 'Unauthenticated'
  | 'Forbidden'
  | 'LicenseRequired'
  | 'NotFound'
  | 'Throttled'
  /** This server's own per-user Retrieval budget is used up; no request was sent. */
  | 'BudgetExhausted'
  /** The audit record of a call could not be written, so its answer is withheld. */
  | 'AuditFailed'
  | 'ServiceUnavailable'
  | 'GraphError'
  | 'BadGraphResponse'
  | 'NetworkError'
  /** The shared token cache (Redis) cannot be reached; retryable. */
  | 'CacheUnavailable'
  | 'Cancelled'
  | 'NotReady'
  | 'EmulatorError';

export interface AppErrorOptions {
  nextStep?: string;
  cause?: unknown;
  /** Machine-readable extras that are safe to show (never secrets). */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly nextStep: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.nextStep = options.nextStep;
    this.details = options.details ?? {};
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
