import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, configFromFlags, defaultStateDir, loadConfig, resolveConfig } from '../../src/config/load.js';
import { AppError } from '../../src/errors.js';

describe('config', () => {
  it('has sane defaults', () => {
    const c = resolveConfig({ stateDir: '/tmp/state' });
    expect(c).toMatchObject({ cloud: 'global', tenantId: 'organizations', demo: false, logLevel: 'info', signInWaitSeconds: 5 });
  });

  it('layers file ← env ← flags, later winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ tenantId: 'from-file', clientId: 'file-client', cloud: 'usgov' }));
    const c = await loadConfig({
      flags: { config: file, 'client-id': 'flag-client' },
      env: { M365_COPILOT_MCP_TENANT_ID: 'from-env', M365_COPILOT_MCP_DEMO: 'true' },
    });
    expect(c.tenantId).toBe('from-env');
    expect(c.clientId).toBe('flag-client');
    expect(c.cloud).toBe('usgov');
    expect(c.demo).toBe(true);
  });

  it('names the flag and the variable of a bad value', () => {
    const err = (() => {
      try {
        resolveConfig({ stateDir: '/tmp/state' }, configFromFlags({ cloud: 'mars' }));
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err!.code).toBe('ConfigInvalid');
    expect(err!.message).toContain('--cloud');
    expect(err!.message).toContain('M365_COPILOT_MCP_CLOUD');
    expect(err!.nextStep).toContain('--help');
  });

  it('puts state under the platform state directory', () => {
    expect(defaultStateDir({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.local/state/m365-copilot-mcp');
    expect(defaultStateDir({ HOME: '/home/u', XDG_STATE_HOME: '/xdg' }, 'linux')).toBe('/xdg/m365-copilot-mcp');
    expect(defaultStateDir({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Application Support/m365-copilot-mcp');
  });

  it('rejects non-boolean and non-numeric environment values with the variable name', () => {
    expect(() => configFromEnv({ M365_COPILOT_MCP_DEMO: 'maybe' })).toThrow(/M365_COPILOT_MCP_DEMO/);
    expect(() => configFromEnv({ M365_COPILOT_MCP_SIGN_IN_WAIT: 'soon' })).toThrow(/M365_COPILOT_MCP_SIGN_IN_WAIT/);
  });

  it('rejects unknown keys in the config file and malformed JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const unknown = join(dir, 'u.json');
    writeFileSync(unknown, JSON.stringify({ tenant: 'typo' }));
    await expect(loadConfig({ flags: { config: unknown }, env: {} })).rejects.toThrow(/unknown setting\(s\) tenant/);
    const broken = join(dir, 'b.json');
    writeFileSync(broken, '{ "tenantId": ');
    await expect(loadConfig({ flags: { config: broken }, env: {} })).rejects.toThrow(/not valid JSON/);
    await expect(loadConfig({ flags: { config: join(dir, 'missing.json') }, env: {} })).rejects.toThrow(/cannot read config file/);
  });
});
