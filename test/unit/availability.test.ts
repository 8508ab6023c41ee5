import { describe, expect, it } from 'vitest';
import { CLOUD_ENDPOINTS, CLOUDS } from '../../src/graph/clouds.js';
import { endpointsFromConfig } from '../../src/config/endpoints.js';
import { resolveConfig } from '../../src/config/load.js';
import { runtimeInfo } from '../../src/composition/runtimeInfo.js';
import { TOOLS } from '../../src/tools/registry.js';
import { cloudReason, effectiveCloud, selectTools, type ToolChoice } from '../../src/tools/selection.js';

const names = (tools: readonly { name: string }[]) => tools.map((t) => t.name);
const choice = (over: Partial<ToolChoice> = {}): ToolChoice => ({ cloud: 'global', enableBeta: false, transport: 'stdio', ...over });

/**
 * The one filter (cloud → --toolsets/--tools → beta → host). Clouds per Microsoft's availability
 * notes in the API reference (MicrosoftDocs/m365copilot-docs): Retrieval, meeting insights, search and
 * usage reports global only; interaction export global, US Gov L4 and L5; Chat global, L4 and L5.
 */
describe('tool selection', () => {
  const expected: Record<string, string[]> = {
    global: ['copilot_retrieve', 'copilot_export_interactions', 'copilot_meeting_insights', 'copilot_usage_report', 'copilot_status', 'copilot_chat', 'copilot_search'],
    usgov: ['copilot_export_interactions', 'copilot_status', 'copilot_chat'],
    usgovdod: ['copilot_export_interactions', 'copilot_status', 'copilot_chat'],
    china: ['copilot_status'],
  };

  for (const cloud of CLOUDS) {
    it(`${cloud}: offers only the tools whose API exists there, and says why the others are left out`, () => {
      const { offered, unavailable } = selectTools(choice({ cloud, enableBeta: true }));
      expect(names(offered)).toEqual(expected[cloud]);
      expect(names(unavailable).sort()).toEqual(names(TOOLS).filter((n) => !expected[cloud]!.includes(n) && n !== 'copilot_export_interactions_to_file').concat(cloud === 'china' ? ['copilot_export_interactions_to_file'] : []).sort());
      for (const u of unavailable) expect(u.reason).toMatch(new RegExp(`does not exist in .* \\(cloud "${cloud}"\\); Microsoft offers it only in `));
    });
  }

  it('names the clouds that do have the API', () => {
    const byName = (n: string) => TOOLS.find((t) => t.name === n)!;
    expect(cloudReason(byName('copilot_retrieve'), 'usgov')).toBe('the Copilot Retrieval API does not exist in US Government L4 (GCC High) (cloud "usgov"); Microsoft offers it only in the global cloud.');
    expect(cloudReason(byName('copilot_export_interactions'), 'china')).toContain('global cloud, US Government L4 (GCC High), US Government L5 (DoD)');
    expect(cloudReason(byName('copilot_status'), 'china')).toBeUndefined();
    expect(cloudReason(byName('copilot_retrieve'), 'mars')).toBeUndefined();
    for (const t of TOOLS) expect(t.api.clouds, t.name).toContain('global');
  });

  it('filters in a fixed order: cloud, then --toolsets/--tools, then the beta flag, then the host', () => {
    expect(names(selectTools(choice({ toolsets: ['compliance'] })).offered)).toEqual(['copilot_export_interactions']);
    expect(names(selectTools(choice({ toolsets: ['compliance'], exportDir: '/x' })).offered)).toEqual(['copilot_export_interactions', 'copilot_export_interactions_to_file']);
    expect(names(selectTools(choice({ toolsets: ['compliance'], exportDir: '/x', transport: 'http' })).offered)).toEqual(['copilot_export_interactions']);
    expect(names(selectTools(choice({ cloud: 'usgov', tools: ['copilot_retrieve', 'copilot_status'] })).offered)).toEqual(['copilot_status']);
    expect(names(selectTools(choice({ toolsets: ['chat', 'search'], enableBeta: true })).offered)).toEqual(['copilot_chat', 'copilot_search']);
    expect(names(selectTools(choice()).offered)).not.toContain('copilot_chat');
  });

  it('refuses unknown names with the valid ones, and a beta tool named without the flag', () => {
    expect(() => selectTools(choice({ tools: ['copilot_nope'] }))).toThrow(/unknown tool\(s\) copilot_nope in --tools; valid: copilot_retrieve/);
    expect(() => selectTools(choice({ toolsets: ['nope'] }))).toThrow(/unknown toolset\(s\) nope in --toolsets; valid: retrieval, compliance/);
    expect(() => selectTools(choice({ toolsets: ['chat'] }))).toThrow(/copilot_chat is a beta tool/);
  });

  it('the emulator (--demo, --emulator) is a global tenant whatever --cloud says', () => {
    expect(effectiveCloud({ cloud: 'usgov' })).toBe('usgov');
    expect(effectiveCloud({ cloud: 'usgov', demo: true })).toBe('global');
    expect(effectiveCloud({ cloud: 'china', emulatorFile: '/x.json' })).toBe('global');
  });

  it('a cloud changes the authority and the Graph host together; the runtime carries the unavailable tools', async () => {
    for (const cloud of CLOUDS) {
      const endpoints = await endpointsFromConfig(resolveConfig({ stateDir: '/tmp/x', cloud, tenantId: 'contoso.example' }));
      expect(endpoints.authority).toBe(`${CLOUD_ENDPOINTS[cloud].authorityHost}/contoso.example`);
      expect(endpoints.graphBaseUrl).toBe(CLOUD_ENDPOINTS[cloud].graphOrigin);
      expect(endpoints.graphResource).toBe(CLOUD_ENDPOINTS[cloud].graphResource);
      const { unavailable } = selectTools(choice({ cloud }));
      const info = runtimeInfo(endpoints, 'stdio', unavailable);
      expect(info.cloud).toBe(cloud);
      if (cloud === 'global') expect(info.unavailableTools).toBeUndefined();
      else expect(info.unavailableTools).toEqual(unavailable);
    }
  });
});
