import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    expect((JSON.parse(await res.text()) as { error?: { code?: string } }).error?.code).toBeTruthy();
  });

  it('refuses that certificate without the CA', async () => {
    await expect(createNodeHttpFetch()(`${httpsGraph}/v1.0/me`, { redirect: 'manual' })).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/) });
  });

  it('refuses to follow redirects and non-http URLs', async () => {
    const f = createNodeHttpFetch();
    await expect(f(`${httpsGraph}/v1.0/me`, { redirect: 'follow' })).rejects.toThrow(/never follows redirects/);
    await expect(f('file:///etc/passwd', {})).rejects.toThrow(/cannot fetch file:/);
  });
});

/** A loopback server answering each path as the test needs: the body reader against real sockets. */
describe('the answer body over node:http', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/bom') res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}')]));
      else if (req.url === '/split') {
        // "é" is two bytes: split between two writes, it must still decode as one character.
        const bytes = Buffer.from('{"a":"é"}');
        res.write(bytes.subarray(0, 7));
        setTimeout(() => res.end(bytes.subarray(7)), 20);
      } else if (req.url === '/reset') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"half":');
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (req.url === '/stream') res.end('data: 1\n\n');
      else if (req.url === '/echo-headers') res.end(JSON.stringify({ authorization: req.headers['authorization'] ?? null, accept: req.headers['accept'] ?? null }));
      else if (req.url === '/headers') {
        // Mixed-case names, a repeated header, the ones Graph's errors and throttling are read from.
        res.setHeader('Request-Id', 'a1b2');
        res.setHeader('X-Ms-Ags-Diagnostic', ['{"a":1}', '{"b":2}']);
        res.setHeader('Retry-After', '7');
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.end('{}');
      }
      else res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('text() decodes as Response.text() does: a byte-order mark dropped, characters split across chunks joined', async () => {
    const f = createNodeHttpFetch();
    expect(await (await f(`${base}/bom`, {})).text()).toBe(await (await fetch(`${base}/bom`)).text());
    expect(await (await f(`${base}/split`, {})).text()).toBe('{"a":"é"}');
    expect(await (await f(`${base}/none`, {})).text()).toBe('');
  });

  it('headers answer get() as fetch\'s Headers does, case-insensitively, repeated ones joined', async () => {
    const ours = (await createNodeHttpFetch()(`${base}/headers`, {})).headers;
    const theirs = (await fetch(`${base}/headers`)).headers;
    for (const name of ['request-id', 'REQUEST-ID', 'x-ms-ags-diagnostic', 'Retry-After', 'content-type', 'absent']) expect(ours.get(name), name).toBe(theirs.get(name));
    expect(ours.get('x-ms-ags-diagnostic')).toBe('{"a":1}, {"b":2}');
    expect(ours.get('absent')).toBeNull();
  });

  it('sends request headers given as a record, a Headers or name/value pairs alike', async () => {
    const f = createNodeHttpFetch();
    const sent = { authorization: 'Bearer x', accept: 'application/json' };
    for (const headers of [sent, Object.assign(Object.create(null) as object, sent), new Headers(sent), Object.entries(sent)] as HeadersInit[])
      expect(JSON.parse(await (await f(`${base}/echo-headers`, { headers })).text())).toEqual(sent);
  });

  it('a connection closed mid-body is a reset (ECONNRESET), which the retry policy retries', async () => {
    const res = await createNodeHttpFetch()(`${base}/reset`, {});
    await expect(res.text()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('body is the web stream (read once: text() after it is refused)', async () => {
    const res = await createNodeHttpFetch()(`${base}/stream`, {});
    expect(res.body).toBe(res.body);
    expect(await new Response(res.body).text()).toBe('data: 1\n\n');
    await expect(Promise.resolve().then(() => res.text())).rejects.toThrow(/already been read/);
  });
});
