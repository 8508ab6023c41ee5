import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { tokenEndpointCalled } from '../telemetry/tokenTelemetry.js';

/** The HTTP client identity traffic goes through (MSAL's network module): the bearer verifier fetches its keys with it too. */
export type NetworkClient = INetworkModule;

/**
 * MSAL's HTTP layer, over node:https with an explicit trust list. When an extra CA is configured
 * (the emulator's, or a corporate TLS-inspection root) we trust exactly the system roots plus that CA
 * for identity traffic: TLS verification is never turned off for the process.
 */
export function createNetworkClient(
  opts: { extraCaPem?: string; onlyExtraCa?: boolean; timeoutMs?: number; onDiscoveryError?: (description: string) => void } = {},
): INetworkModule {
  const ca = opts.extraCaPem ? (opts.onlyExtraCa ? [opts.extraCaPem] : [...rootCertificates, opts.extraCaPem]) : undefined;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const send = <T>(method: 'GET' | 'POST', url: string, options: NetworkRequestOptions | undefined, timeout?: number) =>
    new Promise<NetworkResponse<T>>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error(`refusing a non-https identity endpoint: ${target.origin}`));
        return;
      }
      const body = options?.body;
      const headers: Record<string, string | number> = { ...(options?.headers ?? {}) };
      if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
      const req = httpsRequest(target, { method, headers, ca, timeout: timeout ?? timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const lowered: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) lowered[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            // MSAL expects an object; an OAuth-shaped error keeps its error handling on the right path.
            parsed = { error: 'invalid_response', error_description: `identity endpoint answered ${res.statusCode} with a non-JSON body` };
          }
          const status = res.statusCode ?? 0;
          // MSAL reduces a failed metadata read to a generic code; keep the provider's reason (e.g. AADSTS90002).
          if (status >= 400 && target.pathname.includes('/.well-known/openid-configuration')) {
            const body = parsed as { error?: string; error_description?: string };
            opts.onDiscoveryError?.(`${status} ${body.error ?? ''}: ${body.error_description ?? ''}`.trim());
          }
          resolve({ headers: lowered, body: parsed as T, status });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`identity endpoint ${target.origin} did not answer within ${timeout ?? timeoutMs} ms`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });

  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>('GET', url, options, timeout),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => {
      // Only the grant type is read, to tell a refresh from an on-behalf-of exchange in traces.
      if (url.includes('/token')) tokenEndpointCalled(options?.body);
      return send<T>('POST', url, options);
    },
  };
}
