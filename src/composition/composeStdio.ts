import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../log.js';
import { join } from 'node:path';
import { loadOrCreateHashKey } from '../policy/auditText.js';
import { cursorSeal as makeCursorSeal } from '../policy/cursorSeal.js';
import { createGovernance, CURSOR_KEY_FILE_NAME, protectedFromExport } from '../policy/governance.js';
import type { ServerRuntime, ServerSurface } from '../server/runtime.js';
import { resolveExportDir } from '../tools/export/exportDir.js';
import { selectTools, toolChoice } from '../tools/selection.js';
import { packageVersion } from '../version.js';
import { endpointSource, tokenCacheFor } from './endpointSource.js';
import { createGraphClientFactory } from './graphClients.js';
import { localAuth } from './localAuth.js';
import { runtimeInfo } from './runtimeInfo.js';
import { runtimeFor } from './serverRuntime.js';

export interface StdioComposition {
  surface: ServerSurface;
  /** Still starting while the --demo emulator and the token cache open: tool calls wait for it, initialize does not. */
  runtime: Promise<ServerRuntime>;
  log: Logger;
  stop(): Promise<void>;
}

/** Everything the stdio server runs on, from the configuration the CLI loaded. */
export async function composeStdio(config: Config): Promise<StdioComposition> {
  const log = createLogger(config.logLevel, { component: 'server' });
  // Checked before anything starts: unknown tool names, and an export directory holding the state or the audit log.
  const selection = selectTools(toolChoice(config, 'stdio'));
  const files = config.exportDir ? { exportDir: await resolveExportDir(config.exportDir, protectedFromExport(config)) } : undefined;
  for (const t of selection.unavailable) log.info('tool not registered in this cloud', { tool: t.name, reason: t.reason });
  const source = await endpointSource(config, log);
  const governance = createGovernance(config, log);
  // Kept in the state directory, so a cursor still works after the client restarts the server.
  const cursorSeal = makeCursorSeal(() => loadOrCreateHashKey(join(config.stateDir, CURSOR_KEY_FILE_NAME)));
  const runtime = Promise.all([source.endpoints, tokenCacheFor(config, log)]).then(([endpoints, cache]) => {
    if (endpoints.tenantSource === 'cloud' && !endpoints.publicClientId && !config.accessToken)
      log.warn('no client id configured: tools will ask for M365_COPILOT_MCP_CLIENT_ID (or run with --demo)');
    for (const notice of cache.notices()) log.warn(notice);
    const { broker } = localAuth(config, endpoints, log, cache.plugin);
    const graphFor = createGraphClientFactory(config, endpoints, log, governance);
    const environment = runtimeInfo(endpoints, 'stdio', selection.unavailable, config.enableBeta);
    return runtimeFor({ environment, log, governance, graphFor, appTokens: broker, cursorSeal, ...(files ? { files } : {}) }, broker);
  });
  return { surface: { version: packageVersion(), tools: selection.offered }, runtime, log, stop: () => source.stop() };
}
