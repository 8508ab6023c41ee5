import { OAuthError } from './oauthError.js';
import { GRAPH_APP_ID } from './scopeGrants.js';

export const INJECTABLE_ERRORS = ['interaction_required', 'consent_required', 'invalid_grant', 'login_required'] as const;
export type InjectableError = (typeof INJECTABLE_ERRORS)[number];

export const INJECTABLE_GRANTS = ['refresh_token', 'authorization_code', 'device_code', 'client_credentials', 'on_behalf_of'] as const;
export type InjectableGrant = (typeof INJECTABLE_GRANTS)[number];

/** One queued "the next matching token request fails with…" (POST /_emulator/errors/next). */
export interface InjectedErrorRule {
  error: InjectableError;
  /** Only requests of this grant; any grant when absent. */
  grant?: InjectableGrant;
  /** Only delegated requests for this user; any request when absent. */
  upn?: string;
  /** How many more matching requests fail. */
  count: number;
  suberror?: string;
  /** Replaces the default description (the AADSTS prefix and trace lines are still added). */
  description?: string;
}

export interface TokenRequestFacts {
  grant: string;
  clientId: string;
  /** The signed-in user, for delegated grants. */
  upn?: string;
  /** Graph permissions the request would be granted. */
  scopes: string[];
}

// What Entra says in each case, so a client's error mapping sees familiar numbers.
const AADSTS: Record<InjectableError, number> = {
  interaction_required: 50076,
  consent_required: 65001,
  invalid_grant: 70008,
  login_required: 50058,
};

function defaultDescription(error: InjectableError, facts: TokenRequestFacts): string {
  switch (error) {
    case 'interaction_required':
      return `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${GRAPH_APP_ID}'.`;
    case 'consent_required': {
      const scopes = facts.scopes.length > 0 ? facts.scopes.join(', ') : 'the requested permissions';
      return `The user or administrator has not consented to use the application with ID '${facts.clientId}' for ${scopes}. Send an interactive authorization request for this user and resource.`;
    }
    case 'invalid_grant':
      return 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.';
    case 'login_required':
      return 'A silent sign-in request was sent but no user is signed in. The user must sign in again.';
  }
}

/** Errors a test asked for, handed out in the order queued to the token requests they match. */
export class InjectedErrors {
  private rules: InjectedErrorRule[] = [];

  add(rule: InjectedErrorRule): void {
    this.rules.push({ ...rule });
  }

  clear(): number {
    const count = this.rules.length;
    this.rules = [];
    return count;
  }

  pending(): InjectedErrorRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The error to answer instead of a token, when a queued rule matches (using up one of its count). */
  take(facts: TokenRequestFacts): OAuthError | undefined {
    const index = this.rules.findIndex(
      (r) => (r.grant === undefined || r.grant === facts.grant) && (r.upn === undefined || r.upn.toLowerCase() === facts.upn?.toLowerCase()),
    );
    const rule = this.rules[index];
    if (rule === undefined) return undefined;
    rule.count -= 1;
    if (rule.count <= 0) this.rules.splice(index, 1);
    return new OAuthError(400, rule.error, AADSTS[rule.error], rule.description ?? defaultDescription(rule.error, facts), rule.suberror);
  }
}
