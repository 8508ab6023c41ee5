import type { ToolDefinition } from '../tools/tool.js';

/**
 * The server instructions, from what this configuration offers: a tool that is not registered is
 * never named, and every offered one is (each definition says in one clause when to use it).
 */
export function instructionsFor(tools: readonly ToolDefinition[]): string {
  if (tools.length === 0) return 'No Microsoft 365 Copilot tools are offered by this configuration (--tools / --toolsets).';
  const clauses = tools.map((t) => t.instructions).join('; ');
  const signIn = tools.some((t) => t.permissions.delegated.length > 0) ? ' When a tool answers AuthPending, show the user the sign-in URL and code, then call the tool again.' : '';
  return `Tools for Microsoft 365 Copilot: ${clauses}.${signIn}`;
}
