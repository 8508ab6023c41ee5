import { describe, expect, it } from 'vitest';
import { CLOUD_ENDPOINTS, CLOUDS, isCopilotApiAvailable, type CopilotApi } from '../../src/graph/clouds.js';
import { endpointsFromConfig } from '../../src/config/endpoints.js';
import { resolveConfig } from '../../src/config/load.js';
import { runtimeInfo } from '../../src/runtime.js';
import { effectiveCloud, toolsForCloud, TOOL_AVAILABILITY, unavailabilityReason } from '../../src/tools/availability.js';
import { ALL_TOOLS, enabledTools } from '../../src/tools/registry.js';

const names = (tools: { name: string }[]) => tools.map((t) => t.name);

describe('tool availability per national cloud (contract §0, §5.1)', () => {
  const expected: Record<string, string[]> = {
    global: ['copilot_retrieve', 'copilot_export_interactions', 'copilot_export_interactions_to_file', 'copilot_meeting_insights', 'copilot_usage_report', 'copilot_status'],
    usgov: ['copilot_export_interactions', 'copilot_export_interactions_to_file', 'copilot_status'],
    usgovdod: ['copilot_export_interactions', 'copilot_export_interactions_to_file', 'copilot_status'],
    china: ['copilot_status'],
  };

  for (const cloud of CLOUDS) {
    it(`${cloud}: registers only the tools whose API exists there, and says why the others are left out`, () => {
      const { available, unavailable } = toolsForCloud(ALL_TOOLS, cloud);
      expect(names(available)).toEqual(expected[cloud]);
      expect(unavailable.map((u) => u.name).sort()).toEqual(names(ALL_TOOLS).filter((n) => !expected[cloud]!.includes(n)).sort());
      for (const u of unavailable) {
        expect(u.reason).toContain(`"${cloud}"`);
        expect(u.reason).toMatch(/does not exist in .*; Microsoft offers it only in /);
      }
    });
  }

  it('agrees with the per-cloud API list in src/graph/clouds.ts', () => {
    const toolApi: Record<string, CopilotApi> = {
      copilot_retrieve: 'retrieval',
      copilot_export_interactions: 'interactionExport',
      copilot_meeting_insights: 'meetingInsights',
    };
    for (const cloud of CLOUDS)
      for (const [tool, api] of Object.entries(toolApi)) expect(unavailabilityReason(tool, cloud) === undefined, `${tool} in ${cloud}`).toBe(isCopilotApiAvailable(cloud, api));
  });

  it('names the clouds that do have the API; beta and report tools are filtered too', () => {
    expect(unavailabilityReason('copilot_retrieve', 'usgov')).toBe(
      'the Copilot Retrieval API does not exist in US Government L4 (GCC High) (cloud "usgov"); Microsoft offers it only in the global cloud.',
    );
    expect(unavailabilityReason('copilot_export_interactions', 'china')).toContain('global cloud, US Government L4 (GCC High), US Government L5 (DoD)');
    expect(unavailabilityReason('copilot_chat', 'usgov')).toBeUndefined();
    expect(unavailabilityReason('copilot_chat', 'usgovdod')).toBeDefined();
    expect(unavailabilityReason('copilot_search', 'usgov')).toBeDefined();
    expect(unavailabilityReason('copilot_status', 'china')).toBeUndefined();
    expect(unavailabilityReason('some_future_tool', 'china')).toBeUndefined();
    for (const entry of Object.values(TOOL_AVAILABILITY)) expect(entry.clouds).toContain('global');
  });

  it('composes with any enabled list and keeps its order; an unknown cloud counts as global', () => {
    const list = [{ name: 'copilot_status' }, { name: 'copilot_chat' }, { name: 'copilot_retrieve' }];
    expect(names(toolsForCloud(list, 'usgov').available)).toEqual(['copilot_status', 'copilot_chat']);
    expect(toolsForCloud(list, 'mars').unavailable).toEqual([]);
  });

  it('composes with the registry: beta tools enabled in usgov keep Chat (global and US Gov) and drop Search (global only)', () => {
    const { available, unavailable } = toolsForCloud(enabledTools({ enableBeta: true }), 'usgov');
    expect(names(available)).toContain('copilot_chat');
    expect(names(available)).not.toContain('copilot_search');
    expect(unavailable.map((u) => u.name)).toContain('copilot_search');
    for (const tool of enabledTools({ enableBeta: true })) expect(Object.keys(TOOL_AVAILABILITY).concat('copilot_status'), tool.name).toContain(tool.name);
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
      const info = runtimeInfo(endpoints, 'stdio', ALL_TOOLS);
      expect(info.cloud).toBe(cloud);
      if (cloud === 'global') expect(info.unavailableTools).toBeUndefined();
      else expect(info.unavailableTools?.map((u) => u.name)).toEqual(toolsForCloud(ALL_TOOLS, cloud).unavailable.map((u) => u.name));
    }
    const usgov = await endpointsFromConfig(resolveConfig({ stateDir: '/tmp/x', cloud: 'usgov' }));
    expect(usgov.authority).toBe('https://login.microsoftonline.us/organizations');
    expect(usgov.graphBaseUrl).toBe('https://graph.microsoft.us');
  });
});
