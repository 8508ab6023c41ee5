import { describe, expect, it } from 'vitest';
import { fastStartChoice } from '../../src/config/fastStartChoice.js';

/** Which starts may send the rendered answers (test/e2e/fastStart.test.ts checks the answers themselves). */
describe('fastStartChoice', () => {
  const variant = (enableBeta: boolean, exportFiles: boolean) => ({ variant: { enableBeta, exportFiles } });

  it.each<[string, string[], Record<string, string>, ReturnType<typeof variant> | 'skip']>([
    ['no arguments', [], {}, variant(false, false)],
    ['serve', ['serve'], {}, variant(false, false)],
    ['--demo', ['--demo'], {}, variant(false, false)],
    ['--enable-beta', ['--enable-beta'], {}, variant(true, false)],
    ['beta from the environment', [], { M365_COPILOT_MCP_ENABLE_BETA: 'on' }, variant(true, false)],
    ['a flag wins over the environment', ['--enable-beta'], { M365_COPILOT_MCP_ENABLE_BETA: 'false' }, variant(true, false)],
    ['an empty variable is no setting', [], { M365_COPILOT_MCP_ENABLE_BETA: '' }, variant(false, false)],
    ['--export-dir', ['--export-dir', '/tmp/x'], {}, variant(false, true)],
    ['export dir from the environment', [], { M365_COPILOT_MCP_EXPORT_DIR: '/tmp/x' }, variant(false, true)],
    ['a national cloud with --demo is the global one', ['--cloud', 'usgov', '--demo'], {}, variant(false, false)],
    ['--cloud global', ['--cloud', 'global'], {}, variant(false, false)],
    ['other settings do not matter', ['--tenant', 'contoso.example', '--client-id', 'abc', '--log-level', 'warn'], {}, variant(false, false)],
    ['a national cloud', ['--cloud', 'usgov'], {}, 'skip'],
    ['--toolsets', ['--toolsets', 'retrieval'], {}, 'skip'],
    ['--tools from the environment', [], { M365_COPILOT_MCP_TOOLS: 'copilot_status' }, 'skip'],
    ['--config', ['--config', 'c.json'], {}, 'skip'],
    ['a config file from the environment', [], { M365_COPILOT_MCP_CONFIG: 'c.json' }, 'skip'],
    ['--http', ['serve', '--http'], {}, 'skip'],
    ['HTTP from the environment', [], { M365_COPILOT_MCP_HTTP: '1' }, 'skip'],
    ['--no-fast-start', ['--no-fast-start'], {}, 'skip'],
    ['turned off in the environment', [], { M365_COPILOT_MCP_NO_FAST_START: 'true' }, 'skip'],
    ['a boolean the CLI refuses', [], { M365_COPILOT_MCP_DEMO: 'maybe' }, 'skip'],
    ['a boolean flag with a value', ['--enable-beta=false'], {}, 'skip'],
    ['an unknown option', ['--bogus'], {}, 'skip'],
    ['another command', ['login'], {}, 'skip'],
    ['--help', ['--help'], {}, 'skip'],
    ['--version', ['-v'], {}, 'skip'],
    ['an empty --export-dir', ['--export-dir='], {}, 'skip'],
  ])('%s', (_name, argv, env, expected) => {
    const choice = fastStartChoice(argv, env);
    if (expected === 'skip') expect(choice).toHaveProperty('skip');
    else expect(choice).toEqual(expected);
  });
});
