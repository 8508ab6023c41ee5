import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { controlPost, controlRequest, request } from './helpers/emulator-identity-helpers.js';

/**
 * The control routes mint tokens and approve sign-ins, so they need the run's key and the emulator's
 * own Host (issue 11); POST /reset starts a fresh session on the same tenant (issue 12: one emulator
 * shared by the test files of a worker).
 */
describe('emulator control routes: access and reset', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ retrievalBudgetPerHour: 2, deviceCodeIntervalSec: 7 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  const d = () => emu.descriptor;
  const port = () => new URL(d().controlUrl).port;

  it('needs the descriptor key on every route but /health, and the emulator own Host on all', async () => {
    expect(d().controlKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const none = await request(`${d().controlUrl}/stats`);
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'controlKeyRequired' } });
    const wrong = await request(`${d().controlUrl}/tokens/mint`, { method: 'POST', headers: { 'x-emulator-control-key': 'A'.repeat(43) }, body: '{"user":"demo"}' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain('access_token');
    expect((await request(`${d().controlUrl}/health`)).status).toBe(200);
    expect((await controlRequest(d(), '/stats')).status).toBe(200);
    expect((await controlRequest(d(), '/stats', { headers: { host: `localhost:${port()}` } })).status).toBe(200);

    // A page that rebinds its own name to 127.0.0.1 sends its own Host: refused even with the key.
    for (const host of [`attacker.example:${port()}`, '127.0.0.1', `127.0.0.1:${Number(port()) + 1}`]) {
      const rebound = await controlRequest(d(), '/stats', { headers: { host } });
      expect(rebound.status, host).toBe(403);
      expect(rebound.json()).toMatchObject({ error: { code: 'forbiddenHost' } });
      expect((await request(`${d().controlUrl}/health`, { headers: { host } })).status, host).toBe(403);
    }
  });

  it('reset forgets budgets, counters and sign-ins, and applies its settings until the next reset', async () => {
    const graphToken = async (): Promise<string> => {
      const minted = await controlPost(d(), '/tokens/mint', { user: d().demoUser, audience: d().graphResource });
      expect(minted.status, minted.text).toBe(200);
      return minted.json().access_token as string;
    };
    const token = await graphToken();
    const retrieve = () =>
      request(`${d().graphBaseUrl}/v1.0/copilot/retrieval`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ queryString: 'vpn', dataSource: 'sharePoint' }),
      });
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await retrieve()).status);
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    const deviceCode = await request(`${d().authority}/oauth2/v2.0/devicecode`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: d().apps.publicClient.clientId, scope: `${d().graphResource}/Files.Read.All` }).toString(),
      ca: (await import('node:fs')).readFileSync(d().caCertPath, 'utf8'),
    });
    expect(deviceCode.json().interval).toBe(7);
    const userCode = deviceCode.json().user_code as string;
    expect((await controlRequest(d(), '/stats')).json().graphRequests.total).toBe(3);

    const reset = await controlPost(d(), '/reset', { retrievalBudgetPerHour: 1, deviceCodeIntervalSec: 3 });
    expect(reset.status, reset.text).toBe(200);
    expect((await controlRequest(d(), '/stats')).json().graphRequests.total).toBe(0);
    // The session's sign-ins are gone: the pending device code is unknown now.
    expect((await controlPost(d(), '/devicecode/approve', { userCode, upn: d().demoUser })).status).toBe(404);
    // Tokens still verify: the keys belong to the run, not the session.
    expect(await statuses(2)).toEqual([200, 429]);

    expect((await controlPost(d(), '/reset', {})).status).toBe(200);
    expect(await statuses(3)).toEqual([200, 200, 429]); // back to the run's own --retrieval-budget 2
  });

  it('refuses a reset it cannot honour, and keeps the session', async () => {
    await controlPost(d(), '/reset', {});
    await controlRequest(d(), '/facts');
    for (const body of [{ retrievalBudgetPerHour: 0 }, { autoApproveUpn: 'nobody@nowhere.example' }, { faults: { routes: { 'GET /nope': { throttle: 2 } } } }]) {
      const res = await controlPost(d(), '/reset', body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect((await controlRequest(d(), '/stats')).json().graphRequests.total).toBe(0);
  });
});
