import { TOOLS } from '../../tools/registry.js';
import { selectTools, toolChoice } from '../../tools/selection.js';
import { endpointSource } from '../../composition/endpointSource.js';
import { errorText, type DoctorCheck } from './check.js';

/** Settings from defaults, file, environment and flags validate, and the endpoints they name can be resolved. */
export const configCheck: DoctorCheck = {
  id: 'config',
  title: 'Configuration',
  async run(state) {
    try {
      // The CLI loaded the configuration once; a setting it refused is this check's failure.
      if (state.loaded instanceof Error) throw state.loaded;
      const config = state.loaded;
      state.config = config;
      const source = await endpointSource(config, state.log);
      state.stop = () => source.stop();
      state.endpoints = await source.endpoints;
      // The same composition the servers use: what the registry enables, then what this cloud offers.
      const surface = selectTools(toolChoice(config, 'stdio'));
      state.tools = surface.offered;
      state.unavailable = surface.unavailable;
    } catch (err) {
      const e = err as { nextStep?: string };
      return { status: 'fail', detail: errorText(err), fix: e.nextStep ?? 'Fix the setting named above; `m365-copilot-mcp --help` lists them all.', tools: TOOLS.map((t) => t.name) };
    }
    const ep = state.endpoints;
    const missing: string[] = [];
    if (ep.tenantSource === 'cloud' && !ep.publicClientId && !state.config.accessToken) missing.push('no client id for delegated sign-in');
    const where = `cloud ${ep.cloud}${ep.tenantSource === 'emulator' ? ' (emulated tenant)' : ''}, tenant ${ep.tenantId}`;
    const left = state.unavailable.length ? `; not offered in this cloud: ${state.unavailable.map((u) => u.name).join(', ')}` : '';
    if (missing.length)
      return {
        status: 'fail',
        detail: `valid, but ${missing.join('; ')} (${where})`,
        fix: 'Register a public client app in Entra ID (README "Connect a real tenant") and set M365_COPILOT_MCP_CLIENT_ID (or --client-id), or use --demo.',
        tools: state.tools.filter((t) => t.permissions.delegated.length > 0).map((t) => t.name),
      };
    return { status: 'pass', detail: `valid (${where}; tools: ${state.tools.map((t) => t.name).join(', ')}${left})` };
  },
};
