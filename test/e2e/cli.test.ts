import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config/schema.js';
import { updateReadme } from '../../src/tools/readmeTable.js';
import { CLI, ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;

const fails = async (args: string[], env: Record<string, string> = {}) => {
  try {
    await run(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 15_000 });
  } catch (err) {
    return err as { code: number; stdout: string; stderr: string };
  }
  throw new Error(`expected ${args.join(' ')} to fail`);
};

describe('command line', () => {
  it('--version prints the package version', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--version']);
    expect(stdout.trim()).toBe(version);
  });

  it('--help lists every setting with its flag and environment variable, and the commands', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--help']);
    for (const d of CONFIG_KEYS) {
      expect(stdout).toContain(d.flag);
      expect(stdout).toContain(d.env);
    }
    for (const s of ['--demo', 'emulator', '--emulator', '--config', '--port', '--scale', '--auto-approve']) expect(stdout).toContain(s);
  });

  it('rejects unknown flags, commands and bad values with the fix', async () => {
    const flag = await fails(['--tenat', 'x']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--tenat/);
    expect(flag.stderr).toMatch(/--help/);
    const cmd = await fails(['frobnicate']);
    expect(cmd.stderr).toMatch(/unknown command/);
    const bad = await fails(['--cloud', 'mars']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[ConfigInvalid\].*--cloud.*M365_COPILOT_MCP_CLOUD/);
    const env = await fails([], { M365_COPILOT_MCP_LOG_LEVEL: 'chatty' });
    expect(env.stderr).toMatch(/M365_COPILOT_MCP_LOG_LEVEL/);
    const missing = await fails(['--emulator', '/nonexistent/emulator.json']);
    expect(missing.stderr).toMatch(/cannot read the emulator file/);
    const port = await fails(['emulator', '--port', '70000']);
    expect(port.stderr).toMatch(/--port must be an integer/);
  });

  it('keeps the README tool and configuration tables in step with the code', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    expect(updateReadme(readme), 'README.md is stale: run `npm run docs`').toBe(readme);
  });
});
