import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { CLIENTS } from '../../src/commands/install/clients.js';
import { mergeJsonConfig } from '../../src/commands/install/jsonConfig.js';
import { mergeTomlConfig } from '../../src/commands/install/tomlConfig.js';
import type { ClientConfigHome } from '../../src/config/clientConfigHome.js';

const mac: ClientConfigHome = { home: '/Users/ada', platform: 'darwin', appData: undefined, codexHome: undefined, xdgConfigHome: undefined };
const win: ClientConfigHome = { home: 'C:\\Users\\ada', platform: 'win32', appData: 'C:\\Users\\ada\\AppData\\Roaming', codexHome: undefined, xdgConfigHome: undefined };
const linux: ClientConfigHome = { home: '/home/ada', platform: 'linux', appData: undefined, codexHome: undefined, xdgConfigHome: undefined };

describe('where each client keeps its user configuration', () => {
  it('macOS, Linux (and $XDG_CONFIG_HOME), and $CODEX_HOME', () => {
    expect(CLIENTS['claude-desktop'].path(mac)).toBe('/Users/ada/Library/Application Support/Claude/claude_desktop_config.json');
    expect(CLIENTS['claude-desktop'].path(linux)).toBe('/home/ada/.config/Claude/claude_desktop_config.json');
    expect(CLIENTS.vscode.path(mac)).toBe('/Users/ada/Library/Application Support/Code/User/mcp.json');
    expect(CLIENTS.vscode.path({ ...linux, xdgConfigHome: '/home/ada/.xdg' })).toBe('/home/ada/.xdg/Code/User/mcp.json');
    expect(CLIENTS['claude-code'].path(mac)).toBe('/Users/ada/.claude.json');
    expect(CLIENTS.cursor.path(linux)).toBe('/home/ada/.cursor/mcp.json');
    expect(CLIENTS.codex.path(linux)).toBe('/home/ada/.codex/config.toml');
    expect(CLIENTS.codex.path({ ...linux, codexHome: '/opt/codex' })).toBe('/opt/codex/config.toml');
    expect(CLIENTS['gemini-cli'].path(mac)).toBe('/Users/ada/.gemini/settings.json');
  });

  it('Windows: %APPDATA% for the Electron apps, the profile folder for the others', () => {
    // path.join on this (POSIX) machine joins with '/': what matters is which base each client uses.
    expect(CLIENTS['claude-desktop'].path(win)).toMatch(/^C:\\Users\\ada\\AppData\\Roaming[\\/]Claude[\\/]claude_desktop_config\.json$/);
    expect(CLIENTS.vscode.path(win)).toMatch(/^C:\\Users\\ada\\AppData\\Roaming[\\/]Code[\\/]User[\\/]mcp\.json$/);
    expect(CLIENTS.cursor.path(win)).toMatch(/^C:\\Users\\ada[\\/]\.cursor[\\/]mcp\.json$/);
  });
});

const entry = { command: '/usr/bin/node', args: ['/opt/m365/dist/cli.js', '--demo'] };

describe('merging into an existing configuration', () => {
  it('JSON: keeps every other key, replaces only its own entry, and reads a file with a byte order mark', () => {
    const before = '\uFEFF' + JSON.stringify({ theme: 'dark', mcpServers: { other: { command: 'x' }, 'm365-copilot': { command: 'old' } } });
    const merged = mergeJsonConfig(before, '/f.json', 'mcpServers', 'm365-copilot', entry);
    expect(merged.replaced).toBe(true);
    expect(JSON.parse(merged.text)).toEqual({ theme: 'dark', mcpServers: { other: { command: 'x' }, 'm365-copilot': entry } });
  });

  it('JSON: refuses a servers key that is not an object', () => {
    expect(() => mergeJsonConfig('{"mcpServers": []}', '/f.json', 'mcpServers', 'm365-copilot', entry)).toThrow(/not changed: its "mcpServers" is not an object/);
  });

  it('TOML: replaces a quoted header and its sub-tables, keeps comments, CRLF files and arrays of tables elsewhere', () => {
    const before = [
      '# top comment',
      'model = "o3"',
      '',
      '[mcp_servers."m365-copilot"]',
      'command = "old"',
      '',
      "[mcp_servers.'m365-copilot'.env]",
      'OLD = "1"',
      '',
      '[[profiles_list]]',
      'name = "a"',
      '',
      '[mcp_servers.other] # keep me',
      'command = "x"',
      '',
    ].join('\r\n');
    const merged = mergeTomlConfig(before, '/c.toml', 'mcp_servers', 'm365-copilot', { ...entry, env: { A: 'b' } });
    expect(merged.replaced).toBe(true);
    expect(merged.text).toContain('# top comment');
    expect(merged.text).toContain('[mcp_servers.other] # keep me');
    expect(merged.text).not.toContain('OLD');
    expect(merged.text.split('\r\n').length).toBe(merged.text.split('\n').length);
    expect(parse(merged.text)).toEqual({ model: 'o3', profiles_list: [{ name: 'a' }], mcp_servers: { other: { command: 'x' }, 'm365-copilot': { ...entry, env: { A: 'b' } } } });
  });

  it('TOML: an entry written as dotted keys under [mcp_servers] is refused, not duplicated', () => {
    expect(() => mergeTomlConfig('[mcp_servers]\nm365-copilot.command = "old"\n', '/c.toml', 'mcp_servers', 'm365-copilot', entry)).toThrow(/cannot replace safely/);
  });
});
