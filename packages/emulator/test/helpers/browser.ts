import { request, type RawResponse } from './emulator-identity-helpers.js';

/**
 * A "browser" for the authorization code flow, without a browser: follows redirects, answers the
 * emulator's consent page, and submits form_post answers to the client's loopback redirect URI
 * (which is what MSAL Node's acquireTokenInteractive listens for).
 */
export interface ConsentChoice {
  decision: 'approve' | 'deny';
  /** Sign in as this user instead of the one the page preselects. */
  upn?: string;
}

export interface BrowseResult {
  /** Every URL loaded, in order (methods included: "POST http://localhost:…/"). */
  visited: string[];
  /** Whether the consent page was shown (false when the emulator auto-approved). */
  sawConsent: boolean;
  /** The last answer: for MSAL's loopback, its success or error template. */
  final: RawResponse;
}

function decodeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
}

interface HtmlForm {
  action: string;
  fields: [string, string][];
  selectedUpn: string | undefined;
  isConsent: boolean;
}

function parseForm(html: string): HtmlForm | undefined {
  const form = /<form method="post" action="([^"]*)">/.exec(html);
  if (form?.[1] === undefined) return undefined;
  const fields = [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(
    (m): [string, string] => [decodeHtml(m[1] ?? ''), decodeHtml(m[2] ?? '')],
  );
  const selected = /<option value="([^"]*)" selected>/.exec(html)?.[1];
  return {
    action: decodeHtml(form[1]),
    fields,
    selectedUpn: selected === undefined ? undefined : decodeHtml(selected),
    isConsent: html.includes('name="decision"'),
  };
}

export async function browse(startUrl: string, opts: { ca: string; consent?: ConsentChoice }): Promise<BrowseResult> {
  const visited: string[] = [];
  let sawConsent = false;
  let next: { method: string; url: string; body?: string } = { method: 'GET', url: startUrl };
  for (let step = 0; step < 10; step++) {
    visited.push(`${next.method} ${next.url}`);
    const res = await request(next.url, {
      method: next.method,
      ...(next.url.startsWith('https:') ? { ca: opts.ca } : {}),
      ...(next.body === undefined ? {} : { body: next.body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
    });
    const location = res.headers['location'];
    if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
      next = { method: 'GET', url: new URL(location, next.url).toString() };
      continue;
    }
    const form = res.status < 500 && String(res.headers['content-type']).startsWith('text/html') ? parseForm(res.text) : undefined;
    if (form === undefined) return { visited, sawConsent, final: res };
    const fields = new URLSearchParams(form.fields);
    if (form.isConsent) {
      if (sawConsent) return { visited, sawConsent, final: res }; // shown again: the choice was refused
      sawConsent = true;
      const choice = opts.consent ?? { decision: 'approve' };
      fields.set('upn', choice.upn ?? form.selectedUpn ?? '');
      fields.set('decision', choice.decision);
    }
    next = { method: 'POST', url: new URL(form.action, next.url).toString(), body: fields.toString() };
  }
  throw new Error(`browse: too many steps (${visited.join(' → ')})`);
}
