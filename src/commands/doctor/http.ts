import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Endpoints } from '../../config/endpoints.js';

export interface HttpAnswer {
  status: number;
  json: unknown;
}

/** One GET with the configured trust (system roots plus --ca-cert, or only the emulator's CA) and a deadline. */
export function getJson(endpoints: Endpoints, url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<HttpAnswer> {
  return requestJson(endpoints, url, { method: 'GET', headers }, timeoutMs);
}

/** One request with a JSON answer (or none), with the same trust and deadline. */
export function requestJson(endpoints: Endpoints, url: string, init: { method: string; headers?: Record<string, string>; body?: string }, timeoutMs = 10_000): Promise<HttpAnswer> {
  const headers = init.headers ?? {};
  const target = new URL(url);
  const ca = endpoints.extraCaPem ? (endpoints.onlyExtraCa ? [endpoints.extraCaPem] : [...rootCertificates, endpoints.extraCaPem]) : undefined;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: init.method, headers: { accept: 'application/json', ...headers }, ...(ca && target.protocol === 'https:' ? { ca } : {}), timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${target.origin} within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
