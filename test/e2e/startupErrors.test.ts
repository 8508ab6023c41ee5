import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';

/**
 * The newcomer's friction list (issue 15, items 4 and 5): every start-up mistake is one line that
 * names the fix, with the documented exit code (2 for usage, 1 for a setting or a failed start),
 * never a stack trace.
 */
const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

describe('start-up mistakes', () => {
  it('a flag typo suggests the nearest flag (exit 2)', async () => {
    const r = await runCli(['--tenat', 'contoso']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --tenat \(did you mean --tenant\?\)/);
    noStack(r.stderr);
  });

  it('an unknown M365_COPILOT_MCP_ variable is reported, with the likely one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365-env-'));
    const r = await runCli(['status'], { M365_COPILOT_MCP_TENANT: 'contoso', M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' });
    expect(r.stderr).toMatch(/warning: M365_COPILOT_MCP_TENANT is not a setting and is ignored \(did you mean M365_COPILOT_MCP_TENANT_ID\?\)/);
  });

  it('a config file saved with a UTF-8 byte-order mark is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365-bom-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ logLevel: 'silent', tenantId: 'contoso.example', clientId: '00000000-0000-0000-0000-000000000001' })}`);
    const r = await runCli(['doctor', '--json', '--config', file], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' });
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string }[] };
    expect(report.checks.find((c) => c.id === 'config')?.status).not.toBe('fail');
  });

  it('refuses --demo with --emulator, and an http authority, at start (exit 1, one line and its fix)', async () => {
    for (const [args, why] of [
      [['--demo', '--emulator', '/nowhere.json'], /--demo and --emulator both choose the tenant/],
      [['--authority-host', 'http://login.example'], /must be an https URL/],
    ] as [string[], RegExp][]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/Next step: /);
      noStack(r.stderr);
    }
  });

  it('a port in use is a setting to change, not a crash (exit 1)', async () => {
    const emulator = await useSharedEmulator();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const r = await runCli(['serve', '--http', '--port', String(port), '--emulator', emulator.file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`\\[ConfigInvalid\\] cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use\\nNext step: Choose another --port`));
      noStack(r.stderr);
    } finally {
      taken.close();
      await emulator.stop();
    }
  });

  it('`serve` without --http says it serves stdio', async () => {
    const r = await runCli(['serve', '--tools', 'copilot_nope']);
    expect(r.stderr).toMatch(/serve without --http serves MCP over stdio/);
  });
});

describe('sign-in commands (issue 15, friction 9)', () => {
  it('login --browser without a display says at once how to sign in instead; login --demo and logout --all need nothing', async () => {
    const emulator = await useSharedEmulator();
    const dir = mkdtempSync(join(tmpdir(), 'm365-login-'));
    const env = { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'file' };
    try {
      let hinted = false;
      await runCli(['login', '--browser', '--emulator', emulator.file], env, (_chunk, all) => {
        if (/No display here, so no browser will open\. .*login --device-code/.test(all)) hinted = true;
      }, 8_000).catch(() => undefined); // the flow itself waits for a browser; the hint is what counts
      expect(hinted).toBe(true);
      const demo = await runCli(['login', '--demo'], env);
      expect(demo.code).toBe(0);
      expect(demo.stdout).toMatch(/Nothing to do: with --demo the server signs in .* by itself/);
      const out = await runCli(['logout', '--all'], env);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/Signed out of every account/);
    } finally {
      await emulator.stop();
    }
  });
});
