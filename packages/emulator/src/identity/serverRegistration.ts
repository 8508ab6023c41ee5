import type { EmuApiApp } from '../model.js';

/**
 * The parts of the MCP server's app registration an administrator (or `m365-copilot-mcp setup`)
 * changes: Graph `application.identifierUris`, `api.oauth2PermissionScopes` (the exposed scope
 * names), `api.preAuthorizedApplications`, `api.requestedAccessTokenVersion`, and the Graph application
 * permissions granted to it (`appRoles`, e.g. Application.Read.All for `doctor`). Requests change
 * them, so a session (POST /_emulator/reset) starts again from the registration as generated.
 */
export type ServerRegistration = Pick<EmuApiApp, 'identifierUris' | 'exposedScopes' | 'preAuthorizedClientIds' | 'requestedAccessTokenVersion' | 'appRoles' | 'scopeIds' | 'delegatedScopes'>;

export function registrationOf(app: EmuApiApp): ServerRegistration {
  return structuredClone({
    identifierUris: app.identifierUris,
    exposedScopes: app.exposedScopes,
    preAuthorizedClientIds: app.preAuthorizedClientIds,
    requestedAccessTokenVersion: app.requestedAccessTokenVersion,
    appRoles: app.appRoles,
    delegatedScopes: app.delegatedScopes,
    ...(app.scopeIds === undefined ? {} : { scopeIds: app.scopeIds }),
  });
}

export function applyRegistration(app: EmuApiApp, registration: ServerRegistration): void {
  if (registration.scopeIds === undefined) delete app.scopeIds;
  Object.assign(app, structuredClone(registration));
}

export class RegistrationError extends Error {}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks an identifier URI the way Entra's app registration does for the patterns this emulator
 * meets (https://learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions and
 * reference-app-manifest `identifierUris`): an absolute URI, `api:`, `https:`, `urn:` or `ms-appx:`,
 * no fragment, no query, no wildcard. An https URI must be on a verified domain of the tenant; the
 * emulator has none to verify and accepts any host. One leniency, named so: `http:` on a loopback
 * host, so that a server listening on 127.0.0.1 in a test can be its own resource.
 */
export function checkIdentifierUri(uri: string): void {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new RegistrationError(`"${uri}" is not an absolute URI.`);
  }
  const scheme = parsed.protocol;
  const loopbackHttp = scheme === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname);
  if (!['api:', 'https:', 'urn:', 'ms-appx:'].includes(scheme) && !loopbackHttp)
    throw new RegistrationError(`"${uri}": identifier URIs use api://, https://, urn: or ms-appx:// (the emulator also accepts http:// on a loopback host).`);
  if (uri.includes('#') || uri.includes('?') || uri.includes('*')) throw new RegistrationError(`"${uri}": an identifier URI has no query, fragment or wildcard.`);
}

/** Applies a partial change (the control route's body), checked; returns the registration now in force. */
export function updateRegistration(app: EmuApiApp, change: Partial<ServerRegistration>): ServerRegistration {
  if (change.identifierUris !== undefined) {
    for (const uri of change.identifierUris) checkIdentifierUri(uri);
    const lower = change.identifierUris.map((u) => u.toLowerCase());
    if (new Set(lower).size !== lower.length) throw new RegistrationError('identifierUris must not repeat a value.');
  }
  if (change.exposedScopes !== undefined && change.exposedScopes.some((s) => !/^[A-Za-z0-9._-]+$/.test(s)))
    throw new RegistrationError('exposedScopes are scope names without a prefix, e.g. access_as_user.');
  applyRegistration(app, { ...registrationOf(app), ...change });
  return registrationOf(app);
}
