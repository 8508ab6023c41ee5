import { errorText, skip, type DoctorCheck } from './check.js';

/**
 * Per tool: can the signed-in session get a token carrying every delegated permission the tool
 * needs, silently? A permission nobody consented to fails here rather than at the first tool call.
 */
export const scopesCheck: DoctorCheck = {
  id: 'scopes',
  title: 'Granted permissions per tool',
  async run(state) {
    const delegated = state.delegated;
    if (!delegated) return skip('needs a signed-in account');
    const granted = new Set(delegated.scopes.map((s) => s.toLowerCase()));
    const lacking: { tool: string; missing: string[]; why: string }[] = [];
    const fine: string[] = [];
    for (const tool of state.tools) {
      const needed = tool.permissions.delegated;
      if (needed.length === 0) continue;
      try {
        const got = await delegated.acquire(needed);
        for (const s of got.scopes) granted.add(s.toLowerCase());
        fine.push(tool.name);
      } catch (err) {
        lacking.push({ tool: tool.name, missing: needed.filter((s) => !granted.has(s.toLowerCase())), why: errorText(err) });
      }
    }
    if (lacking.length === 0) return { status: 'pass', detail: `every tool's delegated permissions are granted (${fine.join(', ') || 'no tool needs any'})` };
    const missing = [...new Set(lacking.flatMap((l) => l.missing))].sort();
    return {
      status: 'fail',
      detail: lacking.map((l) => `${l.tool} lacks ${l.missing.join(', ') || `a token (${l.why})`}`).join('; '),
      fix: `Run \`m365-copilot-mcp login\` again to consent to ${missing.join(', ') || 'the missing permissions'}; if your tenant blocks user consent, an admin must grant them to the app.`,
      tools: lacking.map((l) => l.tool),
    };
  },
};
