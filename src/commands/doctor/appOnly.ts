import { createBroker } from '../../runtime.js';
import { errorText, skip, type DoctorCheck } from './check.js';
import { jwtClaims } from './signIn.js';

const EXPORT_TOOL = 'copilot_export_interactions';

/** Interaction export is app-only: the export app must get a token, and the token must carry its application permissions. */
export const appOnlyCheck: DoctorCheck = {
  id: 'app-only',
  title: 'App-only credentials for interaction export',
  async run(state) {
    const { config, endpoints: ep } = state;
    if (!config || !ep) return skip('needs a valid configuration');
    const exportTool = state.tools.find((t) => t.name === EXPORT_TOOL);
    if (!exportTool) return skip(`${EXPORT_TOOL} is not offered in this configuration`);
    if (!ep.exportApp)
      return {
        status: 'fail',
        detail: 'no export app is configured',
        fix: 'Set M365_COPILOT_MCP_EXPORT_CLIENT_ID with M365_COPILOT_MCP_EXPORT_CLIENT_SECRET or M365_COPILOT_MCP_EXPORT_CERTIFICATE, and --tenant to your tenant id.',
        tools: [EXPORT_TOOL],
      };
    if (!state.authorityReachable) return skip('needs the identity authority');
    let token: string;
    try {
      token = (await createBroker(config, ep, state.log).getToken({ flow: 'app', scopes: [] })).accessToken;
    } catch (err) {
      const e = err as { nextStep?: string };
      return { status: 'fail', detail: `the export app ${ep.exportApp.clientId} cannot get a token: ${errorText(err)}`, fix: e.nextStep ?? 'Check the export app id, its secret or certificate, and --export-tenant.', tools: [EXPORT_TOOL] };
    }
    const roles = (jwtClaims(token)['roles'] as unknown[] | undefined)?.map(String) ?? [];
    const missing = exportTool.permissions.application.filter((p) => !roles.includes(p));
    if (missing.length)
      return {
        status: 'fail',
        detail: `the export app ${ep.exportApp.clientId} gets a token, but without ${missing.join(', ')} (has ${roles.join(', ') || 'no application permissions'})`,
        fix: `An admin must add the application permission${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (Microsoft Graph) to the export app and grant admin consent.`,
        tools: [EXPORT_TOOL],
      };
    return { status: 'pass', detail: `the export app ${ep.exportApp.clientId} gets a token with ${exportTool.permissions.application.join(', ')} (${ep.exportApp.certificate ? 'certificate' : 'secret'})` };
  },
};
