import type { Config } from '../config/schema.js';

/** The default command: stdio for one local user, or Streamable HTTP (`--http`) for many. */
export async function runServe(config: Config): Promise<number> {
  if (config.http) return (await import('./serveHttp.js')).runHttpServer(config);
  return (await import('./serveStdio.js')).runStdioServer(config);
}
