import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PublicClientApplication, type Configuration } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { browse, type ConsentChoice } from './helpers/browser.js';
import { decodeJwt, echoRouter, emulatorNetwork, fixtureTenant, postForm, request } from './helpers/emulator-identity-helpers.js';

const ADELE = 'adele.vance@contoso-emu.example';
const MEGAN = 'megan.bowen@contoso-emu.example';
const GRAPH = 'https://graph.microsoft.com';
const SUCCESS = '<p>signed in (test template)</p>';
const FAILURE = '<p>sign-in failed (test template)</p>';

function pca(emu: RunningEmulator, ca: string): PublicClientApplication {
  const { descriptor } = emu;
  const config: Configuration = {
    auth: { clientId: descriptor.apps.publicClient.clientId, authority: descriptor.authority, knownAuthorities: [new URL(descriptor.authorityHost).host] },
    system: { networkClient: emulatorNetwork(ca) },
  };
  return new PublicClientApplication(config);
}

/** acquireTokenInteractive with the fake browser; returns the result and what the browser saw. */
async function interactive(emu: RunningEmulator, ca: string, opts: { scopes: string[]; loginHint?: string; consent?: ConsentChoice }) {
  let authorizeUrl = '';
  let browsed: Awaited<ReturnType<typeof browse>> | undefined;
  const attempt = pca(emu, ca).acquireTokenInteractive({
    scopes: opts.scopes,
    ...(opts.loginHint === undefined ? {} : { loginHint: opts.loginHint }),
    successTemplate: SUCCESS,
    errorTemplate: FAILURE,
    openBrowser: async (url) => {
      authorizeUrl = url;
      browsed = await browse(url, { ca, ...(opts.consent === undefined ? {} : { consent: opts.consent }) });
    },
  });
  const settled = await attempt.then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  return { ...settled, authorizeUrl: new URL(authorizeUrl), browsed: browsed! };
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('authorization code + PKCE (real MSAL acquireTokenInteractive, fetch-driven browser)', () => {
  let auto: RunningEmulator; // approves at once as Adele (or the login_hint's user)
  let manual: RunningEmulator; // shows the consent page
  let autoCa: string;
  let manualCa: string;

  beforeAll(async () => {
    [auto, manual] = await Promise.all([
      startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: ADELE }),
      startEmulator({ tenant: fixtureTenant(), router: echoRouter }),
    ]);
    autoCa = readFileSync(auto.descriptor.caCertPath, 'utf8');
    manualCa = readFileSync(manual.descriptor.caCertPath, 'utf8');
  });

  afterAll(async () => {
    await Promise.all([auto?.close(), manual?.close()]);
  });

  it('signs in without a page when the emulator auto-approves, and MSAL can refresh afterwards', async () => {
    const { result, error, authorizeUrl, browsed } = await interactive(auto, autoCa, { scopes: [`${GRAPH}/Files.Read.All`] });
    expect(error).toBeUndefined();
    // What MSAL Node 7.2 sends: form_post (it refuses codes in the loopback's query), S256, localhost loopback.
    const q = authorizeUrl.searchParams;
    expect(authorizeUrl.pathname).toBe(`/${auto.tenant.id}/oauth2/v2.0/authorize`);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('response_mode')).toBe('form_post');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+$/);
    expect(q.get('scope')?.split(' ')).toEqual([`${GRAPH}/Files.Read.All`, 'openid', 'profile', 'offline_access']);
    expect(q.get('client_info')).toBe('1');
    expect(q.get('state')).toBeTruthy();

    expect(browsed.sawConsent).toBe(false);
    expect(browsed.visited.at(-1)).toMatch(/^POST http:\/\/localhost:\d+\/$/);
    expect(browsed.final.text).toBe(SUCCESS);

    expect(result?.account?.username).toBe(ADELE);
    expect(result?.account?.homeAccountId).toBe(`${auto.tenant.users[0]!.id}.${auto.tenant.id}`);
    expect(result?.scopes).toEqual(expect.arrayContaining([`${GRAPH}/Files.Read.All`, 'openid', 'profile', 'offline_access']));
    expect(decodeJwt(result!.accessToken)).toMatchObject({ upn: ADELE, scp: 'Files.Read.All', appid: auto.descriptor.apps.publicClient.clientId });

    const again = await interactive(auto, autoCa, { scopes: ['User.Read'], loginHint: MEGAN });
    expect(again.result?.account?.username).toBe(MEGAN); // a login_hint naming a tenant user wins over the auto-approve user
    expect(again.authorizeUrl.searchParams.get('login_hint')).toBe(MEGAN);

    const stats = auto.stats();
    expect(stats.tokenRequests.byGrant['authorization_code']).toBe(2);
    expect(stats.tokenRequests.issuedByGrant['authorization_code']).toBe(2);
    expect(stats.authorizations).toMatchObject({ requests: 2, approved: 2, denied: 0 });
  });

  it('refreshes a code-issued token with the refresh_token grant', async () => {
    const app = pca(auto, autoCa);
    await app.acquireTokenInteractive({
      scopes: [`${GRAPH}/Sites.Read.All`],
      openBrowser: async (url) => void (await browse(url, { ca: autoCa })),
      successTemplate: SUCCESS,
    });
    const [account] = await app.getAllAccounts();
    const before = auto.stats().tokenRequests.byGrant['refresh_token'] ?? 0;
    const refreshed = await app.acquireTokenSilent({ account: account!, scopes: [`${GRAPH}/Sites.Read.All`], forceRefresh: true });
    expect(decodeJwt(refreshed.accessToken).scp).toBe('Sites.Read.All');
    expect(auto.stats().tokenRequests.byGrant['refresh_token']).toBe(before + 1);
  });

  it('shows a consent page that says it is an emulator, preselecting the login_hint user', async () => {
    const { authority, apps } = manual.descriptor;
    const { challenge } = pkcePair();
    const query = new URLSearchParams({
      client_id: apps.publicClient.clientId,
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:5555/callback',
      scope: 'Files.Read.All openid',
      state: 's<1>&"',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      login_hint: MEGAN,
    });
    const page = await request(`${authority}/oauth2/v2.0/authorize?${query}`, { ca: manualCa });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain("m365-copilot-mcp emulator — not Microsoft's service");
    expect(page.text).toContain(`<option value="${MEGAN}" selected>`);
    expect(page.text).toContain(`${GRAPH}/Files.Read.All`);
    expect(page.text).toContain('name="decision" value="approve"');
    expect(page.text).toContain('value="s&#60;1&#62;&#38;&#34;"'); // the state is carried, escaped
    expect(page.text).not.toContain('s<1>');
  });

  it('signs in the user chosen on the consent page', async () => {
    const { result, error, browsed } = await interactive(manual, manualCa, {
      scopes: [`${GRAPH}/Files.Read.All`],
      consent: { decision: 'approve', upn: MEGAN },
    });
    expect(error).toBeUndefined();
    expect(browsed.sawConsent).toBe(true);
    expect(browsed.final.text).toBe(SUCCESS);
    expect(result?.account?.username).toBe(MEGAN);
    expect(decodeJwt(result!.accessToken).upn).toBe(MEGAN);
  });

  it('reports access_denied to MSAL when the user denies', async () => {
    const before = manual.stats().authorizations.denied;
    const { result, error, browsed } = await interactive(manual, manualCa, { scopes: ['User.Read'], consent: { decision: 'deny' } });
    expect(result).toBeUndefined();
    expect(error).toMatchObject({ errorCode: 'access_denied' });
    expect(browsed.final.text).toBe(FAILURE);
    expect(manual.stats().authorizations.denied).toBe(before + 1);
  });

  it('works without a browser: a plain form POST approves, the code redeems once with the right verifier', async () => {
    const { authority, apps } = manual.descriptor;
    const clientId = apps.publicClient.clientId;
    const redirectUri = 'http://localhost:4321/cb';
    const token = (form: Record<string, string>) => postForm(`${authority}/oauth2/v2.0/token`, form, manualCa);
    const getCode = async (challenge: string): Promise<URL> => {
      const form = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'User.Read offline_access openid',
        state: 'xyz',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        upn: ADELE,
        decision: 'approve',
      });
      const res = await request(`${authority}/oauth2/v2.0/authorize`, {
        method: 'POST',
        ca: manualCa,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      expect(res.status).toBe(302); // response_mode defaults to query
      return new URL(String(res.headers['location']));
    };

    const { verifier, challenge } = pkcePair();
    const back = await getCode(challenge);
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(JSON.parse(Buffer.from(back.searchParams.get('client_info')!, 'base64url').toString())).toEqual({
      uid: manual.tenant.users[0]!.id,
      utid: manual.tenant.id,
    });
    const code = back.searchParams.get('code')!;
    const base = { grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri };
    const ok = await token({ ...base, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ token_type: 'Bearer', scope: `${GRAPH}/User.Read openid offline_access` });
    expect(ok.json().refresh_token).toMatch(/^EMU-RT\./);
    expect(ok.json().id_token).toBeDefined();
    const reused = await token({ ...base, code_verifier: verifier });
    expect(reused.json()).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });

    // A wrong verifier fails PKCE and uses the code up.
    const second = pkcePair();
    const code2 = (await getCode(second.challenge)).searchParams.get('code')!;
    const wrong = await token({ ...base, code: code2, code_verifier: pkcePair().verifier });
    expect(wrong.status).toBe(400);
    expect(wrong.json()).toMatchObject({ error: 'invalid_grant', error_codes: [50148] });
    expect(wrong.json().error_description).toContain('PKCE verification failed');
    expect(wrong.text).not.toContain(code2);
    expect((await token({ ...base, code: code2, code_verifier: second.verifier })).json().error_codes).toEqual([54005]);

    // The redirect URI must be the authorize request's, exactly.
    const third = pkcePair();
    const code3 = (await getCode(third.challenge)).searchParams.get('code')!;
    const otherRedirect = await token({ ...base, code: code3, code_verifier: third.verifier, redirect_uri: 'http://localhost:4322/cb' });
    expect(otherRedirect.json()).toMatchObject({ error: 'invalid_grant', error_codes: [50011] });

    // No verifier at all, and a code of another client.
    const fourth = pkcePair();
    const code4 = (await getCode(fourth.challenge)).searchParams.get('code')!;
    expect((await token({ ...base, code: code4 })).json().error_description).toContain('PKCE verification failed');
    expect((await token({ ...base, client_id: apps.exportApp.clientId, client_secret: apps.exportApp.clientSecret, code: code4 })).json().error_codes).toEqual([70000]);
  });

  it('answers bad authorize requests: redirected errors once the redirect URI is trusted, a page before', async () => {
    const { authority, apps } = manual.descriptor;
    const { challenge } = pkcePair();
    const good = {
      client_id: apps.publicClient.clientId,
      response_type: 'code',
      redirect_uri: 'http://localhost:9/cb',
      scope: 'User.Read',
      state: 'st',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const authorize = (params: Record<string, string | undefined>) => {
      const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
      return request(`${authority}/oauth2/v2.0/authorize?${q}`, { ca: manualCa });
    };
    const redirected = async (params: Record<string, string | undefined>) => {
      const res = await authorize(params);
      expect(res.status).toBe(302);
      return new URL(String(res.headers['location'])).searchParams;
    };

    for (const method of ['plain', undefined]) {
      const err = await redirected({ ...good, code_challenge_method: method });
      expect(err.get('error')).toBe('invalid_request');
      expect(err.get('error_description')).toContain('S256');
      expect(err.get('state')).toBe('st');
    }
    expect((await redirected({ ...good, code_challenge: undefined })).get('error')).toBe('invalid_request');
    expect((await redirected({ ...good, response_type: 'token' })).get('error')).toBe('unsupported_response_type');
    expect((await redirected({ ...good, scope: `${GRAPH}/Mail.Send` })).get('error')).toBe('invalid_scope');
    expect((await redirected({ ...good, prompt: 'none' })).get('error')).toBe('login_required');

    const fragment = await authorize({ ...good, response_mode: 'fragment', prompt: 'none' });
    expect(new URLSearchParams(new URL(String(fragment.headers['location'])).hash.slice(1)).get('error')).toBe('login_required');
    const formPost = await authorize({ ...good, response_mode: 'form_post', prompt: 'none' });
    expect(formPost.status).toBe(200);
    expect(formPost.text).toContain('<form method="post" action="http://localhost:9/cb">');
    expect(formPost.text).toContain('name="error" value="login_required"');

    for (const redirect of ['https://evil.example/cb', 'http://evil.example/cb', 'http://localhost.evil.example/cb', 'http://user@localhost/cb']) {
      const res = await authorize({ ...good, redirect_uri: redirect });
      expect(res.status).toBe(400);
      expect(res.headers['location']).toBeUndefined();
      expect(res.text).toContain('AADSTS50011');
    }
    const unknownClient = await authorize({ ...good, client_id: 'not-an-app' });
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.text).toContain('AADSTS700016');
    const confidential = await authorize({ ...good, client_id: apps.exportApp.clientId });
    expect(confidential.status).toBe(400);
    expect(confidential.headers['location']).toBeUndefined();

    // Any loopback port and path is fine (RFC 8252).
    for (const redirect of ['http://127.0.0.1:65000/x/y', 'http://localhost', 'http://[::1]:8080/']) {
      expect((await authorize({ ...good, redirect_uri: redirect })).status).toBe(200);
    }
  });
});
