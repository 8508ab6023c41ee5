import { loadConfig } from '../config/load.js';

/** The default command: stdio for one local user, or Streamable HTTP (`--http`) for many. */
export async function runServe(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const config = await loadConfig({ flags });
  if (config.http) return (await import('./serveHttp.js')).runHttpServer(flags);
  return (await import('./serveStdio.js')).runStdioServer(flags);
}
