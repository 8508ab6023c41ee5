import * as z from 'zod';
import type { AiInteraction } from '../../graph/copilot/schemas.js';
import { friendlyApp } from '../appClasses.js';
import { bodyToPlainText } from '../plainText.js';

/** What a caller sees of one interaction: plain text and summaries, never Graph's raw body. */
export const Interaction = z.object({
  id: z.string(),
  time: z.string().optional().describe('When it was sent (UTC); absent when Graph does not say (createdDateTime is nullable).'),
  type: z.enum(['prompt', 'response', 'other']),
  text: z.string(),
  attachments: z.array(z.object({ name: z.string().optional(), type: z.string(), url: z.string().optional() })).optional(),
  links: z.array(z.object({ title: z.string().optional(), url: z.string(), type: z.string().optional() })).optional(),
  mentions: z.array(z.object({ text: z.string(), userId: z.string().optional() })).optional(),
});

export const Exchange = z.object({
  requestId: z.string().optional(),
  sessionId: z.string(),
  app: z.string(),
  /** The prompt first (when in this page), then its responses. */
  interactions: z.array(Interaction),
});

export type OutInteraction = z.output<typeof Interaction>;
export type OutExchange = z.output<typeof Exchange>;

export const ONE_SIDED_WINDOW_DAYS = 30;

export function sameRequest(a: AiInteraction, b: AiInteraction): boolean {
  return !!a.requestId && a.requestId === b.requestId && a.sessionId === b.sessionId;
}

export function completeWindow(since?: string, until?: string): { since: string; until: string } | undefined {
  if (!since && !until) return undefined;
  const end = until ? new Date(until) : new Date();
  const begin = since ? new Date(since) : new Date(end.getTime() - ONE_SIDED_WINDOW_DAYS * 86_400_000);
  return { since: begin.toISOString(), until: end.toISOString() };
}

/** Graph needs both bounds when filtering on createdDateTime; the app classes are or-chained. */
export function buildFilter(classes: string[] | undefined, window: { since: string; until: string } | undefined): string | undefined {
  const parts: string[] = [];
  if (classes?.length) {
    const ors = classes.map((c) => `appClass eq '${c.replace(/'/g, "''")}'`);
    parts.push(ors.length > 1 && window ? `(${ors.join(' or ')})` : ors.join(' or '));
  }
  if (window) parts.push(`createdDateTime gt ${window.since} and createdDateTime lt ${window.until}`);
  return parts.length ? parts.join(' and ') : undefined;
}

// The schema defaults every list to []; `?? []` keeps hand-built items (tests, page mode's callers) working too.
const attachmentsOf = (i: AiInteraction): NonNullable<OutInteraction['attachments']> =>
  (i.attachments ?? []).map((a) => ({ ...(a.name ? { name: a.name } : {}), type: a.contentType ?? 'unknown', ...(a.contentUrl ? { url: a.contentUrl } : {}) }));
const linksOf = (i: AiInteraction): NonNullable<OutInteraction['links']> =>
  (i.links ?? []).filter((l) => l.linkUrl).map((l) => ({ ...(l.displayName ? { title: l.displayName } : {}), url: l.linkUrl!, ...(l.linkType ? { type: l.linkType } : {}) }));
const mentionsOf = (i: AiInteraction): NonNullable<OutInteraction['mentions']> =>
  (i.mentions ?? []).map((m) => ({ text: m.mentionText ?? '', ...(m.mentioned?.user?.id ? { userId: m.mentioned.user.id } : {}) }));
const typeOf = (i: AiInteraction): OutInteraction['type'] => (i.interactionType === 'userPrompt' ? 'prompt' : i.interactionType === 'aiResponse' ? 'response' : 'other');

export function toInteraction(i: AiInteraction): OutInteraction {
  const attachments = attachmentsOf(i);
  const links = linksOf(i);
  const mentions = mentionsOf(i);
  return {
    id: i.id,
    ...(i.createdDateTime ? { time: i.createdDateTime } : {}),
    type: typeOf(i),
    text: bodyToPlainText(i.body, i.attachments ?? []),
    ...(attachments.length ? { attachments } : {}),
    ...(links.length ? { links } : {}),
    ...(mentions.length ? { mentions } : {}),
  };
}

/** Groups interactions into exchanges by requestId; items without one stand alone. Order: first seen. */
export function pair(items: AiInteraction[]): OutExchange[] {
  const exchanges: OutExchange[] = [];
  const byKey = new Map<string, OutExchange>();
  for (const item of items) {
    const out = toInteraction(item);
    const key = item.requestId ? `${item.sessionId}\u0000${item.requestId}` : undefined;
    let ex = key ? byKey.get(key) : undefined;
    if (!ex) {
      ex = { ...(item.requestId ? { requestId: item.requestId } : {}), sessionId: item.sessionId, app: friendlyApp(item.appClass), interactions: [] };
      exchanges.push(ex);
      if (key) byKey.set(key, ex);
    }
    // Keep the prompt first even if Graph listed a response before it.
    if (out.type === 'prompt') ex.interactions.unshift(out);
    else ex.interactions.push(out);
  }
  return exchanges;
}

export interface ExportUser {
  id: string;
  upn?: string | undefined;
}

/** The `user` member of every line of one user's pages, serialized once. */
export function lineUser(user: ExportUser): string {
  return JSON.stringify(user.upn ? { id: user.id, upn: user.upn } : { id: user.id });
}

const json = JSON.stringify;

/**
 * One JSONL line: the interaction as page mode shapes it, plus what page mode carries on the
 * exchange or the result (user, app, session, request), so every line stands alone and lines of
 * several users can share one file. Pair prompts and responses downstream by sessionId + requestId.
 *
 * Written member by member rather than as JSON.stringify({ user, app, …toInteraction(i) }): the
 * same bytes (test/unit/exportShaping.test.ts compares them), without building two objects per
 * line only to serialize them, which was a fifth of what the file export allocated (issue 17).
 */
export function fileLine(userJson: string, i: AiInteraction): string {
  let line = `{"user":${userJson},"app":${json(friendlyApp(i.appClass))},"sessionId":${json(i.sessionId)}`;
  if (i.requestId) line += `,"requestId":${json(i.requestId)}`;
  line += `,"id":${json(i.id)}`;
  if (i.createdDateTime) line += `,"time":${json(i.createdDateTime)}`;
  line += `,"type":"${typeOf(i)}","text":${json(bodyToPlainText(i.body, i.attachments ?? []))}`;
  const attachments = attachmentsOf(i);
  if (attachments.length) line += `,"attachments":${json(attachments)}`;
  const links = linksOf(i);
  if (links.length) line += `,"links":${json(links)}`;
  const mentions = mentionsOf(i);
  if (mentions.length) line += `,"mentions":${json(mentions)}`;
  return `${line}}\n`;
}
