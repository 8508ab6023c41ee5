import { execFileSync } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectClient, textOf, type McpTestClient } from '../helpers/mcpClients.js';

/**
 * Red-team finding 2: a prompt-injected model truncated ~/.bashrc, replaced ~/.ssh/authorized_keys,
 * wrote through a symlink out of the folder and cut the audit log, through a file export advertised
 * as read-only. Each attack here runs against the built CLI over stdio; the victims' bytes are
 * compared afterwards.
 */
const FILE_TOOL = 'copilot_export_interactions_to_file';
let emulator: EmulatorProcess;
let home: string;
let exportsDir: string;
let stateDir: string;
let client: McpTestClient;
const victims: Record<string, string> = {};
/** Append-only files (the audit log) may grow, but what they held must stay. */
const appendOnlyVictims: Record<string, string> = {};

function plantVictim(path: string, content: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content, { mode: 0o600 });
  victims[path] = content;
  return path;
}

function expectVictimsIntact(): void {
  for (const [path, content] of Object.entries(victims)) expect(readFileSync(path, 'utf8'), path).toBe(content);
  for (const [path, content] of Object.entries(appendOnlyVictims)) expect(readFileSync(path, 'utf8').startsWith(content), `${path} kept its records`).toBe(true);
}

const user = () => emulator.descriptor.users.find((u) => u.upn === emulator.descriptor.demoUser)!.id;
const exportTo = (outputFile: string, extra: Record<string, unknown> = {}) => client.callTool(FILE_TOOL, { userIds: [user()], outputFile, ...extra }, { timeout: 20_000 });
const serverEnv = () => ({ HOME: home, M365_COPILOT_MCP_STATE_DIR: stateDir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' });

beforeAll(async () => {
  emulator = await useSharedEmulator();
  home = mkdtempSync(join(tmpdir(), 'm365-redteam-home-'));
  stateDir = join(home, '.local', 'state', 'm365-copilot-mcp');
  exportsDir = join(home, 'exports');
  mkdirSync(exportsDir, { recursive: true });
  plantVictim(join(home, '.bashrc'), 'export PATH=$HOME/bin:$PATH\n');
  plantVictim(join(home, '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAAC3Nza the-only-key\n');
  client = await connectClient('v2-2026', ['--emulator', emulator.file, '--export-dir', exportsDir, '--sign-in-wait', '20'], serverEnv());
  // A first call signs in and leaves audit records and the audit hash key in the state directory.
  const first = await client.callTool('copilot_export_interactions', { userId: user(), limit: 1 });
  expect(first.isError, textOf(first)).toBeFalsy();
  victims[join(stateDir, 'audit-hash.key')] = readFileSync(join(stateDir, 'audit-hash.key'), 'utf8');
  appendOnlyVictims[join(stateDir, 'audit.jsonl')] = readFileSync(join(stateDir, 'audit.jsonl'), 'utf8');
}, 60_000);

afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('file export confinement (finding 2)', () => {
  it('offers no file-writing tool unless the user configured an export directory; annotations tell the truth', async () => {
    const plain = await connectClient('v2-2026', ['--emulator', emulator.file], serverEnv());
    try {
      const { tools } = await plain.listTools();
      expect(tools.map((t) => t.name)).not.toContain(FILE_TOOL);
      for (const t of tools) {
        expect(t.annotations?.['readOnlyHint'], t.name).toBe(true);
        expect(JSON.stringify(t.inputSchema), t.name).not.toContain('outputFile');
      }
    } finally {
      await plain.close();
    }
    const { tools } = await client.listTools();
    const fileTool = tools.find((t) => t.name === FILE_TOOL);
    expect(fileTool?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  });

  it('refuses every path out of the export directory: absolute, .., a symlinked file, a symlinked folder', async () => {
    symlinkSync(join(home, '.bashrc'), join(exportsDir, 'link.jsonl'));
    symlinkSync(join(home, '.ssh'), join(exportsDir, 'ssh'));
    const attempts: [string, RegExp][] = [
      [join(home, '.bashrc'), /outside the export directory/],
      ['../.bashrc', /outside the export directory/],
      [join(stateDir, 'audit.jsonl'), /outside the export directory/],
      [join(stateDir, 'audit-hash.key'), /outside the export directory/],
      ['link.jsonl', /symbolic link/],
      ['ssh/authorized_keys', /outside the export directory/],
    ];
    for (const [outputFile, why] of attempts) {
      for (const overwrite of [false, true]) {
        const r = await exportTo(outputFile, { overwrite });
        expect(r.isError, `${outputFile} overwrite=${overwrite}`).toBe(true);
        expect(textOf(r)).toMatch(why);
      }
    }
    expectVictimsIntact();
  });

  it('never writes through a symlink planted at the cursor, its temporary file or the lock', async () => {
    symlinkSync(join(home, '.bashrc'), join(exportsDir, 'a.jsonl.cursor.json.tmp'));
    const ok = await exportTo('a.jsonl');
    expect(ok.isError, textOf(ok)).toBeFalsy();
    expect(ok.structuredContent?.['file']).toMatchObject({ complete: true });
    symlinkSync(join(home, '.bashrc'), join(exportsDir, 'b.jsonl.cursor.json'));
    const viaCursor = await exportTo('b.jsonl', { overwrite: true });
    expect(textOf(viaCursor)).toMatch(/symbolic link/);
    symlinkSync(join(home, '.bashrc'), join(exportsDir, 'c.jsonl.lock'));
    const viaLock = await exportTo('c.jsonl');
    expect(textOf(viaLock)).toMatch(/symbolic link/);
    expectVictimsIntact();
  });

  it('overwrite replaces only its own export: not a foreign file, not a file hard-linked elsewhere', async () => {
    const foreign = plantVictim(join(exportsDir, 'notes.jsonl'), 'my notes\n');
    const r = await exportTo('notes.jsonl', { overwrite: true });
    expect(textOf(r)).toMatch(/no export cursor/);
    const own = await exportTo('mine.jsonl');
    expect(own.isError, textOf(own)).toBeFalsy();
    const elsewhere = join(home, 'linked-elsewhere');
    linkSync(join(exportsDir, 'mine.jsonl'), elsewhere);
    victims[elsewhere] = readFileSync(elsewhere, 'utf8');
    const viaLink = await exportTo('mine.jsonl', { overwrite: true });
    expect(textOf(viaLink)).toMatch(/hard links/);
    expect(readFileSync(foreign, 'utf8')).toBe('my notes\n');
    expectVictimsIntact();
  });

  it('a FIFO named as the output is refused at once, and the server keeps answering', async () => {
    execFileSync('mkfifo', [join(exportsDir, 'pipe.jsonl')]);
    const started = Date.now();
    const r = await exportTo('pipe.jsonl', { overwrite: true });
    expect(textOf(r)).toMatch(/pipe/);
    expect(Date.now() - started).toBeLessThan(15_000);
    const after = await exportTo('after-the-pipe.jsonl');
    expect(after.isError, textOf(after)).toBeFalsy();
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a cursor or a lock planted by another user (needs root to plant one)', async () => {
    const ok = await exportTo('theirs.jsonl');
    expect(ok.isError, textOf(ok)).toBeFalsy();
    chownSync(join(exportsDir, 'theirs.jsonl.cursor.json'), 65534, 65534);
    const viaCursor = await exportTo('theirs.jsonl');
    expect(textOf(viaCursor)).toMatch(/belongs to another user/);
    writeFileSync(join(exportsDir, 'locked.jsonl.lock'), JSON.stringify({ pid: 1 }));
    chownSync(join(exportsDir, 'locked.jsonl.lock'), 65534, 65534);
    const viaLock = await exportTo('locked.jsonl');
    expect(textOf(viaLock)).toMatch(/belongs to another user/);
    expect(existsSync(join(exportsDir, 'locked.jsonl.lock'))).toBe(true);
  });

  it('refuses at start an export directory that holds the state directory or the audit log', async () => {
    for (const [exportDir, extra] of [
      [stateDir, []],
      [home, []],
      [exportsDir, ['--audit-file', join(exportsDir, 'audit', 'audit.jsonl')]],
    ] as [string, string[]][]) {
      if (extra.length) mkdirSync(join(exportsDir, 'audit'), { recursive: true });
      const run = await runCli(['--emulator', emulator.file, '--export-dir', exportDir, ...extra], serverEnv());
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/\[ConfigInvalid\].*contains the (state directory|audit log directory)/);
    }
  });
});
