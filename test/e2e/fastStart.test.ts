import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';

/**
 * The fast start (src/transports/fastStart/): initialize, ping and tools/list answered from the
 * build's rendered answers before the server loads. Its one promise is that a client cannot tell:
 * every conversation here runs twice, with it and with --no-fast-start (the SDK answering
 * everything), and stdout must be the same bytes — while the debug log proves the front did answer,
 * so a front that never engages cannot pass.
 */

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A step of a conversation: lines sent together, then the ids whose answers the client waits for. */
interface Step {
  send: (object | string)[];
  await?: (string | number)[];
}

const initialize = (id: string | number, protocolVersion: string, capabilities: object = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities, clientInfo: { name: 'fast-start-test', version: '1' } },
});
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
const request = (id: string | number, method: string, params?: object) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });

/** One server, one conversation, step by step as a client does it; stdout and stderr whole. */
async function converse(args: string[], steps: Step[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const home = tempDir('fast-start-home-');
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', HOME: home, M365_COPILOT_MCP_TOKEN_CACHE: 'memory', M365_COPILOT_MCP_LOG_LEVEL: 'debug', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': exit can come before the last of stderr is read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const answered = (id: string | number) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .some((line) => (JSON.parse(line) as { id?: unknown }).id === id);
  for (const step of steps) {
    child.stdin.write(step.send.map((m) => `${typeof m === 'string' ? m : JSON.stringify(m)}\n`).join(''));
    for (const id of step.await ?? []) {
      const deadline = Date.now() + 20_000;
      while (!answered(id)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no answer to ${JSON.stringify(id)}; stderr:\n${stderr.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
  child.stdin.end();
  const code = await exited; // before reading the output: it is complete only then
  return { stdout, stderr, code };
}

const FAST_LOG = '"msg":"answered before the server loaded (fast start)"';
/** The requests the front answered, from its debug line; [] when it did not engage. */
const answeredByFront = (stderr: string): string[] => {
  const line = stderr.split('\n').find((l) => l.includes(FAST_LOG));
  return line ? (JSON.parse(line) as { requests: string[] }).requests : [];
};

/** The conversation with and without the fast start: the same bytes on stdout, and what the front answered. */
async function compare(args: string[], steps: Step[], env: Record<string, string> = {}) {
  const fast = await converse(args, steps, env);
  const slow = await converse(args, steps, { ...env, M365_COPILOT_MCP_NO_FAST_START: 'true' });
  expect(fast.stderr).not.toContain('FastStartMismatch');
  expect(answeredByFront(slow.stderr)).toEqual([]);
  expect(fast.stdout).toBe(slow.stdout);
  expect(fast.stdout.length).toBeGreaterThan(0);
  return { fast, slow, answered: answeredByFront(fast.stderr) };
}

/** What a 2025-era client sends first: initialize, then initialized, ping and tools/list together. */
const opening = (protocolVersion: string, ids: [string | number, string | number, string | number] = [1, 2, 3]): Step[] => [
  { send: [initialize(ids[0], protocolVersion)], await: [ids[0]] },
  { send: [initialized, request(ids[1], 'ping'), request(ids[2], 'tools/list')], await: [ids[1], ids[2]] },
];

const LEGACY_VERSIONS = SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v < '2026');

describe('fast start: the answers are the SDK’s, byte for byte', () => {
  it.each(LEGACY_VERSIONS)('default tools, protocol %s', async (version) => {
    const { answered, fast } = await compare([], opening(version));
    expect(answered).toEqual(['initialize', 'ping', 'tools/list']);
    expect(fast.code).toBe(0);
  });

  it.each([
    ['--enable-beta', () => ['--enable-beta']],
    ['--export-dir', () => ['--export-dir', tempDir('fast-start-export-')]],
    ['--enable-beta --export-dir', () => ['--enable-beta', '--export-dir', tempDir('fast-start-export-')]],
    ['--demo', () => ['--demo']],
  ])('%s', async (_name, args) => {
    const { answered, fast } = await compare(args(), opening('2025-11-25'));
    expect(answered).toEqual(['initialize', 'ping', 'tools/list']);
    // The tools differ by variant: the beta tools, the file export.
    const tools = (JSON.parse(fast.stdout.split('\n')[2]!) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
    if (_name.includes('beta')) expect(tools).toContain('copilot_chat');
    else expect(tools).not.toContain('copilot_chat');
    if (_name.includes('export')) expect(tools).toContain('copilot_export_interactions_to_file');
    else expect(tools).not.toContain('copilot_export_interactions_to_file');
  });

  it('the same settings from the environment', async () => {
    const { answered, fast } = await compare([], opening('2025-11-25'), { M365_COPILOT_MCP_ENABLE_BETA: 'yes' });
    expect(answered).toEqual(['initialize', 'ping', 'tools/list']);
    expect(fast.stdout).toContain('"name":"copilot_chat"');
  });

  it('string ids', async () => {
    const { answered } = await compare([], opening('2025-06-18', ['init-1', 'p "1"', 'list\u00e9']));
    expect(answered).toEqual(['initialize', 'ping', 'tools/list']);
  });

  it('a protocol version the server does not speak is left to the SDK (it picks one)', async () => {
    const { answered, fast } = await compare([], opening('1999-01-01'));
    expect(answered).toEqual([]);
    expect(fast.stdout).toContain('"protocolVersion":"2025-11-25"');
  });

  it('initialize params the SDK would refuse are left to it', async () => {
    const { answered, fast } = await compare([], [{ send: [{ ...initialize(1, '2025-11-25'), params: { protocolVersion: '2025-11-25', capabilities: { roots: true }, clientInfo: { name: 'x', version: '1' } } }], await: [1] }]);
    expect(answered).toEqual([]);
    expect(fast.stdout).toContain('"error"');
  });

  it('a first line that is not JSON: the server answers it (-32700), then everything else', async () => {
    const { answered } = await compare([], [{ send: ['{not json'] }, ...opening('2025-11-25')]);
    expect(answered).toEqual([]);
  });

  it('the 2026-07-28 era (server/discover, no initialize) is the SDK’s alone', async () => {
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'fast-start-test', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
    const { answered, fast } = await compare([], [{ send: [request(1, 'server/discover', { _meta: meta })], await: [1] }, { send: [request(2, 'tools/list', { _meta: meta })], await: [2] }]);
    expect(answered).toEqual([]);
    expect(fast.stdout).toContain('"supportedVersions"');
  });

  it('tools/list with a cursor, or prompts/list next: the front stops and the server answers, in order', async () => {
    const steps: Step[] = [
      { send: [initialize(1, '2025-11-25')], await: [1] },
      { send: [initialized, request(2, 'prompts/list'), request(3, 'tools/list')], await: [2, 3] },
    ];
    const { answered } = await compare([], steps);
    expect(answered).toEqual(['initialize']);
  });
});

describe('fast start: the conversation goes on with the server', () => {
  it('--demo: a tool call and resources after the fast opening', async () => {
    const { stdout, stderr, code } = await converse(['--demo'], [
      ...opening('2025-11-25'),
      { send: [request(4, 'tools/call', { name: 'copilot_status', arguments: {} }), request(5, 'resources/list')], await: [4, 5] },
    ]);
    expect(answeredByFront(stderr)).toEqual(['initialize', 'ping', 'tools/list']);
    expect(stderr).not.toContain('FastStartMismatch');
    const answers = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: number; result?: { isError?: boolean; structuredContent?: { signedIn?: boolean } } });
    // The opening in order; the two calls after it run concurrently, as with any server.
    expect(answers.map((a) => a.id).slice(0, 3)).toEqual([1, 2, 3]);
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2, 3, 4, 5]);
    const status = answers.find((a) => a.id === 4)!;
    expect(status.result?.isError).toBeFalsy();
    expect(JSON.stringify(status)).toContain('EMULATED tenant');
    expect(JSON.stringify(answers.find((a) => a.id === 5))).toContain('"resources"');
    expect(code).toBe(0);
  });

  it('a client that closes stdin right after tools/list: the answers are out and the server exits 0', async () => {
    const { stdout, code } = await converse([], [{ send: [initialize(1, '2025-11-25'), initialized, request(2, 'tools/list')], await: [1, 2] }]);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(code).toBe(0);
  });

  it('a setting the schema refuses still stops the server with its error', async () => {
    const { stderr, code } = await converse(['--graph-timeout', 'soon'], [{ send: [initialize(1, '2025-11-25')] }]);
    expect(stderr).toMatch(/ConfigInvalid|must be a number/);
    expect(code).not.toBe(0);
  });
});
