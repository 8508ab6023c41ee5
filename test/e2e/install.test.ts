/**
 * `m365-copilot-mcp install <client>`: for every client, run from an unrelated folder with a scratch
 * HOME that already holds a configuration with another server, then launch what was written with a
 * real client launcher, the MCP Inspector's CLI (`--config FILE --server NAME`), which starts our
 * server from that entry and lists its tools.
 *
 * The Inspector reads the `mcpServers` shape (Claude Desktop, Claude Code, Cursor and Gemini CLI
 * write exactly that, so their files are handed to it as written). VS Code's `servers` and Codex's
 * TOML `[mcp_servers]` are other shapes of the same entry: the test moves the entry, unchanged, into
 * an `mcpServers` file (Codex's TOML read with an independent parser, the `toml` package).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import * as toml from 'toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const TOOLS = ['copilot_export_interactions', 'copilot_meeting_insights', 'copilot_retrieve', 'copilot_status', 'copilot_usage_report'];
const inspectorPkg = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector');
const INSPECTOR = join(inspectorPkg, (JSON.parse(readFileSync(join(inspectorPkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['mcp-inspector']!);

type Entry = { type?: string; command: string; args: string[]; env?: Record<string, string> };

interface ClientCase {
  client: string;
  /** Where the client reads its user configuration, under HOME (Linux). */
  file: string;
  /** A configuration the user already had: another server, and settings of the client itself. */
  before: string;
  /** The servers of a written file, by name. */
  servers(text: string): Record<string, Entry>;
  /** What of the old file must still be there afterwards. */
  kept(text: string): void;
}

const mcpServers = (text: string) => (JSON.parse(text) as { mcpServers: Record<string, Entry> }).mcpServers;
const otherServer = { command: 'other-server', args: ['--flag'] };

