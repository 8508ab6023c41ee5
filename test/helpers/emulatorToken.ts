import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { EmulatorProcess } from './emulatorProcess.js';

export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  /** The device code and user code of the flow: secrets of the sign-in, too. */
  device_code: string;
  user_code: string;
}

function postForm(url: string, form: Record<string, string>, ca: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(new URLSearchParams(form).toString());
  });
}

/** A delegated token for `upn`, got the way a person's device would (device code, approved at the emulator). */
export async function deviceCodeTokens(emulator: EmulatorProcess, upn: string, scopes: string[]): Promise<IssuedTokens> {
  const d = emulator.descriptor;
  const ca = readFileSync(d.caCertPath, 'utf8');
  const clientId = d.apps.publicClient.clientId;
  const scope = [...scopes.map((s) => `${d.graphResource}/${s}`), 'offline_access', 'openid', 'profile'].join(' ');
  const start = await postForm(`${d.authority}/oauth2/v2.0/devicecode`, { client_id: clientId, scope }, ca);
  if (start.status !== 200) throw new Error(`devicecode answered ${start.status}: ${JSON.stringify(start.json)}`);
  const deviceCode = String(start.json['device_code']);
  const userCode = String(start.json['user_code']);
  const approved = await emulator.control('/devicecode/approve', { userCode, upn });
  if (approved.status !== 200) throw new Error(`approve answered ${approved.status}`);
  const token = await postForm(`${d.authority}/oauth2/v2.0/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: deviceCode }, ca);
  if (token.status !== 200) throw new Error(`token answered ${token.status}: ${JSON.stringify(token.json)}`);
  return { ...(token.json as unknown as IssuedTokens), device_code: deviceCode, user_code: userCode };
}

/** An app-only token of the emulator's export app (client credentials with its secret). */
export async function appOnlyToken(emulator: EmulatorProcess): Promise<string> {
  const d = emulator.descriptor;
  const ca = readFileSync(d.caCertPath, 'utf8');
  const app = d.apps.exportApp;
  const token = await postForm(`${d.authority}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: `${d.graphResource}/.default` }, ca);
  if (token.status !== 200) throw new Error(`token answered ${token.status}: ${JSON.stringify(token.json)}`);
  return String(token.json['access_token']);
}
