import { readFileSync } from 'node:fs';
import { startEmulator, type RunningEmulator } from 'm365-copilot-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHttpFetch } from '../../src/graph/nodeHttpFetch.js';

/**
 * Graph traffic trusts --ca-cert as identity traffic does. The emulator answers HTTPS on its port
 * with a certificate of its own CA: reachable with that CA, refused (never silently) without it.
 */
let emu: RunningEmulator;
let httpsGraph: string;
let caPem: string;

beforeAll(async () => {
  emu = await startEmulator({});
  httpsGraph = emu.descriptor.graphBaseUrl.replace(/^http:/, 'https:');
  caPem = readFileSync(emu.descriptor.caCertPath, 'utf8');
}, 60_000);

afterAll(async () => {
  await emu?.close();
});

describe('the Graph fetch over node:https', () => {
  it('reaches a Graph whose certificate the extra CA signed', async () => {
    const res = await createNodeHttpFetch({ extraCaPem: caPem })(`${httpsGraph}/v1.0/me`, { headers: { accept: 'application/json' }, redirect: 'manual' });
    // No token: Graph's own refusal, which proves the TLS handshake and the exchange went through.
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error?: { code?: string } }).error?.code).toBeTruthy();
  });

  it('refuses that certificate without the CA', async () => {
    await expect(createNodeHttpFetch()(`${httpsGraph}/v1.0/me`, { redirect: 'manual' })).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/) });
  });

  it('refuses to follow redirects and non-http URLs', async () => {
    const f = createNodeHttpFetch();
    await expect(f(`${httpsGraph}/v1.0/me`, { redirect: 'follow' })).rejects.toThrow(/never follows redirects/);
    await expect(f('file:///etc/passwd')).rejects.toThrow(/cannot fetch file:/);
  });
});
