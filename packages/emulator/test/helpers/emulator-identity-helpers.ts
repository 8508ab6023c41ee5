import http from 'node:http';
import https from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { EmuApp, GraphRequest, GraphResponse, Tenant } from '../../src/model.js';

/** A small tenant so identity and transport tests do not depend on the data generator. */
export function fixtureTenant(): Tenant {
  const publicClient: EmuApp = {
    clientId: '5c4a3e1f-0000-4000-8000-00000000c11e',
    displayName: 'm365-copilot-mcp (emulator public client)',
    kind: 'public',
    appRoles: [],
    delegatedScopes: ['User.Read', 'Files.Read.All', 'Sites.Read.All', 'OnlineMeetingAiInsight.Read.All'],
  };
  const exportApp: EmuApp = {
    clientId: '5c4a3e1f-0000-4000-8000-0000000e4907',
    displayName: 'm365-copilot-mcp export (emulator)',
    kind: 'confidential',
    clientSecret: 'emu-secret-for-tests',
    appRoles: ['AiEnterpriseInteraction.Read.All'],
    delegatedScopes: [],
  };
  return {
    id: '11111111-2222-4333-8444-555555555555',
    domain: 'contoso-emu.example',
    spHost: 'contoso-emu.sharepoint.com',
    now: '2026-11-26T12:00:00.000Z',
    users: [
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000001',
        upn: 'adele.vance@contoso-emu.example',
        displayName: 'Adele Vance',
        mail: 'adele.vance@contoso-emu.example',
        jobTitle: 'Retail Manager',
        department: 'Retail',
        copilotLicense: true,
      },
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000002',
        upn: 'megan.bowen@contoso-emu.example',
        displayName: 'Megan Bowen',
        mail: 'megan.bowen@contoso-emu.example',
        jobTitle: 'Marketing Manager',
        department: 'Marketing',
        copilotLicense: false,
      },
    ],
    labels: [],
    sites: [],
    documents: [],
    connections: [],
    externalItems: [],
    meetings: [],
    interactions: new Map(),
    apps: { publicClient, exportApp },
    demoUserUpn: 'adele.vance@contoso-emu.example',
  };
}

/** Echoes what the gateway handed over, so tests can check URL decoding, caller and body. */
export async function echoRouter(req: GraphRequest): Promise<GraphResponse> {
  if (req.path === '/boom') throw new Error('router bug');
  if (req.path === '/throttled') {
    return { status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } }, route: 'GET /throttled' };
  }
  return {
    status: 200,
    body: {
      method: req.method,
      version: req.version,
      path: req.path,
      query: Object.fromEntries(req.query),
      caller: req.caller,
      body: req.body ?? null,
      requestId: req.requestId,
      baseUrl: req.baseUrl,
    },
    route: `${req.method} /echo`,
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;  
}

/** One request over https trusting exactly `ca` (or over http when the URL says so). */
export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? https.request : http.request;
    const req = send(
      target,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.ca === undefined ? {} : { ca: opts.ca }), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function postForm(url: string, form: Record<string, string>, ca: string): Promise<RawResponse> {
  return request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    ca,
  });
}

/** A request to the emulator's control routes, with the run's key (every control route but /health needs it). */
export function controlRequest(
  descriptor: { controlUrl: string; controlKey: string },
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return request(`${descriptor.controlUrl}${path}`, { ...opts, headers: { ...opts.headers, 'x-emulator-control-key': descriptor.controlKey } });
}

export function controlPost(descriptor: { controlUrl: string; controlKey: string }, path: string, body: unknown): Promise<RawResponse> {
  return controlRequest(descriptor, path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

export function postJson(url: string, body: unknown): Promise<RawResponse> {
  return request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** MSAL's network module, trusting exactly the emulator CA (never the process-wide TLS switch). */
export function emulatorNetwork(ca: string): INetworkModule {
  const call = async <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const res = await request(url, {
      method,
      ca,
      headers: options?.headers ?? {},
      ...(options?.body === undefined ? {} : { body: options.body }),
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.status, headers, body: res.json() as T };
  };
  return {
    sendGetRequestAsync: (url, options) => call('GET', url, options),
    sendPostRequestAsync: (url, options) => call('POST', url, options),
  };
}

export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
