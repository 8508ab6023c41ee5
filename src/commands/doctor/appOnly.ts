import { peekClaims } from '../../auth/jwtClaims.js';
import { appOnlyClient } from '../../composition/localAuth.js';
import { errorText, skip, type DoctorCheck } from './check.js';

/**
 * The tools that run on application permissions (interaction export): the export app must get a
 * token, and the token must carry every application permission those tools declare. The export app
 * is optional: without it those tools say so when called, which is not a broken configuration.
 */
export const appOnlyCheck: DoctorCheck = {
  id: 'app-only',
  title: 'App-only credentials for interaction export',
  async run(state) {
    const { config, endpoints: ep } = state;
    if (!config || !ep) return skip('needs a valid configuration');
    const appTools = state.tools.filter((t) => t.permissions.application.length > 0);
    if (!appTools.length) return skip('no tool of this configuration uses application permissions');
    const names = appTools.map((t) => t.name);
    const needed = [...new Set(appTools.flatMap((t) => t.permissions.application))];
    if (!ep.exportApp)
      return {
        status: 'warn',
        detail: `not configured (optional): ${names.join(', ')} will answer that interaction export needs an app registration`,
        fix: 'To export Copilot interactions, set M365_COPILOT_MCP_EXPORT_CLIENT_ID with M365_COPILOT_MCP_EXPORT_CLIENT_SECRET or M365_COPILOT_MCP_EXPORT_CERTIFICATE, and --tenant to your tenant id.',
      };
    if (!state.authorityReachable) return skip('needs the identity authority');
    let token: string;
    try {
      token = (await appOnlyClient(ep, state.log).token()).accessToken;
    } catch (err) {
      const e = err as { nextStep?: string };
      return { status: 'fail', detail: `the export app ${ep.exportApp.clientId} cannot get a token: ${errorText(err)}`, fix: e.nextStep ?? 'Check the export app id, its secret or certificate, and --export-tenant.', tools: names };
    }
    const roles = ((peekClaims(token) as { roles?: unknown[] } | undefined)?.roles ?? []).map(String);
    const missing = needed.filter((p) => !roles.includes(p));
    if (missing.length)
      return {
        status: 'fail',
        detail: `the export app ${ep.exportApp.clientId} gets a token, but without ${missing.join(', ')} (has ${roles.join(', ') || 'no application permissions'})`,
        fix: `An admin must add the application permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (Microsoft Graph) to the export app and grant admin consent.`,
        tools: names,
      };
    return { status: 'pass', detail: `the export app ${ep.exportApp.clientId} gets a token with ${needed.join(', ')} (${ep.exportApp.certificate ? 'certificate' : 'secret'})` };
  },
};
