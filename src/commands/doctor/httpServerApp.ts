import type { AppOnlyClient } from '../../auth/appOnlyClient.js';
import { peekClaims } from '../../auth/jwtClaims.js';
import { serverAppClient } from '../../composition/localAuth.js';
import type { Config } from '../../config/schema.js';
import { advertisedResource } from '../../transports/resourceUrl.js';
import { delegatedTools, errorText, skip, type CheckResult, type DoctorCheck } from './check.js';
import { getJson } from './http.js';

type Outcome = Omit<CheckResult, 'id' | 'title'>;

/** The resource `serve --http` with these settings advertises (RFC 9728 `resource`), as clients send it back. */
export function advertisedResourceOf(config: Config): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return advertisedResource(config.publicUrl ?? `http://${host}:${config.port}/mcp`, '/mcp').id;
}

interface ApplicationDocument {
  identifierUris?: string[];
  api?: { oauth2PermissionScopes?: { value?: string; isEnabled?: boolean }[]; preAuthorizedApplications?: { appId?: string }[] };
}

/**
 * HTTP mode (`doctor --http` with the serve flags): the server app exists and its secret works (a Graph
 * token: the credential on-behalf-of uses), the advertised resource is one of its identifier URIs
 * (else every client that sends `resource` gets AADSTS9010010), the scope is exposed, and which
 * clients are authorized. Asks only app-only tokens of the server app: no user is involved.
 */
export const httpServerAppCheck: DoctorCheck = {
  id: 'http-server-app',
  title: 'HTTP mode: the server app registration',
  async run(state) {
    const { config, endpoints: ep } = state;
    if (!config || !ep) return skip('needs a valid configuration');
    if (!config.http) return skip('not HTTP mode (run doctor with --http and the flags of serve --http to check it)');
    if (!state.authorityReachable) return skip('needs the identity authority');
    const tools = delegatedTools(state);
    const server = ep.serverApp;
    if (!server) return { status: 'fail', detail: 'no server app is configured', fix: 'Set --server-client-id and M365_COPILOT_MCP_SERVER_CLIENT_SECRET (or run `m365-copilot-mcp setup`).', tools };
    const graphClient = serverAppClient(ep, state.log);
    if (!graphClient) return { status: 'fail', detail: `the server app ${server.clientId} has no client secret configured`, fix: 'Set M365_COPILOT_MCP_SERVER_CLIENT_SECRET.', tools };
    const resource = advertisedResourceOf(config);

    let graphToken: string;
    try {
      graphToken = (await graphClient.token()).accessToken;
    } catch (err) {
      const e = err as { nextStep?: string };
      return { status: 'fail', detail: `the server app ${server.clientId} cannot get a Graph token with its secret, so on-behalf-of cannot either: ${errorText(err)}`, fix: e.nextStep ?? 'Check --server-client-id, its secret and --tenant.', tools };
    }

    const owner = await resourceOwner(serverAppClient(ep, state.log, resource)!, resource, server.clientId);
    if (owner.status !== 'pass') return { ...owner, tools };

    const registration = await getJson(ep, `${ep.graphBaseUrl}/v1.0/applications(appId='${server.clientId}')`, { authorization: `Bearer ${graphToken}` }).catch((err: unknown) => ({ status: 0, json: { error: { message: errorText(err) } } }));
    if (registration.status === 403)
      return {
        status: 'warn',
        detail: `${owner.detail}; the scope and the authorized clients were not checked: the server app may not read its registration`,
        fix: 'Grant the server app the application permission Application.Read.All (Microsoft Graph) with admin consent to let doctor check them, or check them in the portal (Expose an API).',
      };
    if (registration.status !== 200) return { status: 'warn', detail: `${owner.detail}; reading the registration answered HTTP ${registration.status}`, fix: 'Retry; check that --server-client-id is the application (client) id.' };
    return registrationFindings(registration.json as ApplicationDocument, resource, config.requiredScope, owner.detail, tools);
  },
};

/** A client credentials token for `<resource>/.default` says whether Entra resolves the resource, and to which app. */
async function resourceOwner(client: AppOnlyClient, resource: string, serverId: string): Promise<Outcome> {
  const addIt = `Add ${resource} (exactly, without a trailing slash) to the server app's Application ID URIs and expose access_as_user under it (or run \`m365-copilot-mcp setup\`).`;
  let token: string;
  try {
    token = (await client.token()).accessToken;
  } catch (err) {
    const text = errorText(err);
    if (/500011/.test(text)) return { status: 'fail', detail: `no app of the tenant has the identifier URI ${resource}, the resource this server advertises: every client that sends it gets AADSTS9010010`, fix: addIt };
    return { status: 'fail', detail: `a token for ${resource} could not be asked: ${text}`, fix: addIt };
  }
  const claims = peekClaims(token) as { aud?: unknown; ver?: unknown } | undefined;
  // v2.0 tokens name the API by its app id; v1.0 tokens by the identifier URI asked for.
  if (claims?.ver === '2.0' && String(claims.aud).toLowerCase() !== serverId.toLowerCase())
    return { status: 'fail', detail: `the identifier URI ${resource} belongs to another app (${String(claims.aud)}), not to the server app ${serverId}`, fix: addIt };
  return { status: 'pass', detail: `the server app ${serverId} gets Graph tokens, and the advertised resource ${resource} is its identifier URI` };
}

function registrationFindings(doc: ApplicationDocument, resource: string, scope: string, found: string, tools: string[]): Outcome {
  if (!(doc.identifierUris ?? []).includes(resource))
    return { status: 'fail', detail: `the server app's identifier URIs (${(doc.identifierUris ?? []).join(', ') || 'none'}) do not include ${resource} exactly`, fix: `Add ${resource} to its Application ID URIs.`, tools };
  const exposed = (doc.api?.oauth2PermissionScopes ?? []).find((s) => s.value?.toLowerCase() === scope.toLowerCase());
  if (!exposed || exposed.isEnabled === false)
    return { status: 'fail', detail: `the server app does not expose the scope ${scope}${exposed ? ' (it is disabled)' : ''}`, fix: `Expose an API: add the delegated scope ${scope} (admins and users), enabled.`, tools };
  const clients = (doc.api?.preAuthorizedApplications ?? []).map((a) => a.appId).filter((id): id is string => typeof id === 'string');
  if (clients.length === 0)
    return { status: 'warn', detail: `${found}; ${scope} is exposed, but no client application is authorized: users see a consent prompt (or need an admin's)`, fix: `Add the client ids your users sign in with (see "Connect a client to HTTP mode") as authorized client applications for ${scope}.` };
  return { status: 'pass', detail: `${found}; ${scope} is exposed; authorized clients: ${clients.join(', ')}` };
}
