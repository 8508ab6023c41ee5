import type { SignedInAccount } from '../broker.js';
import { toSignedIn, type PublicClientSession } from './publicClientSession.js';

/** What the terminal commands (status, logout) read and remove: the cached accounts of this cloud. */
export class AccountStore {
  constructor(private readonly session: PublicClientSession) {}

  async accounts(): Promise<SignedInAccount[]> {
    if (!this.session.configured) return [];
    return (await this.session.cachedAccounts(await this.session.client())).map(toSignedIn);
  }

  /** The serialized cache, for `status` to read scopes and expiry (never printed as is). */
  async cacheSnapshot(): Promise<string> {
    return (await this.session.client()).getTokenCache().serialize();
  }

  /** Removes one cached account (by UPN, default the selected one) or all; returns the UPNs removed. */
  async signOut(which: { upn?: string; all?: boolean }): Promise<string[]> {
    const pca = await this.session.client();
    const accounts = await this.session.cachedAccounts(pca);
    const upn = (which.upn ?? this.session.opts.account ?? accounts[0]?.username ?? '').toLowerCase();
    const targets = which.all ? accounts : accounts.filter((a) => a.username.toLowerCase() === upn);
    for (const a of targets) await pca.getTokenCache().removeAccount(a);
    this.session.memo.clear();
    return targets.map((a) => a.username);
  }
}
