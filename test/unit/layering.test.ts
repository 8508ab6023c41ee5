import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

/** The layering rules are the lint config's; these prove they bite, file by file, as the build sees them. */
const eslint = new ESLint({ cwd: ROOT });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering, enforced by lint', () => {
  it.each([
    ['src/tools/x.ts', "import { PublicClientApplication } from '@azure/msal-node';", /MSAL stays inside src\/auth/],
    ['src/tools/x.ts', "import { McpServer } from '@modelcontextprotocol/server';", /speak MCP/],
    ['src/tools/x.ts', "import { startHttpServer } from '../transports/http.js';", /Transports are wired/],
    ['src/tools/x.ts', 'export const v = process.env.HOME;', /src\/config only/],
    ['src/graph/x.ts', "import { auditedCall } from '../policy/auditedCall.js';", /knows routes, not the policies/],
    ['src/graph/copilot/x.ts', "import { TOOLS } from '../../tools/registry.js';", /never imports them/],
    ['src/config/x.ts', "import { AppOnlyClient } from '../auth/appOnlyClient.js';", /before anything signs in/],
    ['src/resources/x.ts', "import { mergeHits } from '../tools/export/pageMode.js';", /not tool internals/],
    ['src/tools/x.ts', "import { startEmulator } from 'm365-copilot-emulator';", /reaches the emulator only from/],
    ['packages/emulator/src/x.ts', "import { createLogger } from '../../../src/log.js';", /imports nothing of the server/],
    ['packages/emulator/src/graphApi/x.ts', "import { ROUTES } from '../../../../src/graph/copilot/routes.js';", /imports nothing of the server/],
    ['packages/emulator/src/graphApi/x.ts', "import { CHAT_SCOPES } from 'm365-copilot-mcp';", /imports nothing of the server/],
  ])('%s: %s is refused', async (file, code, why) => {
    expect((await problems(file, code)).join('\n')).toMatch(why);
  });

  it('lets each layer use what it may', async () => {
    expect(await problems('src/tools/x.ts', "import type { ToolContext } from './tool.js';\nexport type T = ToolContext;")).toEqual([]);
    expect(await problems('src/resources/x.ts', "import { exportInteractionsTool } from '../tools/exportInteractions.js';\nexport const n = exportInteractionsTool.name;")).toEqual([]);
    expect(await problems('src/config/x.ts', 'export const v = process.env.HOME;')).toEqual([]);
  });
});
