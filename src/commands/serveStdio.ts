import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { createRuntime, packageVersion } from '../runtime.js';
import { selectTools, toolChoice } from '../tools/selection.js';
import { serveOverStdio } from '../transports/stdio.js';
import { endpointSource, tokenCacheFor } from './session.js';
import { resolveExportDir } from '../tools/export/exportDir.js';
import { protectedFromExport } from '../policy/governance.js';

/** The default command: config → endpoints (a real cloud, an emulator file, or --demo) → stdio server. */
export async function runStdioServer(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const config = await loadConfig({ flags });
  const log = createLogger(config.logLevel, { component: 'server' });
  // Checked before anything starts: unknown tool names, and an export directory holding the state or the audit log.
  const surface = selectTools(toolChoice(config, 'stdio'));
  const files = config.exportDir ? { exportDir: await resolveExportDir(config.exportDir, protectedFromExport(config)) } : undefined;
  const source = await endpointSource(config, log);
  for (const t of surface.unavailable) log.info('tool not registered in this cloud', { tool: t.name, reason: t.reason });
  // initialize and tools/list answer at once; tool calls wait for the endpoints (the demo emulator) and the cache.
  const runtime = Promise.all([source.endpoints, tokenCacheFor(config, log)]).then(([endpoints, cache]) => {
    if (endpoints.tenantSource === 'cloud' && !endpoints.publicClientId && !config.accessToken)
      log.warn('no client id configured: tools will ask for M365_COPILOT_MCP_CLIENT_ID (or run with --demo)');
    log.info('token cache', { backend: cache.info.kind, location: cache.info.location, reason: cache.info.reason });
    for (const notice of cache.notices()) log.warn(notice);
    return { ...createRuntime(config, endpoints, log, cache.plugin, surface.unavailable), ...(files ? { files } : {}) };
  });
  runtime.catch((err: unknown) => {
    log.error('startup failed', { error: err });
    process.stderr.write(`m365-copilot-mcp: startup failed: ${(err as Error)?.message}\n`);
    process.exit(1);
  });
  const why = await serveOverStdio({ version: packageVersion(), tools: surface.offered }, runtime, log);
  await source.stop();
  const code = why === 'transport-failed' ? 1 : 0;
  // MSAL and keep-alive sockets may hold the loop open; the connection is over.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}
