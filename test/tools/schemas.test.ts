import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/tools/registry.js';
import { runCli } from '../helpers/cli.js';
import { connectClient, ERAS } from '../helpers/mcpClients.js';

/**
 * The tool surface is a contract with models and clients: any change must be deliberate. One
 * snapshot per tool (test/snapshots/tools/<name>.json), taken from a real tools/list with every tool
 * offered; a tool without a snapshot fails here on every machine, so adding a tool means adding its
 * snapshot (UPDATE_SNAPSHOTS=1 npm test writes them).
 */
const DIR = fileURLToPath(new URL('../snapshots/tools/', import.meta.url));
const UPDATE = process.env['UPDATE_SNAPSHOTS'] === '1';

describe.each(ERAS)('tool schemas, %s client, no credentials configured', (era) => {
  it('lists every tool (beta and file tools switched on) exactly as its snapshot', async () => {
    const exportDir = mkdtempSync(join(tmpdir(), 'm365-snap-exports-'));
    const client = await connectClient(era, ['--enable-beta', '--export-dir', exportDir]);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name));
      for (const t of tools) {
        const surface = { name: t.name, title: t.title, description: t.description, annotations: t.annotations, inputSchema: t.inputSchema, outputSchema: t.outputSchema };
        expect(t.outputSchema, `${t.name} has an output schema`).toBeTruthy();
        expect(t.annotations).toMatchObject({ openWorldHint: true });
        expect(t.description!.length).toBeGreaterThan(80);
        const file = join(DIR, `${t.name}.json`);
        if (UPDATE) writeFileSync(file, `${JSON.stringify(surface, null, 2)}\n`);
        expect(existsSync(file), `${t.name} has no schema snapshot: run UPDATE_SNAPSHOTS=1 npm test and commit test/snapshots/tools/${t.name}.json`).toBe(true);
        expect(surface, `${t.name} differs from its snapshot`).toEqual(JSON.parse(readFileSync(file, 'utf8')));
      }
      const stale = readdirSync(DIR).filter((f) => !tools.some((t) => `${t.name}.json` === f));
      expect(stale, 'snapshots of tools that no longer exist').toEqual([]);
    } finally {
      await client.close();
      rmSync(exportDir, { recursive: true, force: true });
    }
  });
});

describe('what a configuration offers (through the built CLI)', () => {
  const names = async (args: string[], env: Record<string, string> = {}) => {
    const client = await connectClient('v2-2026', args, env);
    try {
      return (await client.listTools()).tools.map((t) => t.name);
    } finally {
      await client.close();
    }
  };

  it('by default: every GA tool that needs nothing from the host', async () => {
    expect(await names([])).toEqual(TOOLS.filter((t) => t.stability === 'ga' && !t.needs?.length).map((t) => t.name));
  });

  it('--toolsets and --tools narrow it (either matches), and so do their environment twins', async () => {
    expect(await names(['--toolsets', 'retrieval,meetings'])).toEqual(['copilot_retrieve', 'copilot_meeting_insights']);
    expect(await names(['--tools', 'copilot_status'])).toEqual(['copilot_status']);
    expect(await names(['--toolsets', 'reports', '--tools', 'copilot_status'])).toEqual(['copilot_usage_report', 'copilot_status']);
    expect(await names([], { M365_COPILOT_MCP_TOOLSETS: 'compliance' })).toEqual(['copilot_export_interactions']);
    expect(await names(['--enable-beta'], { M365_COPILOT_MCP_TOOLS: 'copilot_chat' })).toEqual(['copilot_chat']);
  });
});

describe('unknown or unreleased names are a startup error (through the built CLI)', () => {
  it('names the valid tools and toolsets, and a beta tool asked for without --enable-beta', async () => {
    const typo = await runCli(['--demo', '--tools', 'copilot_retreive']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/\[ConfigInvalid\] unknown tool\(s\) copilot_retreive in --tools; valid: copilot_retrieve, /);
    const set = await runCli(['--demo', '--toolsets', 'retrival']);
    expect(set.stderr).toMatch(/unknown toolset\(s\) retrival in --toolsets; valid: retrieval, compliance, meetings, reports, status, chat, search/);
    const beta = await runCli(['--demo', '--tools', 'copilot_chat']);
    expect(beta.code).toBe(1);
    expect(beta.stderr).toMatch(/copilot_chat is a beta tool .* without --enable-beta/);
    expect(beta.stdout).toBe('');
  });
});
