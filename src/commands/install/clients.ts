import { join } from 'node:path';
import type { ClientConfigHome } from '../../config/clientConfigHome.js';

/** What a client launches: an absolute node, our CLI, its flags, and settings passed as variables. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * One MCP client's user-level configuration file: where it lives on each OS, its format, and the
 * shape of one stdio server entry in it. Sources: each client's own documentation (Claude Desktop
 * "Connect to local MCP servers"; Claude Code "MCP", user scope; VS Code "MCP servers", user
 * configuration; Cursor "Model Context Protocol", global file; Codex "config.toml" `[mcp_servers]`;
 * Gemini CLI "MCP servers with Gemini CLI", user settings).
 */
export interface ClientTarget {
  id: ClientId;
  label: string;
  path(home: ClientConfigHome): string;
  format: 'json' | 'toml';
  /** The top-level key holding the servers (JSON), or the table (TOML). */
  serversKey: string;
  entry(launch: Launch): Record<string, unknown>;
  /** After writing: what the user does for the client to see it. */
  afterwards: string;
}

export const CLIENT_IDS = ['claude-desktop', 'claude-code', 'vscode', 'cursor', 'codex', 'gemini-cli'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/** An Electron app's settings folder: ~/Library/Application Support (macOS), %APPDATA% (Windows), XDG config (Linux). */
function appDataDir(h: ClientConfigHome, app: string): string {
  if (h.platform === 'darwin') return join(h.home, 'Library', 'Application Support', app);
  if (h.platform === 'win32') return join(h.appData ?? join(h.home, 'AppData', 'Roaming'), app);
  return join(h.xdgConfigHome ?? join(h.home, '.config'), app);
}

const withEnv = (launch: Launch) => (Object.keys(launch.env).length > 0 ? { env: launch.env } : {});

export const CLIENTS: Record<ClientId, ClientTarget> = {
  'claude-desktop': {
    id: 'claude-desktop',
    label: 'Claude Desktop',
    // Claude Desktop ships for macOS and Windows; on Linux this is where community builds read it.
    path: (h) => join(appDataDir(h, 'Claude'), 'claude_desktop_config.json'),
    format: 'json',
    serversKey: 'mcpServers',
    entry: (l) => ({ command: l.command, args: l.args, ...withEnv(l) }),
    afterwards: 'Quit and reopen Claude Desktop.',
  },
  'claude-code': {
    id: 'claude-code',
    label: 'Claude Code',
    // User scope (every project): the top-level mcpServers of ~/.claude.json, as `claude mcp add --scope user` writes it.
    path: (h) => join(h.home, '.claude.json'),
    format: 'json',
    serversKey: 'mcpServers',
    entry: (l) => ({ type: 'stdio', command: l.command, args: l.args, ...withEnv(l) }),
    afterwards: 'Start a new Claude Code session; `/mcp` lists the server.',
  },
  vscode: {
    id: 'vscode',
    label: 'VS Code',
    // The user configuration of the default profile (MCP: Open User Configuration); a workspace uses .vscode/mcp.json.
    path: (h) => join(appDataDir(h, 'Code'), 'User', 'mcp.json'),
    format: 'json',
    serversKey: 'servers',
    entry: (l) => ({ type: 'stdio', command: l.command, args: l.args, ...withEnv(l) }),
    afterwards: 'In VS Code run "MCP: List Servers" and start it (or reload the window).',
  },
  cursor: {
    id: 'cursor',
    label: 'Cursor',
    path: (h) => join(h.home, '.cursor', 'mcp.json'),
    format: 'json',
    serversKey: 'mcpServers',
    entry: (l) => ({ type: 'stdio', command: l.command, args: l.args, ...withEnv(l) }),
    afterwards: 'Open Cursor Settings → MCP and enable the server (or restart Cursor).',
  },
  codex: {
    id: 'codex',
    label: 'Codex',
    path: (h) => join(h.codexHome ?? join(h.home, '.codex'), 'config.toml'),
    format: 'toml',
    serversKey: 'mcp_servers',
    // Codex waits 10 s by default for a server to start; --demo starts a whole emulated tenant first.
    entry: (l) => ({ command: l.command, args: l.args, startup_timeout_sec: 30, ...withEnv(l) }),
    afterwards: 'Start Codex again; `/mcp` lists the server.',
  },
  'gemini-cli': {
    id: 'gemini-cli',
    label: 'Gemini CLI',
    path: (h) => join(h.home, '.gemini', 'settings.json'),
    format: 'json',
    serversKey: 'mcpServers',
    entry: (l) => ({ command: l.command, args: l.args, ...withEnv(l) }),
    afterwards: 'Start Gemini CLI again; `/mcp` lists the server.',
  },
};
