import { homedir } from 'node:os';

/**
 * Where MCP clients keep their configuration depends on a few environment variables (Windows'
 * APPDATA, Codex's CODEX_HOME). They are read here, with the rest of the environment, so
 * `install` itself stays free of process.env.
 */
export interface ClientConfigHome {
  home: string;
  platform: NodeJS.Platform;
  /** %APPDATA% (Windows); undefined elsewhere or when unset. */
  appData: string | undefined;
  /** $CODEX_HOME, which Codex reads instead of ~/.codex when set. */
  codexHome: string | undefined;
  /** $XDG_CONFIG_HOME, where Electron apps (Claude Desktop, VS Code) keep settings on Linux. */
  xdgConfigHome: string | undefined;
}

export function clientConfigHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): ClientConfigHome {
  const nonEmpty = (v: string | undefined) => (v !== undefined && v !== '' ? v : undefined);
  return { home: homedir(), platform, appData: nonEmpty(env['APPDATA']), codexHome: nonEmpty(env['CODEX_HOME']), xdgConfigHome: nonEmpty(env['XDG_CONFIG_HOME']) };
}
