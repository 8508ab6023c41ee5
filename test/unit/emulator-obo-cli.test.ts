import { readFileSync } from 'node:fs';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetworkClient } from '../../src/auth/networkClient.js';
import { runCli } from '../helpers/cli.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { decodeJwt, request } from '../../packages/emulator/test/helpers/emulator-identity-helpers.js';

/**
 * The shipped CLI: `emulator --users 50` (many distinct users, each with private files) and
 * `emulator token` (one access token on stdout) against a running emulator process.
 */
const GRAPH = 'https://graph.microsoft.com';

let emu: EmulatorProcess;
let ca: string;

beforeAll(async () => {
  emu = await startEmulatorProcess(['--users', '50']);
  ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
});

afterAll(async () => {
  await emu?.stop();
});

async function mintGraphToken(upn: string): Promise<string> {
  const res = await emu.control('/tokens/mint', { user: upn, audience: GRAPH });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

interface PersonalDoc {
  user: { id: string; upn: string };
  document: { id: string; webUrl: string };
  query: string;
}

describe('emulator token (CLI)', () => {
  it('prints exactly one access token line for the MCP server audience', async () => {
    const run = await runCli(['emulator', 'token', '--emulator', emu.file, '--user', 'demo']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const jwks = createLocalJWKSet((await request(`${emu.descriptor.authority}/discovery/v2.0/keys`, { ca })).json());
    const server = emu.descriptor.apps.mcpServer;
    const { payload } = await jwtVerify(run.stdout.trim(), jwks, { issuer: `${emu.descriptor.authorityHost}/${emu.descriptor.tenantId}/v2.0`, audience: server.clientId });
    expect(payload).toMatchObject({ upn: emu.descriptor.demoUser, scp: 'access_as_user', ver: '2.0' });
  });

  it('takes audience, scope, tenant and a negative lifetime (an expired token)', async () => {
    const stranger = emu.descriptor.otherTenant.users[1]!;
    const other = await runCli(['emulator', 'token', '--emulator', emu.file, '--user', stranger.upn, '--tenant', emu.descriptor.otherTenant.domain, '--scope', 'access_as_user extra']);
    expect(other.code, other.stderr).toBe(0);
    expect(decodeJwt(other.stdout.trim())).toMatchObject({ tid: emu.descriptor.otherTenant.tenantId, oid: stranger.id, scp: 'access_as_user extra' });

    const expired = await runCli(['emulator', 'token', '--emulator', emu.file, '--user', emu.descriptor.demoUser, '--lifetime=-60']);
    expect(expired.code, expired.stderr).toBe(0);
    const claims = decodeJwt(expired.stdout.trim()) as { exp: number; iat: number };
    expect(claims.exp).toBeLessThan(Date.now() / 1000 - 30);
    expect(claims.iat).toBeLessThan(claims.exp);

    const graph = await runCli(['emulator', 'token', '--emulator', emu.file, '--user', emu.descriptor.demoUser, '--audience', GRAPH, '--lifetime', '300']);
    const me = await fetch(`${emu.descriptor.graphBaseUrl}/v1.0/me`, { headers: { authorization: `Bearer ${graph.stdout.trim()}` } });
    expect(me.status).toBe(200);
  });

  it('fails with exit code 1 and a message naming the fix, nothing on stdout', async () => {
    const unknown = await runCli(['emulator', 'token', '--emulator', emu.file, '--user', 'nobody@contoso-emu.example']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('No user "nobody@contoso-emu.example"');
    expect(unknown.stderr).toMatch(/Next step: .*--user must be a UPN/);

    const noFile = await runCli(['emulator', 'token', '--user', 'demo']);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/--emulator FILE[\s\S]*Next step: Start one with `m365-copilot-mcp emulator > emulator.json`/);
    const noUser = await runCli(['emulator', 'token', '--emulator', emu.file]);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('--user demo');
    const badLifetime = await runCli(['emulator', 'token', '--emulator', emu.file, '--user', 'demo', '--lifetime', '0']);
    expect(badLifetime.code).toBe(1);
    expect(badLifetime.stderr).toContain('--lifetime');

    const help = await runCli(['--help']);
    expect(help.stdout).toContain('m365-copilot-mcp emulator token --emulator FILE --user UPN');
    expect(help.stdout).toContain('--users N');
  });
});

describe('emulator --users 50', () => {
  it('has 50 distinct users, each with a private file the facts name', async () => {
    const { users } = emu.descriptor;
    expect(users).toHaveLength(50);
    expect(new Set(users.map((u) => u.upn)).size).toBe(50);
    expect(new Set(users.map((u) => u.id)).size).toBe(50);
    expect(users.filter((u) => u.copilotLicense).length).toBeGreaterThanOrEqual(48);
    // The named ten come first, unchanged.
    expect(users[0]!.upn).toBe(emu.descriptor.demoUser);

    const facts = (await (await emu.control('/facts')).json()) as { personalDocs: PersonalDoc[]; remote: { exportRoleMember: { upn: string } } };
    expect(facts.personalDocs).toHaveLength(50);
    expect(new Set(facts.personalDocs.map((p) => p.query)).size).toBe(50);
    expect(emu.descriptor.apps.mcpServer.exportRoleMembers).toContain(facts.remote.exportRoleMember.upn);
  });

  it('gives users differing readable documents', async () => {
    const readable = await Promise.all(
      emu.descriptor.users.map(async (u) => {
        const res = await emu.control(`/facts/readable?user=${encodeURIComponent(u.upn)}`);
        expect(res.status).toBe(200);
        return ((await res.json()) as { documents: { id: string }[] }).documents.map((doc) => doc.id).sort().join(',');
      }),
    );
    expect(new Set(readable).size).toBe(50);
    expect((await emu.control('/facts/readable?user=nobody')).status).toBe(404);
  });

  it('50 users retrieving concurrently each find their own private file and never another user’s', async () => {
    const facts = (await (await emu.control('/facts')).json()) as { personalDocs: PersonalDoc[] };
    const licensed = new Set(emu.descriptor.users.filter((u) => u.copilotLicense).map((u) => u.upn));
    const everyMarker = new Set(facts.personalDocs.map((p) => p.document.webUrl));
    const results = await Promise.all(
      facts.personalDocs
        .filter((p) => licensed.has(p.user.upn))
        .map(async (p) => {
          const token = await mintGraphToken(p.user.upn);
          const res = await fetch(`${emu.descriptor.graphBaseUrl}/v1.0/copilot/retrieval`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ queryString: p.query, dataSource: 'oneDriveBusiness', maximumNumberOfResults: 25 }),
          });
          expect(res.status).toBe(200);
          const hits = ((await res.json()) as { retrievalHits: { webUrl: string }[] }).retrievalHits.map((h) => h.webUrl);
          return { p, hits };
        }),
    );
    expect(results.length).toBeGreaterThanOrEqual(48);
    for (const { p, hits } of results) {
      expect(hits[0], p.user.upn).toBe(p.document.webUrl);
      // Other users' code-named files share words with this query, but are never shown.
      expect(hits.filter((url) => everyMarker.has(url) && url !== p.document.webUrl)).toEqual([]);
    }
  });

  it('exchanges on-behalf-of for every one of the 50 users and counts each', async () => {
    await emu.resetStats();
    const server = emu.descriptor.apps.mcpServer;
    const cca = new ConfidentialClientApplication({
      auth: { clientId: server.clientId, clientSecret: server.clientSecret, authority: emu.descriptor.authority, knownAuthorities: [new URL(emu.descriptor.authorityHost).host] },
      system: { networkClient: createNetworkClient({ extraCaPem: ca, onlyExtraCa: true }) },
    });
    const users = emu.descriptor.users;
    const exchanged = await Promise.all(
      users.map(async (u) => {
        const minted = await emu.control('/tokens/mint', { user: u.upn });
        const assertion = ((await minted.json()) as { access_token: string }).access_token;
        const result = await cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [`${GRAPH}/Files.Read.All`] });
        return decodeJwt(result!.accessToken)['oid'];
      }),
    );
    expect(exchanged).toEqual(users.map((u) => u.id));
    const stats = (await emu.stats()) as unknown as { tokenRequests: { byGrantAndUser: Record<string, Record<string, number>> } };
    const perUser = stats.tokenRequests.byGrantAndUser['on_behalf_of'] ?? {};
    expect(Object.keys(perUser)).toHaveLength(50);
    expect(Object.values(perUser).every((n) => n === 1)).toBe(true);
  });
});
