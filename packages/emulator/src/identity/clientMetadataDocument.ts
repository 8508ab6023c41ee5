import { request as httpsRequest } from 'node:https';
import type { EmuApp } from '../model.js';
import { OAuthError } from './oauthError.js';

/**
 * Client ID Metadata Documents (CIMD; draft-ietf-oauth-client-id-metadata-document, the MCP
 * 2026-07-28 authorization spec's second way to register after pre-registration): the `client_id`
 * is an https URL, and the document at that URL describes the client. Entra accepts them in public
 * preview, for browser flows, with the client represented in the tenant (an administrator may have
 * to add it: here, by listing the URL among the server app's authorized clients).
 *
 * The emulator allows CIMD only when started with the switch, and fetches documents only from a
 * loopback host: it never reaches outside this machine. Rules of the draft it enforces: an https URL
 * with a path and no fragment, credentials or dot segments; a small JSON document whose `client_id`
 * is exactly that URL; `redirect_uris`, matched exactly at /authorize; a public client
 * (`token_endpoint_auth_method` none: a document cannot carry a shared secret).
 */
export interface ClientMetadataDocumentsSwitch {
  /** PEM of the CA that signed the loopback server serving the documents (the test's). */
  caPem: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MAX_DOCUMENT_BYTES = 5 * 1024;
const FETCH_TIMEOUT_MS = 5_000;

/** The app an accepted document describes: a public client, its URL as client id, its exact redirect URIs. */
export type MetadataDocumentApp = EmuApp & { redirectUris: string[] };

export function looksLikeMetadataDocumentUrl(clientId: string | null | undefined): clientId is string {
  return typeof clientId === 'string' && clientId.startsWith('https://');
}

function refused(description: string): OAuthError {
  return new OAuthError(400, 'invalid_client', 700016, `The client metadata document could not be used: ${description}`);
}

function checkUrl(clientId: string): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw refused(`'${clientId}' is not a URL.`);
  }
  if (url.protocol !== 'https:') throw refused('the client_id must be an https URL.');
  if (url.username !== '' || url.password !== '' || url.hash !== '' || clientId.includes('#')) throw refused('the client_id URL must have no credentials and no fragment.');
  if (url.pathname === '/' || url.pathname === '') throw refused('the client_id URL must have a path.');
  if (/\/\.\.?(\/|$)/.test(clientId.slice(url.origin.length))) throw refused('the client_id URL must have no dot segments.');
  if (!LOOPBACK.has(url.hostname)) throw refused(`the emulator fetches client metadata documents only from this machine (127.0.0.1, localhost), not from ${url.hostname}.`);
  return url;
}

function fetchDocument(url: URL, caPem: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'GET', headers: { accept: 'application/json' }, ca: caPem, agent: false, timeout: FETCH_TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(refused(`fetching it answered HTTP ${res.statusCode ?? 0}.`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_DOCUMENT_BYTES) req.destroy(refused(`it is larger than ${MAX_DOCUMENT_BYTES} bytes.`));
        else chunks.push(c);
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(refused('it is not JSON.'));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(refused('fetching it timed out.')));
    req.on('error', (err) => reject(err instanceof OAuthError ? err : refused(`fetching it failed (${(err as NodeJS.ErrnoException).code ?? err.message}).`)));
    req.end();
  });
}

export async function resolveMetadataDocumentClient(clientId: string, sw: ClientMetadataDocumentsSwitch): Promise<MetadataDocumentApp> {
  const url = checkUrl(clientId);
  const doc = (await fetchDocument(url, sw.caPem)) as Record<string, unknown> | null;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw refused('it is not a JSON object.');
  if (doc['client_id'] !== clientId) throw refused('its client_id is not exactly the URL it was fetched from.');
  const redirects = doc['redirect_uris'];
  if (!Array.isArray(redirects) || redirects.length === 0 || redirects.some((r) => typeof r !== 'string')) throw refused('it lists no redirect_uris.');
  const method = doc['token_endpoint_auth_method'];
  if (method !== undefined && method !== 'none') throw refused(`token_endpoint_auth_method '${String(method)}': only public clients (none) can be described by a document.`);
  const name = typeof doc['client_name'] === 'string' && doc['client_name'] !== '' ? doc['client_name'] : clientId;
  return { clientId, displayName: name, kind: 'public', appRoles: [], delegatedScopes: [], redirectUris: [...(redirects as string[])] };
}
