/**
 * The token broker: the only place tools' Graph calls get credentials from. Implementations keep
 * MSAL (or any other library) behind this interface; tokens never leave it except as the string
 * handed to the Graph client.
 */
export type TokenFlow = 'delegated' | 'app';

export interface TokenRequest {
  flow: TokenFlow;
  /** Bare Graph permission names, e.g. ["Files.Read.All"]; the broker adds the resource prefix. */
  scopes: string[];
  /** Skip cached access tokens (after Graph rejected one). */
  forceRefresh?: boolean;
  /**
   * Never start a sign-in: a token that cannot be had from the cache or a refresh fails with
   * AuthRequired instead (for extras a tool can do without; brokers that never prompt ignore it).
   */
  silentOnly?: boolean;
}

export interface SignedInAccount {
  /** Entra object id of the user. */
  userId: string;
  upn: string;
  displayName?: string;
  tenantId: string;
  homeAccountId: string;
}

export interface TokenGrant {
  accessToken: string;
  expiresOn: Date | undefined;
  /** Scopes the token carries, as granted (bare names). */
  scopes: string[];
  account?: SignedInAccount;
}

export interface TokenBroker {
  getToken(request: TokenRequest, signal?: AbortSignal): Promise<TokenGrant>;
  /** The signed-in account, if any, without starting a sign-in. */
  currentAccount(): Promise<SignedInAccount | undefined>;
  /** Waits for a pending interactive sign-in to finish; false if it did not within the time. */
  awaitSignIn?(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Every delegated scope granted to the signed-in account so far (tokens are minted per tool, smaller). */
  grantedScopes?(): string[];
}
