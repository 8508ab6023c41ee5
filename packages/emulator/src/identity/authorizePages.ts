import { escapeHtml } from '../httpIo.js';
import type { EmuApp, EmuUser } from '../model.js';
import type { OAuthError } from './oauthError.js';

const HEAD = (title: string): string =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>m365-copilot-mcp emulator — ${escapeHtml(title)}</title></head>
<body>
<h1>m365-copilot-mcp emulator — not Microsoft's service</h1>
<p>This is a local <em>emulator</em> of a Microsoft 365 tenant. Its users and data are fictional; no password is asked.</p>
`;

export interface ConsentPageOptions {
  /** The path the form posts back to (the authorize endpoint the request came to). */
  action: string;
  app: EmuApp;
  /** Permissions being asked for, as the scope string names them. */
  permissions: string[];
  users: EmuUser[];
  selectedUpn: string | undefined;
  /** The original request parameters, carried through the form unchanged. */
  params: URLSearchParams;
  notice?: string;
}

/**
 * Sign-in and consent in one step: pick a fictional user, approve or deny. Scripts post the same
 * fields (the original parameters, `upn`, `decision=approve|deny`) without a browser.
 */
export function consentPage(opts: ConsentPageOptions): string {
  const hidden = [...opts.params]
    .filter(([name]) => name !== 'upn' && name !== 'decision')
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const selected = opts.selectedUpn?.toLowerCase();
  const options = opts.users
    .map((u) => {
      const mark = u.upn.toLowerCase() === selected ? ' selected' : '';
      return `<option value="${escapeHtml(u.upn)}"${mark}>${escapeHtml(u.displayName)} (${escapeHtml(u.upn)})</option>`;
    })
    .join('');
  const permissions = opts.permissions.map((p) => `<li>${escapeHtml(p)}</li>`).join('');
  const notice = opts.notice === undefined ? '' : `<p role="status"><strong>${escapeHtml(opts.notice)}</strong></p>\n`;
  return `${HEAD('sign in and consent')}${notice}<p><strong>${escapeHtml(opts.app.displayName)}</strong> asks to sign you in and to use these permissions:</p>
<ul>${permissions}</ul>
<form method="post" action="${escapeHtml(opts.action)}">
${hidden}
<label>Sign in as <select name="upn">${options}</select></label>
<button name="decision" value="approve">Approve</button>
<button name="decision" value="deny">Deny</button>
</form>
</body></html>
`;
}

/** Shown instead of redirecting when the client or its redirect URI cannot be trusted with an answer. */
export function authorizeErrorPage(err: OAuthError): string {
  return `${HEAD('sign-in error')}<p role="alert"><strong>${escapeHtml(err.error)}</strong>: AADSTS${err.aadsts}: ${escapeHtml(err.description)}</p>
</body></html>
`;
}