const CASES: ClientCase[] = [
  {
    client: 'claude-desktop',
    file: '.config/Claude/claude_desktop_config.json',
    before: JSON.stringify({ mcpServers: { other: otherServer }, globalShortcut: 'Ctrl+Space' }),
    servers: mcpServers,
    kept: (t) => expect(JSON.parse(t)).toMatchObject({ globalShortcut: 'Ctrl+Space', mcpServers: { other: otherServer } }),
  },
  {
    client: 'claude-code',
    file: '.claude.json',
    before: JSON.stringify({ numStartups: 3, projects: { '/src/app': { mcpServers: { local: otherServer } } }, mcpServers: { other: otherServer } }),
    servers: mcpServers,
    kept: (t) => expect(JSON.parse(t)).toMatchObject({ numStartups: 3, projects: { '/src/app': { mcpServers: { local: otherServer } } }, mcpServers: { other: otherServer } }),
  },
  {
    client: 'vscode',
    file: '.config/Code/User/mcp.json',
    before: JSON.stringify({ servers: { other: { type: 'stdio', ...otherServer } }, inputs: [{ id: 'key', type: 'promptString' }] }),
    servers: (t) => (JSON.parse(t) as { servers: Record<string, Entry> }).servers,
    kept: (t) => expect(JSON.parse(t)).toMatchObject({ servers: { other: { type: 'stdio', ...otherServer } }, inputs: [{ id: 'key', type: 'promptString' }] }),
  },
  {
    client: 'cursor',
    file: '.cursor/mcp.json',
    before: JSON.stringify({ mcpServers: { other: otherServer } }),
    servers: mcpServers,
    kept: (t) => expect(JSON.parse(t)).toMatchObject({ mcpServers: { other: otherServer } }),
  },
  {
    client: 'codex',
    file: '.codex/config.toml',
    before: '# my Codex settings\nmodel = "o3"\n\n[mcp_servers.other]\ncommand = "other-server"\nargs = ["--flag"]\n\n[profiles.fast]\nmodel = "o4-mini"\n',
    servers: (t) => (toml.parse(t) as { mcp_servers: Record<string, Entry & { startup_timeout_sec?: number }> }).mcp_servers,
    kept: (t) => {
      expect(t).toContain('# my Codex settings');
      expect(toml.parse(t)).toMatchObject({ model: 'o3', mcp_servers: { other: otherServer }, profiles: { fast: { model: 'o4-mini' } } });
    },
  },
  {
    client: 'gemini-cli',
    file: '.gemini/settings.json',
    before: JSON.stringify({ theme: 'GitHub', mcpServers: { other: otherServer } }),
    servers: mcpServers,
    kept: (t) => expect(JSON.parse(t)).toMatchObject({ theme: 'GitHub', mcpServers: { other: otherServer } }),
  },
];

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'm365-install-'));
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The built CLI from `cwd`, with nothing of this shell's environment but PATH and the given HOME. */
async function install(args: string[], home: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'install', ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: home }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function inspectorToolsList(config: string, name: string): Promise<string[]> {
  const home = mkdtempSync(join(scratch, 'inspector-'));
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory' };
  try {
    const { stdout } = await run(process.execPath, [INSPECTOR, '--cli', '--format', 'json', '--config', config, '--server', name, '--method', 'tools/list'], { env, cwd: home, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return (JSON.parse(stdout) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name).sort();
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`inspector --config ${config} failed (${e.code}): ${e.stderr ?? ''}\n${e.stdout ?? ''}`);
  }
}

describe('install <client>: writes the client configuration, and a real launcher starts the server from it', () => {
  for (const c of CASES) {
    it(`${c.client}: keeps the other server, backs up the old file, and the entry launches and lists the tools`, async () => {
      const home = mkdtempSync(join(scratch, `${c.client}-home-`));
      const elsewhere = mkdtempSync(join(scratch, `${c.client}-cwd-`));
      const file = join(home, c.file);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, c.before);

      // A relative --state-dir is resolved against the folder install ran in: the client starts the server elsewhere.
      const out = await install([c.client, '--demo', '--token-cache', 'memory', '--log-level', 'warn', '--state-dir', 'state'], home, elsewhere);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain(file);

      const written = readFileSync(file, 'utf8');
      c.kept(written);
      const backups = readdirSync(dirname(file)).filter((f) => f.startsWith(`${c.file.split('/').pop()}.bak-`));
      expect(backups).toHaveLength(1);
      expect(readFileSync(join(dirname(file), backups[0]!), 'utf8')).toBe(c.before);

      const entry = c.servers(written)['m365-copilot']!;
      expect(entry.command).toBe(process.execPath);
      expect(entry.args[0]).toBe(realpathSync(CLI));
      expect(entry.args).toEqual(expect.arrayContaining(['--demo', '--token-cache', 'memory', '--state-dir', join(realpathSync(elsewhere), 'state')]));

      let config = file;
      if (c.client === 'vscode' || c.client === 'codex') {
        const { command, args, env } = entry;
        config = join(home, 'as-mcpServers.json');
        writeFileSync(config, JSON.stringify({ mcpServers: { 'm365-copilot': { command, args, ...(env ? { env } : {}) } } }));
      }
      expect(await inspectorToolsList(config, 'm365-copilot')).toEqual(TOOLS);
    }, 120_000);
  }

  it('--print writes nothing and prints the whole file as it would be written', async () => {
    const home = mkdtempSync(join(scratch, 'print-home-'));
    const out = await install(['cursor', '--print', '--demo', '--name', 'm365-demo'], home, home);
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(join(home, '.cursor'))).toBe(false);
    const printed = JSON.parse(out.stdout) as { mcpServers: Record<string, Entry> };
    expect(printed.mcpServers['m365-demo']).toMatchObject({ command: process.execPath, args: [realpathSync(CLI), '--demo'] });
  });

  it('running it again replaces its own entry (one more backup), never another server', async () => {
    const home = mkdtempSync(join(scratch, 'again-home-'));
    expect((await install(['gemini-cli', '--demo'], home, home)).code).toBe(0);
    const second = await install(['gemini-cli', '--tenant', 'contoso.onmicrosoft.com', '--client-id', '00000000-0000-0000-0000-000000000001'], home, home);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/replaced the server "m365-copilot"/);
    const servers = mcpServers(readFileSync(join(home, '.gemini/settings.json'), 'utf8'));
    expect(Object.keys(servers)).toEqual(['m365-copilot']);
    expect(servers['m365-copilot']!.args.slice(1)).toEqual(['--tenant', 'contoso.onmicrosoft.com', '--client-id', '00000000-0000-0000-0000-000000000001']);
    expect(readdirSync(join(home, '.gemini')).filter((f) => f.includes('.bak-'))).toHaveLength(1);
  });

  it('secrets go to the entry env, not its args', async () => {
    const home = mkdtempSync(join(scratch, 'secret-home-'));
    const out = await install(['claude-desktop', '--print', '--tenant', 'contoso.onmicrosoft.com', '--client-id', 'app', '--export-client-id', 'exp', '--export-client-secret', 'not-in-args'], home, home);
    expect(out.code, out.stderr).toBe(0);
    const entry = mcpServers(out.stdout)['m365-copilot']!;
    expect(entry.args).not.toContain('not-in-args');
    expect(entry.env).toEqual({ M365_COPILOT_MCP_EXPORT_CLIENT_SECRET: 'not-in-args' });
  });

  it.for([
    { client: 'vscode', file: '.config/Code/User/mcp.json', text: '{\n  // my servers\n  "servers": {}\n}\n', says: /not valid JSON \(it has comments/ },
    { client: 'claude-code', file: '.claude.json', text: '[1, 2]', says: /not a JSON object/ },
    { client: 'codex', file: '.codex/config.toml', text: '[mcp_servers\ncommand = 1\n', says: /not valid TOML/ },
    { client: 'codex', file: '.codex/config.toml', text: '[mcp_servers]\nm365-copilot = { command = "old" }\n', says: /cannot replace safely/ },
  ])('refuses an existing $client file it cannot merge ($says), and leaves it exactly as it was', async ({ client, file, text, says }) => {
    const home = mkdtempSync(join(scratch, 'refuse-home-'));
    const path = join(home, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    const out = await install([client, '--demo'], home, home);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(says);
    expect(out.stderr).toMatch(/--print/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(readdirSync(dirname(path)).filter((f) => f.includes('.bak-'))).toEqual([]);
    // What the refusal suggests works: --print gives the entry alone, and still changes nothing.
    const printed = await install([client, '--demo', '--print'], home, home);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(realpathSync(CLI));
    expect(printed.stderr).toMatch(/entry alone/);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('from a clone, `npm install -g .` puts the command on PATH, and its install entry names this clone\'s CLI', async () => {
    const prefix = mkdtempSync(join(scratch, 'global-'));
    // --ignore-scripts: the clone is already built; a prepare run here would rebuild dist/ under the other tests.
    await run('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', ROOT], { env: { PATH: process.env['PATH'] ?? '', HOME: prefix }, timeout: 120_000 });
    const bin = join(prefix, 'bin', 'm365-copilot-mcp');
    const { stdout } = await run(bin, ['install', 'vscode', '--print', '--demo'], { cwd: tmpdir(), env: { PATH: process.env['PATH'] ?? '', HOME: prefix }, timeout: 30_000 });
    const entry = (JSON.parse(stdout) as { servers: Record<string, Entry> }).servers['m365-copilot']!;
    expect(entry).toEqual({ type: 'stdio', command: process.execPath, args: [realpathSync(CLI), '--demo'] });
  }, 150_000);

  it('a usage mistake exits 2: an unknown client, or --http (clients start a stdio server)', async () => {
    const home = mkdtempSync(join(scratch, 'usage-home-'));
    const unknown = await install(['notepad'], home, home);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/claude-desktop, claude-code, vscode, cursor, codex, gemini-cli/);
    const stray = await install(['cursor', '--demo', '--device-code'], home, home);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/install does not take --device-code/);
    const http = await install(['cursor', '--http', '--demo'], home, home);
    expect(http.code).toBe(1);
    expect(http.stderr).toMatch(/\[InvalidArgument\].*stdio/);
  });
});
