import type { Endpoints } from '../config/endpoints.js';
import type { UnavailableTool } from '../tools/selection.js';
import type { RuntimeInfo } from '../tools/tool.js';
import { packageVersion } from '../version.js';

/** `unavailable`: what the cloud filter left out and why, so the status tool can say so. */
export function runtimeInfo(endpoints: Endpoints, transport: RuntimeInfo['transport'], unavailable: readonly UnavailableTool[] = [], betaEnabled = false): RuntimeInfo {
  return {
    transport,
    cloud: endpoints.cloud,
    graphBaseUrl: endpoints.graphBaseUrl,
    authority: endpoints.authority,
    tenantSource: endpoints.tenantSource,
    exportConfigured: endpoints.exportApp !== undefined,
    betaEnabled,
    serverVersion: packageVersion(),
    ...(unavailable.length ? { unavailableTools: [...unavailable] } : {}),
  };
}
