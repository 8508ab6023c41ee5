import { errorText, skip, type DoctorCheck } from './check.js';
import { getJson } from './http.js';

/** The identity authority answers its OpenID metadata: sign-in, refresh and app tokens all start there. */
export const authorityCheck: DoctorCheck = {
  id: 'authority',
  title: 'Identity authority reachable',
  async run(state) {
    const ep = state.endpoints;
    if (!ep) return skip('needs a valid configuration');
    const url = `${ep.authorityHost}/${ep.tenantId}/v2.0/.well-known/openid-configuration`;
    const everything = state.tools.map((t) => t.name);
    try {
      const answer = await getJson(ep, url);
      const meta = answer.json as { issuer?: unknown; token_endpoint?: unknown } | undefined;
      if (answer.status === 200 && typeof meta?.token_endpoint === 'string') {
        state.authorityReachable = true;
        return { status: 'pass', detail: `OpenID metadata at ${url}` };
      }
      return {
        status: 'fail',
        detail: `${url} answered HTTP ${answer.status} without OpenID metadata`,
        fix: answer.status === 400 || answer.status === 404 ? 'Check --tenant (a tenant id or verified domain) and --authority-host.' : 'Check --authority-host and --cloud.',
        tools: everything,
      };
    } catch (err) {
      return {
        status: 'fail',
        detail: `cannot reach ${url}: ${errorText(err)}`,
        fix: ep.tenantSource === 'emulator' ? 'Is the emulator still running? Restart it and save its new JSON line.' : 'Check the network, proxy and --authority-host; behind TLS inspection add its root with --ca-cert.',
        tools: everything,
      };
    }
  },
};
