import { errorText, skip, type DoctorCheck } from './check.js';
import { getJson } from './http.js';

/** Graph answers at all (any HTTP status counts: without a token, Graph answers 401). */
export const graphCheck: DoctorCheck = {
  id: 'graph',
  title: 'Microsoft Graph reachable',
  async run(state) {
    const ep = state.endpoints;
    if (!ep) return skip('needs a valid configuration');
    const url = `${ep.graphBaseUrl}/v1.0/me`;
    try {
      const answer = await getJson(ep, url);
      const graphLike = typeof (answer.json as { error?: { code?: unknown } } | undefined)?.error?.code === 'string';
      if (!graphLike)
        return { status: 'fail', detail: `${ep.graphBaseUrl} answered HTTP ${answer.status}, but not like Graph`, fix: 'Check --graph-base-url (the Graph origin without /v1.0).', tools: state.tools.map((t) => t.name) };
      state.graphReachable = true;
      return { status: 'pass', detail: `${ep.graphBaseUrl} answers (HTTP ${answer.status} without a token, as expected)` };
    } catch (err) {
      return {
        status: 'fail',
        detail: `cannot reach ${ep.graphBaseUrl}: ${errorText(err)}`,
        fix: ep.tenantSource === 'emulator' ? 'Is the emulator still running? Restart it and save its new JSON line.' : 'Check the network, proxy and --graph-base-url / --cloud.',
        tools: state.tools.map((t) => t.name),
      };
    }
  },
};
