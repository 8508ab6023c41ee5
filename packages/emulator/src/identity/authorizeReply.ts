import type { ServerResponse } from 'node:http';
import { escapeHtml, sendHtml } from '../httpIo.js';
import type { ReplyTarget } from './authorizeRequest.js';
import type { OAuthError } from './oauthError.js';

/**
 * Sends an authorize answer (code or error) to the client's redirect URI the way it asked:
 * a 302 carrying it in the query or fragment, or (form_post, which MSAL Node always asks for)
 * a page whose form the browser posts to the redirect URI at once.
 */
export function replyToClient(res: ServerResponse, target: ReplyTarget, answer: Record<string, string>): void {
  const fields = { ...answer, ...(target.state === undefined ? {} : { state: target.state }) };
  if (target.responseMode === 'form_post') return sendHtml(res, 200, formPostPage(target.redirectUri, fields));
  const location = new URL(target.redirectUri);
  if (target.responseMode === 'fragment') {
    location.hash = new URLSearchParams(fields).toString();
  } else {
    for (const [name, value] of Object.entries(fields)) location.searchParams.set(name, value);
  }
  res.writeHead(302, { Location: location.toString(), 'Cache-Control': 'no-store', 'Content-Length': '0' });
  res.end();
}

export function errorAnswer(err: OAuthError): Record<string, string> {
  return { error: err.error, error_description: `AADSTS${err.aadsts}: ${err.description} (m365-copilot-mcp emulator)` };
}

function formPostPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>m365-copilot-mcp emulator — returning to the application</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="${escapeHtml(action)}">
${inputs}
<noscript><p>m365-copilot-mcp emulator (not Microsoft's service): press the button to return to the application.</p><button>Continue</button></noscript>
</form>
</body></html>
`;
}
