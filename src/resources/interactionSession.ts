import { ResourceTemplate, UriTemplate, type McpServer } from '@modelcontextprotocol/server';
import { AppError } from '../errors.js';
import { fetchExportPage, firstPageUrl } from '../graph/copilot/interactionExport.js';
import type { AiInteraction } from '../graph/copilot/schemas.js';
import { pair, type OutExchange } from '../tools/export/shape.js';
import { userRef } from '../tools/export/refs.js';
import { resolveAndAuthorize } from '../tools/export/users.js';
import type { ToolContext } from '../tools/tool.js';
import { MARKDOWN, markdownRead } from './markdownRead.js';
import type { CallRunner } from './runner.js';

export const INTERACTION_SESSION_TEMPLATE = 'm365copilot://interactions/{userId}/sessions/{sessionId}';
/** Parsed once (it holds only the template's parts): HTTP builds a server per request. */
const PARSED_TEMPLATE = new UriTemplate(INTERACTION_SESSION_TEMPLATE);
/** The export API filters by app and time only, so a session is found by scanning the user's history; bounded. */
const MAX_PAGES = 200;

/** One Copilot conversation from the interaction export, under the export tool's own authorization. */
export function registerInteractionSession(server: McpServer, calls: CallRunner): void {
  server.registerResource(
    'interaction_session',
    new ResourceTemplate(PARSED_TEMPLATE, { list: undefined }),
    {
      title: 'Copilot conversation (exported interactions of one session)',
      description:
        "One Copilot session of a user (prompts and responses paired, oldest first) as markdown, from the interaction export. userId: object id or UPN; sessionId as in copilot_export_interactions results; both percent-encoded. Same rules as copilot_export_interactions: app-only export must be configured, and over HTTP you may read your own sessions only unless you hold the export role.",
      mimeType: MARKDOWN,
    },
    markdownRead(calls, 'interaction_session', ['userId', 'sessionId'], async ({ userId: ref, sessionId }, ctx) => {
      if (!ctx.environment.exportConfigured)
        throw new AppError('ConfigInvalid', 'interaction export is not configured on this server, so conversations cannot be read', {
          nextStep: 'An admin registers an app with the application permission AiEnterpriseInteraction.Read.All and gives this server its id and secret or certificate (--export-client-id, M365_COPILOT_MCP_EXPORT_CLIENT_SECRET or --export-certificate).',
        });
      const checked = userRef.safeParse(ref);
      if (!checked.success) throw new AppError('InvalidArgument', `userId ${checked.error.issues[0]?.message ?? 'is not valid'}`, { nextStep: 'Fix the userId part of the resource URI.' });
      const user = await resolveAndAuthorize(checked.data, ctx);
      const who = await ctx.caller();
      const items = await ctx.policy.scans.run(who ? `${who.tenantId}/${who.userId}` : 'local', () => sessionInteractions(user.id, sessionId, ctx));
      if (!items.length)
        throw new AppError('NotFound', `no Copilot session ${sessionId} was found in the interactions of ${user.upn ?? user.id}`, {
          nextStep: 'Take the sessionId from a copilot_export_interactions result for this user.',
        });
      return sessionMarkdown(user.upn ?? user.id, sessionId, pair(items));
    }),
  );
}

async function sessionInteractions(userId: string, sessionId: string, ctx: ToolContext): Promise<AiInteraction[]> {
  const found: AiInteraction[] = [];
  let at: URL | undefined = firstPageUrl(ctx.environment.graphBaseUrl, userId, undefined);
  for (let pages = 0; at; pages++) {
    if (pages >= MAX_PAGES)
      throw new AppError('InvalidArgument', `the session was not found within the first ${MAX_PAGES * 100} interactions of this user`, {
        nextStep: 'Use copilot_export_interactions with since/until around the session to read it.',
      });
    const page = await fetchExportPage(ctx.appGraph, at, ctx.signal);
    found.push(...page.items.filter((i) => i.sessionId === sessionId));
    at = page.nextLink ? new URL(page.nextLink) : undefined;
  }
  // createdDateTime is nullable (v1.0 CSDL): an interaction of unknown time keeps its place among equals (sort is stable) at the start.
  return found.sort((a, b) => (a.createdDateTime ?? '').localeCompare(b.createdDateTime ?? ''));
}

export function sessionMarkdown(who: string, sessionId: string, exchanges: OutExchange[]): string {
  const apps = [...new Set(exchanges.map((e) => e.app))].join(', ');
  const lines = [`# Copilot conversation`, '', `- User: ${who}`, `- Session: \`${sessionId}\``, `- App: ${apps}`, `- Exchanges: ${exchanges.length}`];
  exchanges.forEach((ex, n) => {
    lines.push('', `## ${n + 1}. ${ex.interactions[0]?.time ?? 'unknown time'}`);
    for (const i of ex.interactions) {
      lines.push('', `**${i.type === 'prompt' ? 'Prompt' : i.type === 'response' ? 'Response' : 'Other'}** (${i.time ?? 'unknown time'})`, '', i.text.trim() || '_(empty)_');
      for (const l of i.links ?? []) lines.push(`- [${l.title ?? l.url}](${l.url})`);
    }
  });
  return `${lines.join('\n')}\n`;
}
