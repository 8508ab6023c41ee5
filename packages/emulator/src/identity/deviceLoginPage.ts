import type { EmuUser } from '../model.js';
import { escapeHtml } from '../httpIo.js';

/**
 * The page behind `verification_uri`. It says plainly that this is an emulator, and lets a
 * person approve a code for one of the fictional users (tests use the control route instead).
 */
export function deviceLoginPage(opts: { users: EmuUser[]; controlUrl: string; notice?: string }): string {
  const options = opts.users
    .map((u) => `<option value="${escapeHtml(u.upn)}">${escapeHtml(u.displayName)} (${escapeHtml(u.upn)})</option>`)
    .join('');
  const notice = opts.notice === undefined ? '' : `<p role="status"><strong>${escapeHtml(opts.notice)}</strong></p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>m365-copilot-mcp emulator — device sign-in</title></head>
<body>
<h1>m365-copilot-mcp emulator</h1>
<p>This is a local <em>emulator</em> of a Microsoft 365 tenant, not Microsoft's sign-in service.
Its users and data are fictional. No password is asked: choose who you are and approve the code.</p>
${notice}
<form method="post" action="/devicelogin">
<label>Code <input name="user_code" autocomplete="off" required placeholder="ABCD-EFGH"></label>
<label>User <select name="upn">${options}</select></label>
<button name="action" value="approve">Approve</button>
<button name="action" value="deny">Deny</button>
</form>
<p>Scripts approve with <code>POST ${escapeHtml(opts.controlUrl)}/devicecode/approve</code> and the JSON body
<code>{"userCode": "ABCD-EFGH", "upn": "user@domain"}</code> (or <code>/deny</code>), sending the header
<code>X-Emulator-Control-Key</code> with the descriptor's <code>controlKey</code>; <code>--demo</code> approves automatically.</p>
</body></html>
`;
}
